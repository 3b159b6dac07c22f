"""The Content-Security-Policy in a real browser (issue 9 defect 14; reliability.md AC-8 header scan).

Chromium loads the main staff and portal pages under the policy (no inline script or style) and must report no
violation: neither a `securitypolicyviolation` event nor a "Content Security Policy" console error. The styles moved
out of inline blocks (cases.css, the supervision bars) must still apply.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from zhifa.cases.testing import make_case_world, new_penalty_case
from zhifa.e2e.test_cases_ui import case_dirs, outside_the_event_loop  # noqa: F401
from zhifa.registry.testing import AgencyPersonas

pytestmark = pytest.mark.browser

# Every violation the page sees, kept on the window (an init script runs before any page script).
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _watch(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.add_init_script(WATCH)
    return errors


def _visit(page: Page, url: str, errors: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, url
    assert "default-src 'self'" in (response.header_value("content-security-policy") or ""), url
    page.wait_for_load_state("load")
    violations = page.evaluate("window.__cspViolations || []")
    csp_errors = [e for e in errors if "Content Security Policy" in e or e.startswith("pageerror")]
    assert not violations and not csp_errors, (url, violations, csp_errors)


def test_main_pages_load_without_csp_violations(
    site: str, new_page: Callable[..., Page], login: Callable[..., None], agency_a: AgencyPersonas,
    case_dirs: None, shots: Path,  # noqa: F811
) -> None:
    world = make_case_world(agency_a)
    case = outside_the_event_loop(lambda: new_penalty_case(world))

    visitor = new_page()
    errors = _watch(visitor)
    for path in ("/", "/search/?q=水利", "/transparency/", "/accounts/login/", "/api/v1/docs"):
        _visit(visitor, f"{site}{path}", errors)

    officer = new_page()
    errors = _watch(officer)
    login(officer, "a_officer")
    for path in ("/staff/", "/staff/cases/", f"/staff/cases/{case.public_id}/", "/accounts/tokens/",
                 "/accounts/password/"):
        _visit(officer, f"{site}{path}", errors)
    # cases.css (formerly an inline <style>) applies: the large tap targets of the cases pages.
    officer.goto(f"{site}/staff/cases/{case.public_id}/")
    button = officer.locator(".cases-ui .btn").first
    expect(button).to_be_visible()
    assert float(button.evaluate("b => getComputedStyle(b).minHeight").removesuffix("px")) >= 44

    head = new_page()
    errors = _watch(head)
    login(head, "a_agency_head")
    _visit(head, f"{site}/staff/review/supervision/", errors)
    head.screenshot(path=str(shots / "csp-supervision.png"), full_page=True)
