"""Session policy (issue 9 defect 7, ADR 0016): an absolute lifetime beside the idle timeout, and the first-login
password change; the idle timeout's refresh at most once a minute (issue 11, ADR 0033).

The idle timeout is Django's: a stored session expires SESSION_COOKIE_AGE after it was last saved. SessionRefresh-
Middleware saves it when it changed, or when its last save is ZHIFA_SESSION_REFRESH_SECONDS old, instead of on every
request. SessionPolicyMiddleware also ends a session ZHIFA_SESSION_MAX_AGE_SECONDS after its sign-in, however active
it has been, and keeps a user whose password must be changed (a one-time password from `zhifa first_admin`) on the
password page until it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

LOGIN_AT = "zhifa_login_at"
SAVED_AT = "zhifa_saved_at"  # when the session was last written: its stored expiry is this plus SESSION_COOKIE_AGE


def record_login_time(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """user_logged_in receiver: the session remembers when its sign-in happened."""
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT] = int(time.time())


user_logged_in.connect(record_login_time, dispatch_uid="zhifa.accounts.record_login_time")


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            refused = self._check(request, user)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _check(self, request: HttpRequest, user: Any) -> HttpResponse | None:
        now = int(time.time())
        login_at = request.session.get(LOGIN_AT)
        if not isinstance(login_at, int):
            request.session[LOGIN_AT] = login_at = now  # a session from before this policy: its clock starts now
        is_api = request.path_info.startswith("/api/")
        if now - login_at > settings.ZHIFA_SESSION_MAX_AGE_SECONDS:
            logout(request)  # flushes the session: a new id, nothing of the old one kept
            if is_api:
                return None  # continue anonymously: the API answers 401 unless a valid token is sent
            hours = settings.ZHIFA_SESSION_MAX_AGE_SECONDS / 3600
            messages.warning(request, f"登录已超过 {hours:g} 小时，为保障安全请重新登录。")
            login_url = reverse(settings.LOGIN_URL)
            return HttpResponseRedirect(f"{login_url}?next={quote(request.get_full_path())}")
        if user.password_change_required:
            allowed = (reverse("accounts:password"), reverse("accounts:logout"), settings.STATIC_URL)
            if request.path_info.startswith(allowed):
                return None
            if is_api:
                return JsonResponse({"code": "password_change_required",
                                     "message": "请先在网页上修改初始密码。"}, status=403)
            return HttpResponseRedirect(reverse("accounts:password"))
        return None


class SessionRefreshMiddleware:
    """Keeps the idle timeout sliding without writing the session on every request (issue 11 point 3, ADR 0033).

    Placed right after SessionMiddleware, so its response half runs first. A session that holds data and was read
    by the request is marked for saving when it changed, when it has no save stamp, or when its last save is
    ZHIFA_SESSION_REFRESH_SECONDS or more ago; SessionMiddleware then writes it with a new expiry, now plus
    SESSION_COOKIE_AGE. A session is therefore never valid longer than SESSION_COOKIE_AGE after the last request
    (the timeout is never stretched), and a user whose requests are less than SESSION_COOKIE_AGE minus the refresh
    interval apart is never logged out. A session the request did not read is not written, as before.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty():  # never read, flushed, or anonymous with nothing stored
            return response
        now = int(time.time())
        saved_at = session.get(SAVED_AT)
        if (session.modified or not isinstance(saved_at, int) or saved_at > now
                or now - saved_at >= settings.ZHIFA_SESSION_REFRESH_SECONDS):
            session[SAVED_AT] = now
        return response
