"""Sign-in security in a real browser: lockout after repeated failures and login-protected staff pages.

等保 2.0 身份鉴别 (reliability.md AC-5): "应具有登录失败处理功能，应配置并启用结束会话、限制非法登录次数和当登录连接超时
自动退出等相关措施". The lockout is django-axes, by user name and source address together (AXES_FAILURE_LIMIT = 5;
issue 9 defect 7: a stranger elsewhere cannot lock the real user out).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from zhifa.e2e.conftest import fill_login_form
from zhifa.registry.testing import PASSWORD, make_agency, make_user

pytestmark = pytest.mark.browser


def test_five_wrong_passwords_lock_the_account(page: Page, site: str, settings) -> None:  # type: ignore[no-untyped-def]
    """AC-5 / 等保 login-failure handling: after five wrong passwords even the right one is refused."""
    assert settings.AXES_FAILURE_LIMIT == 5
    settings.ZHIFA_LOGIN_DELAY_SECONDS = 0  # the progressive delay between tries is tested in test_login_security.py
    make_user(make_agency("锁定测试水利局"), "officer", username="lock_me")

    for attempt in range(1, 5):
        fill_login_form(page, site, "lock_me", f"wrong-password-{attempt}")
        expect(page.get_by_role("alert")).to_contain_text("用户名或密码不正确")
        expect(page.locator("#locked-out")).to_have_count(0)

    # The fifth failure reaches the limit: the account is locked at once.
    fill_login_form(page, site, "lock_me", "wrong-password-5")
    expect(page.locator("#locked-out")).to_be_visible()

    # Sixth attempt with the correct password: still the locked-out page, and no session.
    fill_login_form(page, site, "lock_me", PASSWORD)
    expect(page.locator("#locked-out")).to_be_visible()
    expect(page.locator("#locked-out")).to_contain_text("临时锁定")
    page.goto(f"{site}/staff/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/staff/$"))
    expect(page.get_by_role("button", name="登录")).to_be_visible()


def test_staff_session_requires_login(page: Page, site: str) -> None:
    """AC-5: the staff UI is not reachable without signing in; /staff/ sends an anonymous visitor to the login page."""
    response = page.goto(f"{site}/staff/")
    assert response is not None and response.ok
    expect(page).to_have_url(f"{site}/accounts/login/?next=/staff/")
    expect(page.get_by_role("heading", name="执法工作平台登录")).to_be_visible()
    expect(page.get_by_label("用户名")).to_be_visible()
    expect(page.get_by_label("密码")).to_be_visible()
