"""Login security (等保 2.0 身份鉴别, reliability.md AC-5) and API tokens."""

from __future__ import annotations

import importlib

import pytest
from django.conf import settings
from django.test import Client

from zhifa.accounts.models import ApiToken
from zhifa.accounts.services import api_token_create
from zhifa.common.errors import ServiceError
from zhifa.registry.testing import PASSWORD, make_user


def test_production_settings_hash_passwords_with_argon2() -> None:
    base = importlib.import_module("zhifa.settings")
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_argon2_hash_round_trip(db) -> None:
    from django.contrib.auth.hashers import Argon2PasswordHasher

    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("正确的密码-2026", hasher.salt())
    assert encoded.startswith("argon2$argon2id$")
    assert hasher.verify("正确的密码-2026", encoded)
    assert not hasher.verify("错误的密码", encoded)


def test_login_page_is_chinese(db) -> None:
    html = Client().get("/accounts/login/").content.decode()
    assert "执法工作平台登录" in html and "用户名" in html and "密码" in html


def test_login_and_logout(db) -> None:
    user = make_user(None, "officer", username="zhangsan")
    client = Client()
    response = client.post("/accounts/login/", {"username": "zhangsan", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session


def test_wrong_password_message_is_chinese_and_names_the_limit(db) -> None:
    make_user(None, "officer", username="lisi")
    response = Client().post("/accounts/login/", {"username": "lisi", "password": "wrong"})
    html = response.content.decode()
    assert "用户名或密码不正确" in html and str(settings.AXES_FAILURE_LIMIT) in html


def test_five_failures_lock_the_account_from_that_source_even_with_the_right_password(db, settings) -> None:
    """AC-5: after AXES_FAILURE_LIMIT (5) failures from one source, that source is locked out of the account.

    Other sources are not (issue 9 defect 7; test_login_security.py)."""
    settings.ZHIFA_LOGIN_DELAY_SECONDS = 0  # the progressive delay has its own test
    make_user(None, "officer", username="wangwu")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client(REMOTE_ADDR="10.0.0.1").post("/accounts/login/", {"username": "wangwu", "password": "bad"})
    client = Client(REMOTE_ADDR="10.0.0.1")
    response = client.post("/accounts/login/", {"username": "wangwu", "password": PASSWORD})
    assert response.status_code == 429
    assert "账户" in response.content.decode() and "临时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_four_failures_do_not_lock(db, settings) -> None:
    settings.ZHIFA_LOGIN_DELAY_SECONDS = 0
    make_user(None, "officer", username="zhaoliu")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/accounts/login/", {"username": "zhaoliu", "password": "bad"})
    assert client.post("/accounts/login/", {"username": "zhaoliu", "password": PASSWORD}).status_code == 302


def test_idle_timeout_is_configured_and_refreshed_at_most_once_a_minute() -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.ZHIFA_SESSION_REFRESH_SECONDS == 60  # test_session_refresh.py: the timeout stays strict


def test_expired_session_is_sent_back_to_login(db) -> None:
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    user = make_user(None, "officer", username="idle")
    client = Client()
    client.force_login(user)
    assert client.get("/staff/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    response = client.get("/staff/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_new_session_id_at_login(db) -> None:
    make_user(None, "officer", username="fixation")
    client = Client()
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key
    client.post("/accounts/login/", {"username": "fixation", "password": PASSWORD})
    assert client.session.session_key != before


def test_api_token_is_stored_hashed_and_shown_once(db) -> None:
    user = make_user(None, "officer", username="tok")
    row, clear = api_token_create(user=user, name="省平台对接")
    assert clear.startswith("zf_") and len(clear) > 40
    stored = ApiToken.objects.get(pk=row.pk)
    assert clear not in (stored.token_hash, stored.prefix)
    assert stored.token_hash == ApiToken.hash_token(clear)


def test_api_token_needs_a_name(db) -> None:
    user = make_user(None, "officer", username="tok2")
    with pytest.raises(ServiceError):
        api_token_create(user=user, name="  ")


def test_token_page_creates_and_revokes(db) -> None:
    user = make_user(None, "officer", username="tok3")
    client = Client()
    client.force_login(user)
    html = client.post("/accounts/tokens/", {"name": "移动端"}).content.decode()
    assert 'id="new-token"' in html
    row = ApiToken.objects.get(user=user)
    client.post(f"/accounts/tokens/{row.pk}/revoke/")
    row.refresh_from_db()
    assert row.revoked_at is not None
