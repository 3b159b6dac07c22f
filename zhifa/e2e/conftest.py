"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's live server.

Never `playwright install`: the browser is the distribution's /usr/bin/chromium (Makefile, sysdeps-test).
Playwright's sync API runs an asyncio loop in the test thread, so Django's async-safety check is switched off here;
the ORM calls of a test run in that same thread, before and between page actions.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from zhifa.registry.testing import PASSWORD

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path("/tmp/zhifa-shots")
TIMEOUT_MS = 10_000
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def site(ledger_db, live_server) -> str:  # type: ignore[no-untyped-def]
    """Base URL of the live server. The test's rows are committed, so the server thread sees them."""
    return live_server.url


@pytest.fixture
def page(page: Page) -> Iterator[Page]:
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(TIMEOUT_MS)
    yield page


@pytest.fixture
def new_page(browser: Browser, browser_context_args: dict) -> Iterator[Callable[..., Page]]:
    """Factory for a page in a fresh browser context (own cookies: another person, or an anonymous visitor).

    Every context is closed when the test ends, pass or fail, so no keep-alive connection outlives the test.
    """
    contexts: list[BrowserContext] = []

    def _new_page(**context_args: Any) -> Page:
        context = browser.new_context(**{**browser_context_args, **context_args})
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


@pytest.fixture
def shots() -> Path:
    """Where screenshots go for a human to look at (not committed)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def fill_login_form(page: Page, site: str, username: str, password: str) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


@pytest.fixture
def login(site: str) -> Callable[..., None]:
    """Sign `page` in through the login form, as a person would, and wait for the staff home page."""

    def _login(page: Page, username: str, password: str = PASSWORD) -> None:
        fill_login_form(page, site, username, password)
        expect(page).to_have_url(f"{site}/staff/")

    return _login
