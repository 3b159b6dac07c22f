"""A decision reaches the portal and leaves it again, in a real browser at phone size (issue 12, ADR 0044):
the disclosure officer reviews the highlighted draft, unmasks an organization's name that layer (a) masked wrongly
(the legal representative's name is part of it), sends it to review, the head approves, the officer publishes; the
public finds it by the organization's name; withdrawn with a reason, it disappears from search while its withdrawal
notice stays. DISC-1, DISC-9, DISC-12, DISC-20, DISC-21, DISC-23, DISC-24."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from zhifa.cases.testing import make_case_world
from zhifa.disclosure.models import DecisionDraft, EntryKind, PublicEntry
from zhifa.disclosure.search import invalidate_search_index
from zhifa.disclosure.services import public_entry_publish
from zhifa.disclosure.tests.test_decision_publication import ORG, decided, served
from zhifa.e2e.conftest import PHONE
from zhifa.e2e.test_cases_ui import no_horizontal_scroll, outside_the_event_loop
from zhifa.registry.testing import AgencyPersonas

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 900}
REASON = "原行政处罚决定已被行政复议机关撤销"


@pytest.fixture
def case_dirs(settings: Any, tmp_path: Path) -> None:
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "keys" / "ledger.pem"
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"
    settings.DISCLOSURE_USE_MODEL = False


def test_decision_is_reviewed_published_found_and_withdrawn_on_a_phone(
    site: str, new_page: Callable[..., Page], login: Callable[..., None], agency_a: AgencyPersonas, case_dirs: None,
    shots: Path,
) -> None:
    invalidate_search_index()
    world = make_case_world(agency_a)
    public_entry_publish(obj=world.agency, agency_id=world.agency.pk, version=1, actor=world["agency_admin"])
    # A decision is made and served (documents are signed outside Playwright's event loop).
    case = outside_the_event_loop(lambda: served(world, decided(world, day=date(2026, 9, 29))))
    draft = DecisionDraft.objects.get(case=case)
    inside = draft.original_text.index(ORG) + len("临湘市")  # the legal representative's name inside ORG

    # The disclosure officer finds the draft with its DISC-9 deadline and opens it.
    officer = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    login(officer, "a_disclosure_officer")
    officer.goto(f"{site}/staff/disclosure/decisions/")
    row = officer.locator("li").filter(has_text=draft.decision_number)
    expect(row).to_contain_text(ORG)
    expect(row).to_contain_text("DISC-9")
    assert no_horizontal_scroll(officer)
    row.get_by_role("link", name=draft.decision_number).click()
    text = officer.locator("#draft-text")
    expect(text).to_contain_text("临湘市刘某某砂石经营部")  # masked wrongly by layer (a)
    expect(text.locator("mark")).not_to_have_count(0)
    wrong = officer.locator(f"#mask-{inside}")
    expect(wrong).to_contain_text("刘德明")
    expect(wrong).to_contain_text("案件登记的个人信息")  # the reason of the mask
    assert no_horizontal_scroll(officer)
    officer.screenshot(path=str(shots / "decision-draft-phone.png"), full_page=True)

    # Unmask it with a reason; the legal representative's own line stays masked.
    wrong.get_by_placeholder("取消遮盖的理由").fill("系企业名称的一部分，企业名称应当公开")
    wrong.get_by_role("button", name="取消遮盖").click()
    expect(officer.get_by_role("alert")).to_contain_text("已取消遮盖")
    expect(text).to_contain_text(ORG)
    expect(text).to_contain_text("法定代表人（负责人）：刘某某")
    expect(officer.locator("table")).to_contain_text("系企业名称的一部分")  # the redaction log
    officer.get_by_role("button", name="提交内部审核").click()
    expect(officer.locator("#draft-state")).to_have_text("内部审核中")

    # DISC-1: the head approves.
    head = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    login(head, "a_agency_head")
    head.goto(f"{site}/staff/disclosure/decisions/{draft.public_id}/")
    head.get_by_role("button", name="审核通过").click()
    expect(head.locator("#draft-state")).to_have_text("审核通过，待发布")

    # The officer publishes.
    officer.reload()
    officer.get_by_role("button", name="发布到公开门户").click()
    expect(officer.get_by_role("alert")).to_contain_text("已在公开门户发布")
    expect(officer.locator("#draft-state")).to_have_text("已公开")
    entry = PublicEntry.objects.get(kind=EntryKind.DECISION, source_id=draft.pk, is_current=True)
    case.refresh_from_db()
    assert case.state == "published"

    # Desktop width: the same draft page and, below, the public decision page.
    desk = new_page(viewport=DESKTOP)
    login(desk, "a_disclosure_officer")
    desk.goto(f"{site}/staff/disclosure/decisions/{draft.public_id}/")
    desk.screenshot(path=str(shots / "decision-draft-desktop.png"), full_page=True)

    # The public finds it by the organization's name, on a phone, without logging in.
    public = new_page(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False)
    public.goto(f"{site}/search/")
    public.get_by_role("searchbox", name="关键词").fill(ORG)
    public.get_by_role("button", name="搜索").click()
    hit = public.get_by_role("link", name=entry.title)
    expect(hit).to_have_count(1)
    expect(public.locator("ol").filter(has=hit)).to_contain_text("行政执法决定")
    hit.click()
    expect(public.get_by_role("heading", name=entry.title, level=1)).to_be_visible()
    expect(public.locator("article")).to_contain_text(draft.decision_number)
    expect(public.locator("article")).to_contain_text(f"当事人：{ORG}")
    expect(public.locator("article")).to_contain_text("法定代表人（负责人）：刘某某")
    assert no_horizontal_scroll(public)
    public.screenshot(path=str(shots / "decision-public-phone.png"), full_page=True)
    decision_url = public.url
    desk.goto(decision_url)
    desk.screenshot(path=str(shots / "decision-public-desktop.png"), full_page=True)

    # DISC-23/24: withdrawn with a reason stated publicly.
    officer.get_by_label("撤下理由（DISC-23，向社会公开）").fill(REASON)
    officer.get_by_role("button", name="撤下").click()
    expect(officer.locator("#draft-state")).to_have_text("已撤下")

    public.goto(f"{site}/search/?q={ORG}")
    expect(public.get_by_role("link", name=entry.title)).to_have_count(0)
    public.goto(decision_url)
    expect(public.get_by_role("heading", name="该行政执法决定已撤下")).to_be_visible()
    expect(public.locator("article")).to_contain_text(REASON)
    expect(public.locator("article")).not_to_contain_text("决定书全文")
    public.screenshot(path=str(shots / "decision-withdrawn-phone.png"), full_page=True)
    entry.refresh_from_db()
    assert entry.withdrawal_reason == REASON and entry.body["text"]  # DISC-25: nothing hard-deleted
