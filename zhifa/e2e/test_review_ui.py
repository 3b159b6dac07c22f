"""Legal review in a real browser: a fine over the agency's review threshold cannot be decided before review
(REV-1); the officer submits, the reviewer takes the round from the queue on a phone, returns it with one problem
noted (REV-9), the officer records the coordination and resubmits (REV-10), the reviewer passes it with every
check ticked (REV-8), and the head decides."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from zhifa.cases import engine
from zhifa.cases.engine import case_act
from zhifa.cases.models import Case
from zhifa.cases.testing import DAY, make_case_world, new_penalty_case, proposal, walk_to
from zhifa.documents.models import Document
from zhifa.e2e.conftest import PHONE
from zhifa.e2e.test_cases_ui import case_dirs, no_horizontal_scroll, outside_the_event_loop  # noqa: F401
from zhifa.registry.testing import AgencyPersonas

pytestmark = pytest.mark.browser

TODAY = date(2026, 6, 2)  # the day after the walk (DAY, a Monday): the browser's actions happen then


def test_review_round_trip_in_the_browser(
    site: str, new_page: Callable[..., Page], login: Callable[..., None], agency_a: AgencyPersonas,
    case_dirs: None, monkeypatch: pytest.MonkeyPatch, shots: Path,  # noqa: F811
) -> None:
    world = make_case_world(agency_a, review_threshold="5000")

    def to_defense_review() -> Case:
        case = walk_to(world, new_penalty_case(world), "investigation_concluded")
        case = case_act(actor=world["agency_head"], case_id=case.public_id, action="issue_prior_notice",
                        data=proposal(fine="8000", served_on=DAY), today=DAY).case
        return case_act(actor=world["officer"], case_id=case.public_id, action="close_defense",
                        data={"outcome": "waived", "on": DAY}, today=DAY).case

    case = outside_the_event_loop(to_defense_review)
    assert case.state == "defense_review" and case.legal_review_required
    monkeypatch.setattr(engine, "today_in_china", lambda: TODAY)
    case_url = f"{site}/staff/cases/{case.public_id}/"
    reviewer_id = str(world["legal_reviewer"].public_id)

    # The head may not decide yet: the page says why, and the decision is refused under REV-1.
    head = new_page()
    login(head, "a_agency_head")
    head.goto(case_url)
    expect(head.locator("#case-state")).to_have_text("陈述申辩复核")
    expect(head.locator("#review-block")).to_contain_text("REV-1")
    head.get_by_role("link", name="作出行政处罚决定").click()
    head.get_by_role("button", name="作出行政处罚决定").click()
    expect(head.locator("#action-error")).to_contain_text("REV-1")
    assert not Document.objects.filter(subject_id=case.public_id, doc_type="penalty_decision").exists()

    # The officer submits the package.
    officer = new_page()
    login(officer, "a_officer")
    officer.goto(case_url)
    officer.get_by_role("link", name="送法制审核").click()
    officer.get_by_label(re.compile("^送审说明")).fill("调查终结报告、证据材料、事先告知及放弃陈述申辩材料")
    officer.get_by_role("button", name="送法制审核").click()
    expect(officer.locator("#case-state")).to_have_text("法制审核中")

    # The reviewer, on a phone, takes the round from the queue and returns it with one problem noted.
    reviewer = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    login(reviewer, "a_legal_reviewer")
    reviewer.goto(f"{site}/staff/review/?tab=unassigned")
    row = reviewer.locator("#review-queue tr").filter(has_text=case.reference)
    expect(row).to_contain_text("第 1 轮")
    assert no_horizontal_scroll(reviewer)
    reviewer.screenshot(path=str(shots / "review-queue-phone.png"), full_page=True)
    row.get_by_role("link", name="分配审核人员").click()
    reviewer.get_by_label("审核人员").select_option(reviewer_id)
    reviewer.get_by_role("button", name="分配审核人员").click()
    expect(reviewer.locator("#review-round-1 .review-assignee")).to_contain_text(world["legal_reviewer"].full_name)
    reviewer.get_by_role("link", name="出具审核意见：存在问题").click()
    for box in reviewer.locator("#checklist input[type=checkbox]").all():
        box.check()
    reviewer.get_by_label("裁量基准运用是否适当：符合").uncheck()
    reviewer.get_by_label("裁量基准运用是否适当：问题或说明").fill("未写明适用的裁量阶次及理由")
    reviewer.get_by_label(re.compile("^审核意见")).fill("裁量理由不充分，请补充后重新送审。")
    assert no_horizontal_scroll(reviewer)
    reviewer.screenshot(path=str(shots / "review-checklist-phone.png"), full_page=True)
    reviewer.get_by_role("button", name="出具审核意见：存在问题").click()
    expect(reviewer.locator("#case-state")).to_have_text("法制审核退回")
    expect(reviewer.get_by_role("alert").filter(has_text="已完成")).to_contain_text("法制审核意见书")
    problem = reviewer.locator("#review-round-1 tr.check-problem")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("未写明适用的裁量阶次及理由")
    assert no_horizontal_scroll(reviewer)

    # The officer records the coordination (accepting the opinion) and resubmits: round 2.
    officer.reload()
    officer.get_by_text("其他操作").click()
    officer.get_by_role("link", name="对审核意见有分歧，记录协调").click()
    officer.get_by_label("协调参加人员").fill("承办机构王建国，法制机构吴审核")
    officer.get_by_label("分歧意见").fill("承办机构认为裁量理由已在调查终结报告中说明")
    officer.get_by_label("协调结论").fill("在处理意见中补充裁量阶次及理由后重新送审")
    officer.get_by_label("处理方式").select_option("accept_review")
    officer.get_by_role("button", name="对审核意见有分歧，记录协调").click()
    expect(officer.locator("#review-round-1 .review-coordinations")).to_contain_text("承办机构采纳审核意见")
    officer.get_by_role("link", name="送法制审核").click()
    officer.get_by_label(re.compile("^送审说明")).fill("已补充裁量阶次及理由")
    officer.get_by_role("button", name="送法制审核").click()
    expect(officer.locator("#review-round-2")).to_contain_text("待分配")

    # The reviewer assigns round 2 and passes it with every check ticked.
    reviewer.goto(f"{site}/staff/review/?tab=unassigned")
    reviewer.locator("#review-queue tr").filter(has_text=case.reference).get_by_role(
        "link", name="分配审核人员").click()
    reviewer.get_by_label("审核人员").select_option(reviewer_id)
    reviewer.get_by_role("button", name="分配审核人员").click()
    reviewer.get_by_role("link", name="出具审核意见：同意").click()
    for box in reviewer.locator("#checklist input[type=checkbox]").all():
        box.check()
    reviewer.get_by_label(re.compile("^审核意见")).fill("事实清楚，证据确凿，适用依据正确，程序合法，裁量适当，同意。")
    reviewer.get_by_role("button", name="出具审核意见：同意").click()
    expect(reviewer.locator("#case-state")).to_have_text("法制审核通过")
    expect(reviewer.locator("#review-round-2 .review-document")).to_contain_text("法制审核意见书")
    assert no_horizontal_scroll(reviewer)
    reviewer.locator("#review").screenshot(path=str(shots / "review-rounds-phone.png"))

    # The head decides and sees the 行政处罚决定书.
    head.goto(case_url)
    expect(head.locator("#review-block")).to_have_count(0)
    head.get_by_role("link", name="作出行政处罚决定").click()
    head.get_by_role("button", name="作出行政处罚决定").click()
    expect(head.locator("#case-state")).to_have_text("已作出决定")
    decision = Document.objects.get(subject_id=case.public_id, doc_type="penalty_decision")
    expect(head.get_by_role("alert").filter(has_text="已出具")).to_contain_text(f"行政处罚决定书（{decision.number}）")
    expect(head.locator(".document-row").filter(has_text=re.compile(r"^\s*行政处罚决定书"))).to_contain_text(
        decision.number)
    case.refresh_from_db()
    assert case.state == "decided" and case.decided_on == TODAY
    assert [r.state for r in case.review_rounds.order_by("number")] == ["returned", "passed"]

    # The head's supervision page fits a phone.
    head.set_viewport_size(PHONE)
    head.goto(f"{site}/staff/review/supervision/")
    expect(head.locator("#supervision-agencies")).to_contain_text(world.agency.name)
    expect(head.locator("#problems-by-item")).to_contain_text("裁量基准运用是否适当")
    assert no_horizontal_scroll(head)
    head.screenshot(path=str(shots / "review-supervision-phone.png"), full_page=True)
