"""Staff pages of legal review: the queue (tabs, scope, workload), the supervision page (REG-20 alert), the review
rounds card of the case page, and the review action forms (reviewer choices, checklist, refusals)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from zhifa.accounts.models import User
from zhifa.cases.engine import case_act
from zhifa.cases.models import Case, Deadline, PenaltyDetail
from zhifa.cases.testing import DAY, CaseWorld, actor_for, make_case_world, new_penalty_case, proposal, walk_to
from zhifa.records.ledger import tree_head
from zhifa.records.testing import business_entries_since
from zhifa.registry import models as reg
from zhifa.registry.testing import make_user
from zhifa.review.models import CheckItem, ReviewState

pytestmark = pytest.mark.django_db

QUEUE = reverse("review:queue")
SUPERVISION = reverse("review:supervision")


@pytest.fixture
def world(agency_a) -> CaseWorld:  # type: ignore[no-untyped-def]
    return make_case_world(agency_a)


def act(world: CaseWorld, case: Case, action: str, data: dict[str, Any], day: date = DAY,
        actor: User | None = None) -> Case:
    return case_act(actor=actor or actor_for(world, action), case_id=case.public_id, action=action, data=data,
                    today=day).case


def in_defense_review(world: CaseWorld, fine: str = "12000", head: User | None = None) -> Case:
    """A case whose fine is over the catalog's 10,000 CNY (REV-3), defense waived, on DAY; `head` gives the
    prior notice."""
    case = walk_to(world, new_penalty_case(world), "investigation_concluded")
    case = act(world, case, "issue_prior_notice", proposal(fine=fine, served_on=DAY), actor=head)
    return act(world, case, "close_defense", {"outcome": "waived", "on": DAY})


def submitted(world: CaseWorld, head: User | None = None) -> Case:
    return act(world, in_defense_review(world, head=head), "submit_legal_review", {"materials": "调查终结报告、证据材料"})


def assigned(world: CaseWorld) -> Case:
    case = submitted(world)
    return act(world, case, "assign_reviewer", {"reviewer": str(world["legal_reviewer"].public_id)})


def act_url(case: Case, action: str) -> str:
    return reverse("cases:act", args=[case.public_id, action])


def detail_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.public_id])


def opinion_post(problems: dict[str, str] | None = None, opinion: str = "意见") -> dict[str, str]:
    """The checklist form as a browser posts it: ticked boxes are "on", unticked ones are absent."""
    problems = problems or {}
    data = {"opinion": opinion}
    for item in CheckItem.values:
        if item in problems:
            data[f"{item}_note"] = problems[item]
        else:
            data[f"{item}_ok"] = "on"
            data[f"{item}_note"] = ""
    return data


def opinion_data(problems: dict[str, str] | None = None, opinion: str = "意见") -> dict[str, Any]:
    """The same as the service input."""
    problems = problems or {}
    return {"opinion": opinion, **{f"{i}_ok": i not in problems for i in CheckItem.values},
            **{f"{i}_note": problems.get(i, "") for i in CheckItem.values}}


# ---------------------------------------------------------------------------------------------------- queue


def test_queue_tabs_render_and_scope(client, world, agency_b, supervisor):
    case = submitted(world)
    reviewer = world["legal_reviewer"]
    client.force_login(reviewer)
    tabs = {}
    for tab in ("unassigned", "mine", "open", "overdue", "done"):
        response = client.get(f"{QUEUE}?tab={tab}")
        assert response.status_code == 200
        tabs[tab] = response.content.decode()
    assert case.reference in tabs["unassigned"] and case.title in tabs["unassigned"]
    assert "分配审核人员" in tabs["unassigned"] and "第 1 轮" in tabs["unassigned"]
    assert "较大数额罚没款" in tabs["unassigned"]  # the round's reasons (REV-3)
    assert case.reference in tabs["open"]
    assert case.reference not in tabs["mine"] and case.reference not in tabs["done"]
    # Submitted on 2026-06-01 with five working days: overdue by the time these tests run.
    assert case.reference in tabs["overdue"] and "已逾期" in tabs["overdue"]
    assert 'id="reviewer-workloads"' in tabs["open"] and reviewer.full_name in tabs["open"]
    assert client.get(f"{QUEUE}?tab=nonsense&page=x").status_code == 200

    act(world, case, "assign_reviewer", {"reviewer": str(reviewer.public_id)})
    mine = client.get(f"{QUEUE}?tab=mine").content.decode()
    assert case.reference in mine and "办理审核" in mine
    assert case.reference not in client.get(f"{QUEUE}?tab=unassigned").content.decode()

    # Agency B's reviewer and head see none of A's rounds.
    for role in ("legal_reviewer", "agency_head"):
        client.force_login(agency_b[role])
        for tab in ("unassigned", "mine", "open", "overdue", "done"):
            assert case.reference not in client.get(f"{QUEUE}?tab={tab}").content.decode()
    # The bureau's supervisor sees A in supervision (the queue is the legal office's).
    client.force_login(supervisor)
    assert client.get(QUEUE).status_code == 403
    page = client.get(SUPERVISION)
    assert page.status_code == 200
    html = page.content.decode()
    assert world.agency.name in html and agency_b.agency.name in html


def test_queue_and_supervision_need_their_roles(client, world):
    client.force_login(world["officer"])
    assert client.get(QUEUE).status_code == 403
    assert client.get(SUPERVISION).status_code == 403
    assert 'href="/staff/review/' not in client.get(reverse("cases:list")).content.decode()
    client.force_login(world["agency_head"])
    assert client.get(QUEUE).status_code == 200 and client.get(SUPERVISION).status_code == 200
    assert f'href="{QUEUE}"' in client.get(reverse("cases:list")).content.decode()


def test_supervision_figures_and_staffing_alert(client, world, agency_b, supervisor):
    case = assigned(world)
    act(world, case, "return_legal_review", {**opinion_data({"discretion": "未说明适用的裁量阶次"}),
                                             "opinion": "裁量依据不足"}, day=date(2026, 6, 2))
    client.force_login(supervisor)
    html = client.get(SUPERVISION).content.decode()
    # B has no legal reviewer: REG-20 requires at least one; A has its one.
    assert 'id="staffing-alert"' in html and "REG-20" in html
    alert = html.split('id="staffing-alert"', 1)[1].split("</div>", 1)[0]
    assert agency_b.agency.name in alert and world.agency.name not in alert
    row_a = html.split(f'data-agency="{world.agency.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "裁量基准运用是否适当" in html.split('id="problems-by-item"', 1)[1]
    assert "staffing-short" not in html.split(f'data-agency="{world.agency.pk}"', 1)[1].split(">", 1)[0]
    assert "staffing-short" in html.split(f'data-agency="{agency_b.agency.pk}"', 1)[1].split(">", 1)[0]
    assert ">1<" in row_a  # one returned round, one problem
    # The head of A sees only A.
    client.force_login(world["agency_head"])
    html = client.get(SUPERVISION).content.decode()
    assert world.agency.name in html and agency_b.agency.name not in html and 'id="staffing-alert"' not in html
    # Without its reviewer A is short too.
    reg.Staff.objects.filter(agency=world.agency, is_legal_reviewer=True).update(is_legal_reviewer=False)
    html = client.get(SUPERVISION).content.decode()
    assert 'id="staffing-alert"' in html and world.agency.name in html.split('id="staffing-alert"', 1)[1]


# ------------------------------------------------------------------------------------------------ case page


def test_case_page_shows_round_details(client, world):
    case = assigned(world)
    reviewer = world["legal_reviewer"]
    act(world, case, "request_review_materials", {"missing": "现场照片原件"}, day=date(2026, 6, 2))
    act(world, case, "supply_review_materials", {"note": "已补充"}, day=date(2026, 6, 4))
    act(world, case, "return_legal_review", {**opinion_data({"evidence": "缺少采砂量的测量记录"}),
                                             "opinion": "证据不足，请补充测量记录后重新送审。"}, day=date(2026, 6, 5))
    act(world, case, "coordinate_review", {"participants": "承办机构、法制机构", "disagreement": "对测量记录是否必要有分歧",
                                           "conclusion": "补充测量记录后重新送审", "outcome": "accept_review"},
        day=date(2026, 6, 8))
    client.force_login(world["officer"])
    html = client.get(detail_url(case)).content.decode()
    card = html.split('id="review-round-1"', 1)[1].split('id="timeline"', 1)[0]
    assert "第 1 轮" in html and "存在问题" in card
    assert "2026-06-01 由" in card and "收到完整材料" in card
    assert reviewer.full_name in card.split("review-assignee", 1)[1]
    rnd = case.review_rounds.get()
    clock = Deadline.objects.get(case=case, code="review")  # the one review clock (REV-6, ADR 0024)
    assert clock.due.isoformat() in card  # the due date, moved by the pause
    assert "2026-06-03 至 2026-06-04 暂停计时" in card and "现场照片原件" in card
    problem = card.split('data-item="evidence"', 1)[1].split("</tr>", 1)[0]
    assert "缺少采砂量的测量记录" in problem and "存在问题" in problem
    assert 'class="check-problem table-danger"' in card
    assert "证据不足，请补充测量记录后重新送审。" in card
    assert "承办机构采纳审核意见" in card and "对测量记录是否必要有分歧" in card
    from zhifa.documents.models import Document

    opinion = Document.objects.get(subject_id=case.public_id, doc_type="legal_review_opinion")
    assert rnd.opinion_document == opinion  # linked when issued (REV-9)
    assert reverse("documents:detail", args=[opinion.public_id]) in card
    assert "超期办结" not in card


def test_case_page_shows_the_rev_1_block_to_the_head(client, world):
    case = in_defense_review(world)
    client.force_login(world["agency_head"])
    html = client.get(detail_url(case)).content.decode()
    assert 'id="review-block"' in html and "REV-1" in html


# ----------------------------------------------------------------------------------------------- the forms


def test_assign_form_lists_reviewers_with_workload(client, world):
    other = make_user(world.agency, "legal_reviewer", username="a_reviewer2")
    reg.Staff.objects.create(agency=world.agency, name="郑新人", user=other, is_legal_reviewer=True)
    done = assigned(world)
    act(world, done, "pass_legal_review", opinion_data(opinion="同意"))
    case = submitted(world)
    client.force_login(world["legal_reviewer"])
    response = client.get(act_url(case, "assign_reviewer"))
    assert response.status_code == 200
    html = response.content.decode()
    me = world["legal_reviewer"]
    assert f'value="{me.public_id}"' in html
    assert f"{me.full_name}（进行中0件，已完成1件；具有法律职业资格）" in html
    assert f"{other.full_name}（进行中0件，已完成0件；未取得法律职业资格）" in html


def test_assigning_a_participant_is_refused_under_reg_19(client, world):
    second = make_user(world.agency, "legal_reviewer", "agency_head", username="a_head_reviewer")
    reg.Staff.objects.create(agency=world.agency, name="陈副局长", user=second, is_legal_reviewer=True,
                             has_legal_qualification=True)
    case = submitted(world, head=second)  # the second reviewer, as agency head, gave the prior notice
    client.force_login(world["legal_reviewer"])
    form = client.get(act_url(case, "assign_reviewer")).content.decode()
    assert "参与过本案办理，不得审核（REG-19）" in form.split(str(second.public_id), 1)[1].split("</option>", 1)[0]
    size_before = tree_head()[0]
    response = client.post(act_url(case, "assign_reviewer"), {"reviewer": str(second.public_id)})
    html = response.content.decode()
    assert response.status_code == 409
    assert 'id="action-error"' in html and "REG-19" in html and "不得审核本案" in html
    rnd = case.review_rounds.get()
    assert rnd.state == ReviewState.PENDING and rnd.assigned_to is None
    assert business_entries_since(size_before) == []  # re-showing the form is a 调阅, nothing else (defect 9)


def test_checklist_form_and_return_without_a_note(client, world):
    case = assigned(world)
    client.force_login(world["legal_reviewer"])
    page = client.get(act_url(case, "return_legal_review")).content.decode()
    assert 'id="checklist"' in page and page.count('class="check-row"') == len(CheckItem)
    checklist = page.split('id="checklist"', 1)[1].split("</fieldset>", 1)[0]
    assert "执法主体是否合法" in checklist and 'name="subject_ok"' in checklist and 'name="subject_note"' in checklist
    assert 'name="opinion"' not in checklist and 'name="opinion"' in page.split("</fieldset>", 1)[1]
    size_before = tree_head()[0]
    response = client.post(act_url(case, "return_legal_review"), opinion_post({"facts": ""}, opinion="存在问题"))
    html = response.content.decode()
    assert response.status_code == 409
    assert "请写明以下问题项的具体问题" in html and "案件事实是否清楚" in html and "REV-9" in html
    assert 'name="opinion"' in html and "存在问题</textarea>" in html  # the input is kept
    case.refresh_from_db()
    assert case.state == "legal_review" and case.review_rounds.get().state == ReviewState.IN_REVIEW
    assert business_entries_since(size_before) == []  # re-showing the form is a 调阅, nothing else (defect 9)
    response = client.post(act_url(case, "return_legal_review"), opinion_post({"facts": "违法时间前后矛盾"}))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "legal_review_returned"


def test_incomplete_package_lists_what_is_missing(client, world):
    case = in_defense_review(world)
    PenaltyDetail.objects.filter(case=case).update(investigation_report="", evidence_summary="")
    client.force_login(world["officer"])
    response = client.post(act_url(case, "submit_legal_review"), {"materials": "调查终结报告"})
    html = response.content.decode()
    assert response.status_code == 409 and "REV-15" in html
    items = html.split('id="action-error-items"', 1)[1].split("</ul>", 1)[0]
    assert "<li>调查终结报告</li>" in items and "<li>证据清单</li>" in items
    assert not case.review_rounds.exists()
