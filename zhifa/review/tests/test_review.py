"""Legal review at the service layer (rules.md §6): scope, package, assignment, the 5 + 3 working-day clock with
pauses across the 2026 Spring Festival and National Day (CAL-T2), checklist and opinion, rounds, coordination, and
the decision gate."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command

from zhifa.accounts.models import User
from zhifa.cases.engine import GateBlocked, case_act
from zhifa.cases.models import Case, Deadline, DeadlineState, PenaltyDetail
from zhifa.cases.testing import (
    actor_for,
    make_case_world,
    new_penalty_case,
    pass_review,
    proposal,
    walk_to,
)
from zhifa.common.errors import NotAllowed
from zhifa.documents.models import Document
from zhifa.records.ledger import tree_head
from zhifa.registry import models as reg
from zhifa.registry.testing import make_user
from zhifa.review.models import ReviewRound, ReviewState
from zhifa.review.services import ALL_CHECKS_PASSED, ReviewRefused

pytestmark = pytest.mark.django_db


def act(world, case: Case, action: str, data: dict[str, Any], day: date, actor: User | None = None) -> Case:  # noqa: ANN001
    return case_act(actor=actor or actor_for(world, action), case_id=case.public_id, action=action, data=data,
                    today=day).case


def in_defense_review(world, day: date, fine: str = "12000", **extra: Any) -> Case:  # noqa: ANN001
    """A case whose 12,000 CNY fine is over the catalog's 10,000 (REV-3), defense waived, on `day`."""
    case = walk_to(world, new_penalty_case(world, day=day, act_date=date.fromordinal(day.toordinal() - 10),
                                           discovered_on=date.fromordinal(day.toordinal() - 9), **extra),
                   "investigation_concluded", day=day)
    case = act(world, case, "issue_prior_notice", proposal(fine=fine, served_on=day), day)
    return act(world, case, "close_defense", {"outcome": "waived", "on": day}, day)


def submit(world, case: Case, day: date) -> Case:  # noqa: ANN001
    return act(world, case, "submit_legal_review", {"materials": "调查终结报告、证据材料"}, day)


def assign(world, case: Case, day: date, reviewer: User | None = None) -> Case:  # noqa: ANN001
    who = reviewer or world["legal_reviewer"]
    return act(world, case, "assign_reviewer", {"reviewer": str(who.public_id)}, day)


def frozen(day: date):  # noqa: ANN201
    return mock.patch("django.utils.timezone.now", return_value=datetime(day.year, day.month, day.day, 4,
                                                                         tzinfo=UTC))


@pytest.fixture
def world(agency_a):  # noqa: ANN001, ANN201
    return make_case_world(agency_a)


def test_scope_by_amount_threshold_and_by_hearing(world):
    small = in_defense_review(world, date(2026, 6, 1), fine="9999")
    assert small.legal_review_required is False
    assert act(world, small, "decide", {}, date(2026, 6, 1)).state == "decided"  # no review needed
    big = in_defense_review(world, date(2026, 6, 1))
    assert big.legal_review_required and any("较大数额罚没款" in r and "REV-3" in r for r in big.legal_review_reasons)
    heard = walk_to(world, new_penalty_case(world), "hearing_held")
    assert any("REV-2" in r for r in heard.legal_review_reasons)


def test_cal_t2_review_due_across_the_spring_festival_with_extension_and_tick(world):
    received = date(2026, 2, 12)  # Thu; 02-15…02-23 holiday; Sat 02-14 and 02-28 are make-up workdays
    case = submit(world, in_defense_review(world, received), received)
    rnd = ReviewRound.objects.get(case=case)
    row = Deadline.objects.get(case=case, code="review")  # the one review clock (REV-6, ADR 0024)
    assert rnd.received_on == row.start == received
    assert (row.rule, row.due, row.day_kind) == ("REV-6", date(2026, 2, 26), "working")
    assign(world, case, received)
    with pytest.raises(NotAllowed):  # the responsible leader approves the extension, not the reviewer
        act(world, case, "extend_review", {"reason": "案情复杂"}, received, actor=world["legal_reviewer"])
    act(world, case, "extend_review", {"reason": "案情复杂，需补充调查核实"}, received)
    rnd.refresh_from_db()
    row.refresh_from_db()
    assert row.due == date(2026, 3, 2) and rnd.extended
    with pytest.raises(ReviewRefused) as exc:
        act(world, case, "extend_review", {"reason": "再次延长"}, received)
    assert exc.value.rule == "REV-6"
    with frozen(date(2026, 3, 2)):
        call_command("tick", stdout=StringIO())
    row.refresh_from_db()
    assert row.state == DeadlineState.EXTENDED and row.due == date(2026, 3, 2)
    with frozen(date(2026, 3, 3)):
        call_command("tick", stdout=StringIO())
    row.refresh_from_db()
    assert row.state == DeadlineState.MISSED
    case = act(world, case, "pass_legal_review", {**ALL_CHECKS_PASSED, "opinion": "同意"}, date(2026, 3, 3))
    rnd.refresh_from_db()
    assert rnd.overdue is True and rnd.working_days_taken == 9


