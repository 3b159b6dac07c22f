"""The idle timeout without a session write on every request (issue 11 point 3, ADR 0033; reliability.md AC-5).

The session is written when it changes or when its last write is ZHIFA_SESSION_REFRESH_SECONDS old; a session idle
longer than SESSION_COOKIE_AGE is logged out, an active one never is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from zhifa.accounts.middleware import SAVED_AT, SessionRefreshMiddleware
from zhifa.registry.testing import make_user

T0 = 1_900_000_000.0


class Clock:
    """Moves Django's timezone.now() (session expiry) and the middleware's time.time() together."""

    def __init__(self) -> None:
        self.now = T0

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def aware(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.now, tz=dt.UTC)


@pytest.fixture
def clock() -> Iterator[Clock]:
    c = Clock()
    with mock.patch("django.utils.timezone.now", c.aware), \
            mock.patch("zhifa.accounts.middleware.time.time", lambda: c.now):
        yield c


def _session_writes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries
            if "django_session" in q["sql"] and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))]


def _signed_in(username: str) -> Client:
    client = Client()
    client.force_login(make_user(None, "officer", username=username))
    assert client.get("/staff/").status_code == 200  # the first request stamps the session (a write)
    return client


def _logged_out(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_refresh_interval_is_a_minute_at_most() -> None:
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert settings.ZHIFA_SESSION_REFRESH_SECONDS == 60
    assert "zhifa.accounts.middleware.SessionRefreshMiddleware" in settings.MIDDLEWARE


def test_logged_in_get_within_the_minute_writes_no_session(db, clock) -> None:  # type: ignore[no-untyped-def]
    client = _signed_in("refresh1")
    clock.advance(59)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/staff/").status_code == 200
    assert _session_writes(queries) == []


def test_logged_in_get_after_the_minute_writes_the_session(db, clock) -> None:  # type: ignore[no-untyped-def]
    client = _signed_in("refresh2")
    clock.advance(60)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/staff/").status_code == 200
    writes = _session_writes(queries)
    assert len(writes) == 1 and writes[0].lstrip().upper().startswith("UPDATE")
    clock.advance(30)  # the write restarted the minute
    with CaptureQueriesContext(connection) as queries:
        client.get("/staff/")
    assert _session_writes(queries) == []


def test_a_changed_session_is_written_at_once(db, clock) -> None:  # type: ignore[no-untyped-def]
    client = _signed_in("refresh3")
    clock.advance(5)

    def view(request: HttpRequest) -> HttpResponse:
        request.session["changed"] = True  # a view that changes the session within the minute
        return HttpResponse("ok")

    request = RequestFactory().get("/staff/")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    with CaptureQueriesContext(connection) as queries:
        SessionMiddleware(SessionRefreshMiddleware(view))(request)
    assert len(_session_writes(queries)) == 1
    assert client.session["changed"] is True
    assert client.session[SAVED_AT] == int(clock.now)  # the write restarts the minute


def test_session_idle_longer_than_the_timeout_is_logged_out(db, clock) -> None:  # type: ignore[no-untyped-def]
    client = _signed_in("idle1")
    clock.advance(settings.SESSION_COOKIE_AGE + 1)
    assert _logged_out(client.get("/staff/"))


def test_timeout_counts_from_the_last_request_at_most(db, clock) -> None:  # type: ignore[no-untyped-def]
    """A request that wrote nothing does not stretch the timeout: idle more than SESSION_COOKIE_AGE after any
    request is always logged out."""
    client = _signed_in("idle2")
    clock.advance(30)
    assert client.get("/staff/").status_code == 200  # within the minute: no write
    clock.advance(settings.SESSION_COOKIE_AGE + 1)
    assert _logged_out(client.get("/staff/"))


@pytest.mark.parametrize("gap", [1, 59, 61, 600])
def test_active_user_is_never_logged_out(db, clock, gap) -> None:  # type: ignore[no-untyped-def]
    client = _signed_in(f"active{gap}")
    elapsed = 0
    while elapsed < 3 * settings.SESSION_COOKIE_AGE:
        clock.advance(gap)
        elapsed += gap
        assert client.get("/staff/").status_code == 200, f"logged out after {elapsed} s with requests {gap} s apart"


def test_requests_just_under_the_timeout_minus_the_interval_apart_stay_logged_in(db, clock) -> None:  # type: ignore[no-untyped-def]
    client = _signed_in("active-edge")
    gap = settings.SESSION_COOKIE_AGE - settings.ZHIFA_SESSION_REFRESH_SECONDS - 1
    for _ in range(4):
        clock.advance(gap)
        assert client.get("/staff/").status_code == 200


def test_anonymous_request_writes_no_session(db) -> None:
    with CaptureQueriesContext(connection) as queries:
        Client().get("/accounts/login/")
    assert _session_writes(queries) == []
