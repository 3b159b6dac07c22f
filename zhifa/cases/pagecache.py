"""The case page's cache (issue 11 point 3, ADR 0042): a rendered case page kept per process, keyed by the case's
version (the last ledger entry of its stream, read with the case by `selectors.case_opened_for`), the day, the
language and the viewer.

Every read still opens the case first — the scoping check (another agency's case is a 404) and the 调阅 entry, made
durable before any content is sent (fail-closed) — and only then looks the page up. What differs per viewer is in
the key (the user, their name, agency and roles: the navigation, the action buttons, the upload links); the CSRF
token is not kept: pages are rendered with a placeholder that each response replaces with the request's own token.
A request with flash messages waiting is rendered and not kept. The pages stay in this process's memory (Django's
local-memory cache `CACHES["case_pages"]`, ZHIFA_CASE_PAGE_CACHE_ENTRIES pages, ZHIFA_CASE_PAGE_CACHE_SECONDS
each): they hold parties' decrypted personal data, which is never written to another store.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation

from zhifa.cases.selectors import CaseOpened
from zhifa.common.pagecache import hashed_key

CACHE_ALIAS = "case_pages"
# Rendered in place of the CSRF token (the `{% csrf_token %}` tag reads `csrf_token` from the context); letters,
# digits and dashes only, so HTML escaping leaves it as it is.
CSRF_PLACEHOLDER = "zhifa-csrf-placeholder-3b9d41f0"


def page_key(request: HttpRequest, opened: CaseOpened, today: date) -> str:
    user: Any = request.user
    viewer = (user.pk, str(user), user.agency_id, tuple(sorted(user.role_codes)))
    return hashed_key("case", (opened.pk, opened.version, today.isoformat(), translation.get_language(), viewer))


def _with_token(request: HttpRequest, content: bytes) -> bytes:
    return content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())


def cached_case_page(request: HttpRequest, opened: CaseOpened, today: date,
                     render: Callable[[dict[str, Any]], HttpResponse]) -> HttpResponse:
    """The case page from the cache, or `render(extra_context)` kept for the next read of the same version.
    The caller has opened the case (`case_opened_for`: scoping and the 调阅 entry) before calling this."""
    if len(messages.get_messages(request)):  # a flash message is shown once, on this page only
        return render({})
    key = page_key(request, opened, today)
    cache = caches[CACHE_ALIAS]
    hit = cache.get(key)
    if hit is not None:
        content, content_type = hit
        return HttpResponse(_with_token(request, content), content_type=content_type)
    response = render({"csrf_token": CSRF_PLACEHOLDER})
    if response.streaming:
        return response
    if response.status_code == 200 and not response.cookies:
        cache.set(key, (response.content, response["Content-Type"]))
    response.content = _with_token(request, response.content)
    return response
