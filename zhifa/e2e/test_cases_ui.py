"""Case handling in a real browser: an officer on a phone does an on-the-spot penalty (the CASE-5 limit refuses
201 CNY and allows 200), and a general case passes legal review and is decided by the agency head."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import Page, expect

from zhifa.cases import engine
from zhifa.cases.models import Case
from zhifa.cases.testing import make_case_world, new_penalty_case, person_party, walk_to
from zhifa.documents.models import Document
from zhifa.e2e.conftest import PHONE
from zhifa.registry.testing import AgencyPersonas

pytestmark = pytest.mark.browser


@pytest.fixture
def case_dirs(settings, tmp_path: Path) -> None:  # noqa: ANN001
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "keys" / "ledger.pem"
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"


def outside_the_event_loop(fn: Callable[[], Any]) -> Any:
    """Run `fn` in a plain thread on this test's database connection. Playwright's sync API keeps an asyncio loop
    running in the test thread, and issuing a document signs its PDF with pyHanko's sync API, which calls
    asyncio.run() (refused inside a running loop)."""
    conn = connections["default"]
    outcome: dict[str, Any] = {}

    def run() -> None:
        connections["default"] = conn
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            outcome["error"] = exc

    conn.inc_thread_sharing()
    try:
        worker = threading.Thread(target=run)
        worker.start()
        worker.join()
    finally:
        conn.dec_thread_sharing()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_on_the_spot_penalty_on_a_phone(
    site: str, new_page: Callable[..., Page], login: Callable[..., None], agency_a: AgencyPersonas, case_dirs: None,
    shots: Path,
) -> None:
    make_case_world(agency_a)  # certified officers (王建国 is a_officer), an auxiliary, the agency's settings
    today = timezone.localdate()
    party = person_party(name="赵六")
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    login(page, "a_officer")

    # Register a simple-procedure case with a person party.
    page.goto(f"{site}/staff/cases/")
    assert no_horizontal_scroll(page)
    page.get_by_role("link", name="新建：行政处罚（简易程序）").click()
    page.get_by_label(re.compile("^案由")).fill("驾驶机动船在禁航水域航行")
    page.get_by_label(re.compile("^违法行为发生地")).fill("临湘市长江干流江南段")
    page.get_by_label("违法行为发生日期").fill(today.isoformat())
    page.get_by_label("当事人类型").select_option("person")
    page.get_by_label("姓名或名称").fill("赵六")
    page.get_by_label("公民身份号码").fill(party["id_number"])
    assert no_horizontal_scroll(page)
    page.get_by_role("button", name="登记").click()
    case = Case.objects.get(title="驾驶机动船在禁航水域航行")
    expect(page.get_by_role("heading", name=case.reference, level=1)).to_be_visible()
    expect(page.locator("#case-state")).to_have_text("现场登记")
    assert no_horizontal_scroll(page)

    # 当场作出行政处罚决定 with 201 CNY: refused under CASE-5, the case stays where it was.
    page.get_by_role("link", name="当场作出行政处罚决定").click()
    page.get_by_label("地点").fill("临湘市长江干流江南段3号码头")
    page.get_by_label("王建国").check()
    page.get_by_label("李秀英").check()
    page.get_by_label("已出示执法证件（REG-11）").check()
    page.get_by_label("违法事实（事实确凿）").fill("当事人驾驶机动船在禁航水域航行，经现场检查属实。")
    page.get_by_label("法定依据").fill("《中华人民共和国内河交通安全管理条例》第八十一条")
    page.get_by_label("罚款", exact=True).check()
    page.get_by_label("罚款金额（元）").fill("201")
    page.get_by_label("当事人已签收").check()
    assert no_horizontal_scroll(page)
    page.get_by_role("button", name="当场作出行政处罚决定").click()
    error = page.locator("#action-error")
    expect(error).to_contain_text("普通程序")
    expect(error).to_contain_text("CASE-5")
    expect(page.get_by_label("罚款金额（元）")).to_have_value("201")  # the input is kept
    page.screenshot(path=str(shots / "case-action-refused-phone.png"), full_page=True)
    case.refresh_from_db()
    assert case.state == "on_site"
    assert not Document.objects.filter(subject_id=case.public_id).exists()

    # 200 CNY: decided; the 当场行政处罚决定书 is issued with its number and its PDF downloads.
    page.get_by_label("罚款金额（元）").fill("200")
    page.get_by_role("button", name="当场作出行政处罚决定").click()
    expect(page.locator("#case-state")).to_have_text("已当场处罚")
    document = Document.objects.get(subject_id=case.public_id, doc_type="on_site_decision")
    assert document.number
    expect(page.get_by_role("alert").filter(has_text="已出具")).to_contain_text(f"当场行政处罚决定书（{document.number}）")
    row = page.locator(".document-row").filter(has_text="当场行政处罚决定书")
    expect(row).to_contain_text(document.number)
    href = row.get_by_role("link", name="下载PDF").get_attribute("href")
    response = page.request.get(f"{site}{href}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "case-page-phone.png"), full_page=True)

    # The 15-day payment deadline (CASE-51) is on the due list; list and due list fit the phone too.
    page.goto(f"{site}/staff/cases/due/?days=30")
    rows = page.get_by_role("row").filter(has_text=case.reference)
    expect(rows.filter(has_text="CASE-51")).to_have_count(1)
    expect(rows.filter(has_text="DISC-9")).to_have_count(1)  # the publication deadline (ADR 0044)
    assert no_horizontal_scroll(page)
    page.goto(f"{site}/staff/cases/?scope=all")
    expect(page.get_by_role("row").filter(has_text=case.reference)).to_contain_text("已当场处罚")
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(shots / "case-list-phone.png"), full_page=True)


def test_legal_review_then_decision(
    site: str, new_page: Callable[..., Page], login: Callable[..., None], agency_a: AgencyPersonas, case_dirs: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = make_case_world(agency_a)
    case = outside_the_event_loop(lambda: walk_to(world, new_penalty_case(world), "legal_review"))
    # The walk's dates are June 2026 (the hearing on the 15th): the browser's actions happen that day too.
    monkeypatch.setattr(engine, "today_in_china", lambda: date(2026, 6, 15))
    case_url = f"{site}/staff/cases/{case.public_id}/"

    head = new_page()
    login(head, "a_agency_head")
    head.goto(case_url)
    expect(head.locator("#case-state")).to_have_text("法制审核中")
    expect(head.get_by_role("link", name="作出行政处罚决定")).to_have_count(0)
    expect(head.get_by_role("button", name="作出行政处罚决定")).to_have_count(0)

    reviewer = new_page()
    login(reviewer, "a_legal_reviewer")
    reviewer.goto(case_url)
    reviewer.get_by_role("link", name="分配审核人员").click()
    reviewer.get_by_label("审核人员").select_option(str(world["legal_reviewer"].public_id))
    reviewer.get_by_role("button", name="分配审核人员").click()
    reviewer.get_by_role("link", name="出具审核意见：同意").click()
    for box in reviewer.locator("#checklist input[type=checkbox]").all():  # the REV-8 checklist, item by item
        box.check()
    reviewer.get_by_label(re.compile("^审核意见")).fill("事实清楚，证据确凿，适用依据正确，程序合法，同意。")
    reviewer.get_by_role("button", name="出具审核意见：同意").click()
    expect(reviewer.locator("#case-state")).to_have_text("法制审核通过")
    expect(reviewer.get_by_role("alert").filter(has_text="已完成")).to_contain_text("法制审核意见书")

    head.reload()
    head.get_by_role("link", name="作出行政处罚决定").click()
    head.get_by_role("button", name="作出行政处罚决定").click()
    expect(head.locator("#case-state")).to_have_text("已作出决定")
    decision = Document.objects.get(subject_id=case.public_id, doc_type="penalty_decision")
    expect(head.get_by_role("alert").filter(has_text="已出具")).to_contain_text(f"行政处罚决定书（{decision.number}）")
    row = head.locator(".document-row").filter(has_text=re.compile(r"^\s*行政处罚决定书"))
    expect(row).to_contain_text(decision.number)
    case.refresh_from_db()
    assert case.state == "decided" and case.decided_on == date(2026, 6, 15)
