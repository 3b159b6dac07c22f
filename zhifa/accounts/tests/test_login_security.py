"""Login security (issue 9 defect 7; reliability.md AC-5, partial: the second factor comes with issue 13).

Lockout by user name and source together with a progressive delay, API tokens that expire and stop on lockout and
deactivation, an absolute session lifetime, and the first administrator's forced password change (defect 2).
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from zhifa.accounts.middleware import LOGIN_AT
from zhifa.accounts.models import ApiToken, User
from zhifa.accounts.services import api_token_create
from zhifa.registry.testing import PASSWORD, make_user

API = "/api/v1/cases/kinds"


def _wait_out(username: str) -> None:
    """Move this user's failure times back, as if the progressive delay had passed (not the lockout)."""
    AccessAttempt.objects.filter(username=username).update(attempt_time=timezone.now() - timedelta(seconds=60))


def _fail(client: Client, username: str, times: int) -> None:
    for _ in range(times):
        _wait_out(username)
        response = client.post("/accounts/login/", {"username": username, "password": "wrong-password"})
        assert response.status_code in (200, 429)


def test_lockout_is_by_user_and_source_and_the_real_user_elsewhere_still_signs_in(db) -> None:
    """AC-5, defect 7: five failures lock out only the (user, source) pair: the real user elsewhere still logs in."""
    make_user(None, "officer", username="target")
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    _fail(attacker, "target", settings.AXES_FAILURE_LIMIT)

    _wait_out("target")  # even after the short delays, the pair stays locked for the cool-off
    response = attacker.post("/accounts/login/", {"username": "target", "password": PASSWORD})
    assert response.status_code == 429
    assert "临时锁定" in response.content.decode()
    assert 25 * 60 < int(response["Retry-After"]) <= 30 * 60
    assert "_auth_user_id" not in attacker.session

    real = Client(REMOTE_ADDR="10.1.2.3")
    response = real.post("/accounts/login/", {"username": "target", "password": PASSWORD})
    assert response.status_code == 302
    assert real.session["_auth_user_id"] == str(User.objects.get(username="target").pk)


def test_progressive_delay_answers_429_with_retry_after(db) -> None:
    """AC-5: each failure from a source doubles its wait for that account (1, 2, 4, 8 s); inside it, 429 unchecked."""
    make_user(None, "officer", username="slowdown")
    client = Client(REMOTE_ADDR="198.51.100.4")
    expected = [1, 2, 4, 8]
    for n, wait in enumerate(expected, start=1):
        _wait_out("slowdown")
        first = client.post("/accounts/login/", {"username": "slowdown", "password": f"bad-{n}"})
        assert first.status_code == 200 and "用户名或密码不正确" in first.content.decode()
        # At once again, even with the right password: refused without checking it, told how long to wait.
        again = client.post("/accounts/login/", {"username": "slowdown", "password": PASSWORD})
        assert again.status_code == 429
        assert 0 < int(again["Retry-After"]) <= wait
        assert "秒后重试" in again.content.decode()
        assert "_auth_user_id" not in client.session
    # The refused tries were not counted: four failures, so after the wait the right password works.
    _wait_out("slowdown")
    assert client.post("/accounts/login/", {"username": "slowdown", "password": PASSWORD}).status_code == 302


def test_delay_is_not_dodged_by_spelling_the_name_differently(db) -> None:
    """The wait applies to the account as the form cleans the name (surrounding spaces, full-width letters)."""
    make_user(None, "officer", username="spelled")
    client = Client(REMOTE_ADDR="198.51.100.5")
    client.post("/accounts/login/", {"username": "spelled", "password": "bad"})
    for variant in (" spelled ", "ｓｐｅｌｌｅｄ"):
        assert client.post("/accounts/login/", {"username": variant, "password": "bad"}).status_code == 429


def test_delay_does_not_reach_other_sources(db) -> None:
    make_user(None, "officer", username="shared")
    Client(REMOTE_ADDR="198.51.100.9").post("/accounts/login/", {"username": "shared", "password": "bad"})
    assert Client(REMOTE_ADDR="10.9.9.9").post(
        "/accounts/login/", {"username": "shared", "password": PASSWORD}).status_code == 302


def test_client_ip_header_behind_a_proxy(db, settings) -> None:  # type: ignore[no-untyped-def]
    """ZHIFA_CLIENT_IP_HEADER: behind a proxy the lockout keys on the address the proxy reports, not the proxy's."""
    settings.ZHIFA_CLIENT_IP_HEADER = "X-Forwarded-For"
    make_user(None, "officer", username="proxied")
    attacker = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.50")
    _fail(attacker, "proxied", settings.AXES_FAILURE_LIMIT)
    assert AccessAttempt.objects.filter(username="proxied", ip_address="203.0.113.50").exists()
    real = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.8")
    assert real.post("/accounts/login/", {"username": "proxied", "password": PASSWORD}).status_code == 302


