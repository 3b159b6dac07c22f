"""The portal's page cache (issue 11 point 4, ADR 0036): rendered public pages kept per process, keyed by the
generation of the published snapshots, which every request reads from the database (one primary-key lookup).

A publication or withdrawal changes the generation in its own transaction, so from the moment it commits no server
or process uses a page rendered before it: a withdrawn entry is never served from the cache. Each process keeps its
own pages (Django's local-memory cache, `CACHES["portal"]`, bounded by ZHIFA_PORTAL_CACHE_ENTRIES); two app servers
share nothing but the database's generation row. Only anonymous GETs are cached (no session or messages cookie:
those pages could carry a flash message), only 200 responses, and only the body: the security headers are added
afresh by the middleware and `portal_page` on every response.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from zhifa.common.pagecache import hashed_key
from zhifa.disclosure import selectors

CACHE_ALIAS = "portal"
MESSAGES_COOKIE = "messages"  # django.contrib.messages' CookieStorage

_lock = threading.Lock()
_seen_generation = ""


def page_key(request: HttpRequest, view_name: str, generation: str) -> str:
    """A key for this view, path, query string (order of parameters ignored), language and generation."""
    query = sorted((k, v) for k, values in request.GET.lists() for v in values)
    return hashed_key("page", (view_name, request.path, query, translation.get_language(), generation))


def _cacheable(request: HttpRequest) -> bool:
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and MESSAGES_COOKIE not in request.COOKIES
    )


def _forget_older(generation: str) -> None:
    """On the first request that sees a new generation, drop this process's pages of older ones (memory)."""
    global _seen_generation
    if generation == _seen_generation:
        return
    with _lock:
        if generation != _seen_generation:
            caches[CACHE_ALIAS].clear()
            _seen_generation = generation


_refreshing: set[str] = set()  # keys of pages past their time that one thread of this process is rendering again


def _claim_refresh(key: str) -> bool:
    with _lock:
        if key in _refreshing:
            return False
        _refreshing.add(key)
        return True


def _cached(view: Callable[..., HttpResponse], seconds: float | None) -> Callable[..., HttpResponse]:
    view_name = f"{view.__module__}.{view.__qualname__}"

    def render(request: HttpRequest, key: str, args: Any, kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            fresh_until = None if seconds is None else time.monotonic() + seconds
            caches[CACHE_ALIAS].set(key, (response.content, response["Content-Type"], fresh_until), timeout=None)
        return response

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        generation = selectors.portal_generation()
        _forget_older(generation)
        key = page_key(request, view_name, generation)
        hit = caches[CACHE_ALIAS].get(key)
        if hit is None:
            return render(request, key, args, kwargs)
        content, content_type, fresh_until = hit
        # Past its time (search pages only), one thread renders the page again while the others keep serving the
        # kept copy of the same generation: no stampede of renders when it expires under load.
        if fresh_until is not None and time.monotonic() >= fresh_until and _claim_refresh(key):
            try:
                return render(request, key, args, kwargs)
            finally:
                with _lock:
                    _refreshing.discard(key)
        return HttpResponse(content, content_type=content_type)

    return wrapper


def cached_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve an anonymous GET of a portal page from the cache of the current generation, or render and keep it."""
    return _cached(view, None)


def cached_page_for(seconds: float) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """`cached_page`, but a page is also rendered again after `seconds` (by one request; the others meanwhile get
    the kept copy of the same generation): for the search page, whose hits come from
    the search index. The index may be rebuilt by a background task a little after a publication has moved the
    generation (ADR 0028); kept only per generation, a page rendered in between would hide the new entry until
    the next publication. A withdrawn entry needs no timeout: its withdrawal moves the generation, and the search
    selectors keep only current snapshots whatever the index returns."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        return _cached(view, seconds)

    return decorator
