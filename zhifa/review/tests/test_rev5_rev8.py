"""REV-5 (when a case may be sent to legal review, and that review actions need a review in progress) and REV-8
(the opinion answers every checklist item), named in the tests that check them (issue 9 bar).

Each refusal leaves nothing behind: no state change, no ledger entry, no review round or check row."""

from __future__ import annotations

from datetime import date

import pytest

from zhifa.cases.engine import InvalidInput, case_act
from zhifa.cases.models import Case
from zhifa.cases.review_steps import review_subject
from zhifa.cases.testing import actor_for, make_case_world, new_penalty_case, walk_to
from zhifa.common.errors import ServiceError
from zhifa.records.ledger import tree_head
from zhifa.review import services as rv
from zhifa.review.models import CheckResult, ReviewRound
from zhifa.review.services import ALL_CHECKS_PASSED
from zhifa.review.subject import ClockState

pytestmark = pytest.mark.django_db

DAY = date(2026, 6, 1)


@pytest.fixture
def world(agency_a):  # noqa: ANN001, ANN201
    return make_case_world(agency_a)


def footprint(case: Case) -> tuple[str, int, int, int]:
    case.refresh_from_db()
    return (case.state, tree_head()[0], ReviewRound.objects.filter(case=case).count(),
            CheckResult.objects.filter(round__case=case).count())


def submit(world, case: Case) -> Case:  # noqa: ANN001
    return case_act(actor=world["officer"], case_id=case.public_id, action="submit_legal_review",
                    data={"materials": "调查终结报告、证据材料"}, today=DAY).case


def test_rev_5_no_review_before_the_investigation_is_concluded(world):
    """REV-5: review comes after investigation (and notice/defense), before the head decides: a case still being
    investigated cannot be sent to review, and no review action runs without a review in progress."""
    case = walk_to(world, new_penalty_case(world, day=DAY, act_date=date(2026, 5, 20),
                                           discovered_on=date(2026, 5, 21)), "investigating", day=DAY)
    before = footprint(case)
    with pytest.raises(ServiceError) as refused:
        submit(world, case)
    assert refused.value.rule == "CASE-59"  # not an allowed transition from 调查取证
    assert footprint(case) == before
    with pytest.raises(rv.ReviewRefused) as no_round:  # the service itself: no open round, nothing to act on
        rv.open_round(review_subject(case))
    assert no_round.value.rule == "REV-5"


def test_rev_8_every_checklist_item_must_be_answered(world):
    """REV-8: an opinion that leaves a checklist item unanswered is refused, at the API/form schema (422) and at the
    service (rule REV-8); a complete checklist is accepted and stored item by item."""
    case = walk_to(world, new_penalty_case(world, day=DAY, act_date=date(2026, 5, 20),
                                           discovered_on=date(2026, 5, 21)), "investigation_concluded", day=DAY)
    case = case_act(actor=actor_for(world, "issue_prior_notice"), case_id=case.public_id, action="issue_prior_notice",
                    data={"penalty_kinds": ["fine"], "fine_amount": "12000", "served_on": DAY,
                          "legal_basis_text": "《中华人民共和国水法》第六十五条第一款"}, today=DAY).case
    case = case_act(actor=actor_for(world, "close_defense"), case_id=case.public_id, action="close_defense",
                    data={"outcome": "waived", "on": DAY}, today=DAY).case
    case = submit(world, case)
    reviewer = world["legal_reviewer"]
    case = case_act(actor=reviewer, case_id=case.public_id, action="assign_reviewer",
                    data={"reviewer": str(reviewer.public_id)}, today=DAY).case
    before = footprint(case)

    partial = {k: v for k, v in ALL_CHECKS_PASSED.items() if k != "evidence_ok"}
    with pytest.raises(InvalidInput):
        case_act(actor=reviewer, case_id=case.public_id, action="pass_legal_review",
                 data={**partial, "opinion": "同意"}, today=DAY)
    assert footprint(case) == before

    checks = [rv.Check(key.removesuffix("_ok"), True, "") for key in partial]
    with pytest.raises(rv.ReviewRefused) as refused:
        rv.review_decide(subject=review_subject(case), actor=reviewer, on=DAY, checks=checks, opinion="同意",
                         passed=True, clock=ClockState(due=None))
    assert refused.value.rule == "REV-8"
    assert CheckResult.objects.filter(round__case=case).count() == 0

    case = case_act(actor=reviewer, case_id=case.public_id, action="pass_legal_review",
                    data={**ALL_CHECKS_PASSED, "opinion": "同意"}, today=DAY).case
    assert case.state == "legal_review_passed"
    assert CheckResult.objects.filter(round__case=case).count() == len(ALL_CHECKS_PASSED)