def test_national_day_review_due_and_pause_while_materials_are_returned(world):
    received = date(2026, 9, 29)  # Tue; 10-01…10-07 holiday; Sat 10-10 make-up workday
    case = submit(world, in_defense_review(world, received), received)
    assert Deadline.objects.get(case=case, code="review").due == date(2026, 10, 12)  # 09-30, 10-08, 10-09, 10-10, 10-12
    assign(world, case, received)
    act(world, case, "request_review_materials", {"missing": "当事人身份证明复印件"}, date(2026, 9, 30))
    row = Deadline.objects.get(case=case, code="review")
    assert row.state == DeadlineState.SUSPENDED
    with pytest.raises(ReviewRefused) as exc:  # no opinion while waiting for materials
        act(world, case, "pass_legal_review", {**ALL_CHECKS_PASSED, "opinion": "同意"}, date(2026, 10, 9))
    assert exc.value.rule == "REV-6"
    act(world, case, "supply_review_materials", {"note": "已补充"}, date(2026, 10, 9))
    # paused 10-01…10-09: the working days 10-08 and 10-09 do not count; 4 remain: 10-10, 10-12, 10-13, 10-14
    row.refresh_from_db()
    assert (row.state, row.due) == (DeadlineState.RUNNING, date(2026, 10, 14))


def test_returned_round_resubmitted_keeps_history_and_rev_9_needs_concrete_problems(world):
    day = date(2026, 6, 1)
    case = assign(world, submit(world, in_defense_review(world, day), day), day)
    with pytest.raises(ReviewRefused) as exc:  # 存在问题 must name the problem
        act(world, case, "return_legal_review", {**ALL_CHECKS_PASSED, "evidence_ok": False, "opinion": "不同意"}, day)
    assert exc.value.rule == "REV-9"
    with pytest.raises(ReviewRefused):  # and 同意 cannot carry a problem
        act(world, case, "pass_legal_review", {**ALL_CHECKS_PASSED, "facts_ok": False, "facts_note": "x",
                                               "opinion": "同意"}, day)
    case = act(world, case, "return_legal_review", {**ALL_CHECKS_PASSED, "evidence_ok": False,
                                                    "evidence_note": "缺少现场照片", "opinion": "存在问题"}, day)
    assert case.state == "legal_review_returned"
    opinion = Document.objects.get(subject_id=case.public_id, doc_type="legal_review_opinion")
    assert opinion.context["review"]["conclusion"] == "存在问题"
    case = pass_review(world, case, day)
    rounds = list(ReviewRound.objects.filter(case=case).order_by("number"))
    assert [(r.number, r.state, r.problems) for r in rounds] == [(1, "returned", 1), (2, "passed", 0)]
    assert rounds[0].checks.get(item="evidence").comment == "缺少现场照片"
    assert act(world, case, "decide", {}, day).state == "decided"


def test_disagreement_is_coordinated_and_escalated_to_collective_discussion(world):
    """REV-10 coordination escalated to the heads' collective discussion (CASE-14); REV-1 still holds."""
    day = date(2026, 6, 1)
    case = assign(world, submit(world, in_defense_review(world, day), day), day)
    case = act(world, case, "return_legal_review", {**ALL_CHECKS_PASSED, "discretion_ok": False,
                                                    "discretion_note": "罚款偏重", "opinion": "存在问题"}, day)
    case = act(world, case, "coordinate_review", {
        "participants": "承办机构负责人、法制审核人员", "disagreement": "承办机构认为罚款在裁量基准范围内",
        "conclusion": "双方未达成一致，提请集体讨论", "outcome": "collective"}, day, actor=world["unit_head"])
    assert case.state == "legal_review_disputed"
    with pytest.raises(Exception):  # noqa: B017 - still no decision without a passed review (REV-1)
        act(world, case, "decide", {}, day)
    case = act(world, case, "collective_discussion", {
        "participants": "局长、副局长、法制审核人员", "minutes": "讨论认为罚款偏重，按审核意见调整为一万元。",
        "conclusion": "调整处罚后重新送审"}, day)
    revised = {k: v for k, v in proposal(fine="10500").items() if k != "served_on"}
    act(world, case, "revise_proposal", revised, day)  # revised after the discussion, then reviewed again
    case = pass_review(world, case, day)
    assert act(world, case, "decide", {}, day).state == "decided"
    assert ReviewRound.objects.get(case=case, number=1).coordinations.get().outcome == "collective"