def _api(token: str, ip: str = "10.0.0.1") -> int:
    return Client(REMOTE_ADDR=ip).get(API, HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def test_api_token_expires(db) -> None:
    """Defect 7: tokens expire, ZHIFA_API_TOKEN_DAYS (90) after creation."""
    user = make_user(None, "officer", username="expiring")
    row, clear = api_token_create(user=user, name="对接")
    assert settings.ZHIFA_API_TOKEN_DAYS == 90
    assert abs((row.expires_at - row.created_at) - timedelta(days=90)) < timedelta(seconds=5)
    assert _api(clear) == 200
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _api(clear) == 401


def test_api_token_stops_on_lockout_of_its_source(db) -> None:
    """Defect 7: a source locked out of a user cannot use that user's token either; other sources still can."""
    user = make_user(None, "officer", username="tokenlock")
    _row, clear = api_token_create(user=user, name="对接")
    assert _api(clear, "203.0.113.20") == 200
    _fail(Client(REMOTE_ADDR="203.0.113.20"), "tokenlock", settings.AXES_FAILURE_LIMIT)
    assert _api(clear, "203.0.113.20") == 401
    assert _api(clear, "10.0.0.2") == 200


def test_deactivation_ends_sessions_and_tokens_at_once(db) -> None:
    """AC-5 'disable a user with live sessions': `zhifa deactivate_user` ends sessions and tokens at once."""
    user = make_user(None, "officer", username="leaver")
    other = make_user(None, "officer", username="stayer")
    _row, clear = api_token_create(user=user, name="对接")
    browser, colleague = Client(), Client()
    browser.force_login(user)
    colleague.force_login(other)
    assert browser.get("/staff/").status_code == 200 and _api(clear) == 200

    out = StringIO()
    call_command("deactivate_user", "leaver", stdout=out)
    assert "结束会话 1 个" in out.getvalue() and "吊销 API 令牌 1 个" in out.getvalue()

    response = browser.get("/staff/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert _api(clear) == 401
    assert ApiToken.objects.get(user=user).revoked_at is not None
    assert Client().post("/accounts/login/", {"username": "leaver", "password": PASSWORD}).status_code == 200
    assert colleague.get("/staff/").status_code == 200  # nobody else's session is touched
    with pytest.raises(CommandError):
        call_command("deactivate_user", "nobody", stdout=StringIO())


def test_absolute_session_lifetime(db) -> None:
    """AC-5: a session ends ZHIFA_SESSION_MAX_AGE_SECONDS (12 h) after sign-in, however active it has been."""
    assert settings.ZHIFA_SESSION_MAX_AGE_SECONDS == 12 * 3600
    make_user(None, "officer", username="marathon")
    client = Client()
    assert client.post("/accounts/login/", {"username": "marathon", "password": PASSWORD}).status_code == 302
    assert client.get("/staff/").status_code == 200
    session = client.session
    old_key = session.session_key
    session[LOGIN_AT] = session[LOGIN_AT] - settings.ZHIFA_SESSION_MAX_AGE_SECONDS - 1
    session.save()
    response = client.get("/staff/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/staff/")
    assert "_auth_user_id" not in client.session
    assert not Session.objects.filter(session_key=old_key).exists()


def test_new_session_id_at_login_and_login_time_recorded(db) -> None:
    """AC-5 'session id before/after login': a new id at sign-in (no fixation)."""
    make_user(None, "officer", username="fixed")
    client = Client()
    client.get("/accounts/login/")
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    client.post("/accounts/login/", {"username": "fixed", "password": PASSWORD})
    assert client.session.session_key != before
    assert isinstance(client.session[LOGIN_AT], int)


def test_first_admin_has_a_one_time_password_that_must_be_changed(db) -> None:
    """Defect 2: a first start creates one administrator whose printed password must be changed at first login."""
    out = StringIO()
    call_command("first_admin", stdout=out)
    password = out.getvalue().split("一次性密码：")[1].split()[0]
    admin = User.objects.get()
    assert admin.username == "admin" and admin.is_system_admin and not admin.is_demo
    assert admin.password_change_required and admin.check_password(password)

    client = Client()
    response = client.post("/accounts/login/", {"username": "admin", "password": password})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    for path in ("/staff/", "/accounts/tokens/", "/staff/cases/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/accounts/password/", path
    assert client.get(API).status_code == 403
    page = client.get("/accounts/password/")
    assert page.status_code == 200 and 'id="password-required"' in page.content.decode()

    weak = client.post("/accounts/password/", {"old_password": password, "new_password1": "12345678",
                                               "new_password2": "12345678"})
    assert weak.status_code == 200
    new = "示范-长密码-Qw7!x2"
    done = client.post("/accounts/password/", {"old_password": password, "new_password1": new,
                                               "new_password2": new})
    assert done.status_code == 302
    admin.refresh_from_db()
    assert not admin.password_change_required and admin.check_password(new)
    assert client.get("/staff/").status_code == 200  # still signed in, now free to work

    with pytest.raises(CommandError):  # only on an empty database
        call_command("first_admin", stdout=StringIO())