def test_reg_19_a_participant_cannot_review_and_reg_21_first_timer_needs_qualification(world):
    day = date(2026, 6, 1)
    case = submit(world, in_defense_review(world, day), day)
    # the head who approved the filing and decides: not a reviewer anyway; a second reviewer who investigated:
    investigator = make_user(world.agency, "legal_reviewer", "officer", username="a_reviewer_officer")
    staff = world.officers[2]
    staff.user = investigator
    staff.save()
    case.officers.create(staff=staff, certificate_number=staff.certificates.first().number, assigned_on=day)
    size = tree_head()[0]
    with pytest.raises(ReviewRefused) as exc:
        assign(world, case, day, reviewer=investigator)
    assert exc.value.rule == "REG-19" and tree_head()[0] == size
    novice = make_user(world.agency, "legal_reviewer", username="a_novice")
    reg.Staff.objects.create(agency=world.agency, name="新审核员", user=novice, is_legal_reviewer=True)
    with pytest.raises(ReviewRefused) as exc:
        assign(world, case, day, reviewer=novice)
    assert exc.value.rule == "REG-21"
    assert ReviewRound.objects.get(case=case).state == ReviewState.PENDING
    assign(world, case, day)  # the qualified, independent reviewer
    with pytest.raises(ReviewRefused) as exc:  # only the assigned reviewer gives the opinion
        act(world, case, "pass_legal_review", {**ALL_CHECKS_PASSED, "opinion": "同意"}, day, actor=novice)
    assert exc.value.rule == "REV-7"


def test_rev_15_incomplete_package_is_refused_with_what_is_missing(world):
    day = date(2026, 6, 1)
    item = reg.PowerItem.objects.create(agency=world.agency, code="CF-001", name="对未经批准采砂的处罚",
                                        action_type=reg.ActionType.PENALTY)
    reg.DiscretionBenchmark.objects.create(agency=world.agency, power_item=item, code="JZ-001", title="采砂裁量基准",
                                           effective_from=date(2026, 1, 1),
                                           publication_status=reg.PublicationStatus.PUBLISHED)
    case = in_defense_review(world, day, power_item=str(item.public_id))
    size = tree_head()[0]
    with pytest.raises(ReviewRefused) as exc:
        submit(world, case, day)
    assert exc.value.rule == "REV-15" and any("裁量基准" in m for m in exc.value.errors)
    assert tree_head()[0] == size and not ReviewRound.objects.filter(case=case).exists()


def test_rev_13_a_changed_proposal_after_the_pass_needs_a_new_round(world):
    day = date(2026, 6, 1)
    case = pass_review(world, in_defense_review(world, day), day)
    PenaltyDetail.objects.filter(case=case).update(fine_amount=Decimal("11000"))  # e.g. edited outside the flow
    with pytest.raises(GateBlocked) as exc:
        act(world, case, "decide", {}, day)
    assert exc.value.rule == "REV-13"


def test_extension_while_materials_are_awaited_keeps_the_clock_stopped_and_tick_skips_it(world):
    received = date(2026, 6, 1)
    case = assign(world, submit(world, in_defense_review(world, received), received), received)
    act(world, case, "request_review_materials", {"missing": "现场照片"}, date(2026, 6, 2))
    act(world, case, "extend_review", {"reason": "案情复杂"}, date(2026, 6, 3))
    row = Deadline.objects.get(case=case, code="review")
    assert row.state == DeadlineState.SUSPENDED
    with frozen(date(2026, 6, 30)):  # long after the nominal due date: a stopped clock is not missed
        call_command("tick", stdout=StringIO())
    row.refresh_from_db()
    assert row.state == DeadlineState.SUSPENDED
    act(world, case, "supply_review_materials", {}, date(2026, 6, 30))
    row.refresh_from_db()
    # received 06-01; 06-02 counted; paused 06-03…06-30; then 7 more working days (5 + 3 − 1): 07-01…07-09
    assert (row.state, row.due) == (DeadlineState.EXTENDED, date(2026, 7, 9))
