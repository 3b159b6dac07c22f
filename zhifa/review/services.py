"""Legal review: which cases need it (REV-2/REV-3), rounds (REV-10), and the decision gate (REV-1, REV-13).

Issue 4's minimal record: the case's state table drives submission and the reviewer's pass/return; the review app
keeps the rounds and answers the gate. The full workflow (checklist, assignment, 5+3 working days) extends this.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from zhifa.registry.models import ActionType, PublicationStatus, ReviewCatalogItem
from zhifa.review.models import ReviewRound, ReviewState

if TYPE_CHECKING:
    from zhifa.accounts.models import User
    from zhifa.cases.models import Case


def proposal_of(case: Case) -> dict[str, Any]:
    """What the reviewer approves (REV-13): a later change of any of these needs a new round."""
    return {
        "penalty_kinds": sorted(case.penalty_kinds or []),
        "fine_amount": None if case.fine_amount is None else str(case.fine_amount),
        "confiscation_amount": None if case.confiscation_amount is None else str(case.confiscation_amount),
        "facts": case.facts,
        "legal_basis": case.legal_basis_text,
        "penalty_text": case.penalty_text,
    }


def _amount(value: Any) -> Decimal | None:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except InvalidOperation:
        return None


def _kind_matches(catalog_kinds: list[str], labels: list[str]) -> bool:
    return any(c and (c in label or label in c) for c in catalog_kinds for label in labels)


def review_scope(case: Case) -> list[str]:
    """Why this case's proposed decision needs legal review (empty: it does not). REV-2 and the agency's published
    法制审核目录清单 (REV-3), evaluated on the proposal: action type, penalty kinds, amount by party type, hearing,
    complexity, several legal relations, public interest, attention."""
    from zhifa.cases.gates import PENALTY_KINDS, party_is_person

    reasons: list[str] = []
    if case.hearing_held or hasattr(case, "hearing") and case.state in ("hearing_held", "hearing_terminated"):
        reasons.append(_("经过听证程序（REV-2）"))
    labels = [PENALTY_KINDS.get(k, k) for k in case.penalty_kinds or []]
    person = party_is_person(case)
    amount = (case.fine_amount or Decimal(0)) + (case.confiscation_amount or Decimal(0))
    items = ReviewCatalogItem.objects.filter(agency_id=case.agency_id, action_type=ActionType.PENALTY,
                                             publication_status=PublicationStatus.PUBLISHED)
    for item in items:
        threshold = _amount(item.amount_threshold_person if person else item.amount_threshold_organization)
        matched = (
            (threshold is not None and threshold > 0 and amount >= threshold)
            or (bool(item.penalty_kinds) and _kind_matches(list(item.penalty_kinds), labels))
            or (item.when_hearing_held and case.hearing_held)
            or (item.when_complex and case.is_complex)
            or (item.when_multiple_legal_relations and case.multiple_legal_relations)
            or (item.when_public_interest and case.public_interest)
            or (item.when_high_attention and case.high_attention)
        )
        if matched:
            reasons.append(_("法制审核目录：%(title)s（REV-3）") % {"title": item.title})
    return list(dict.fromkeys(reasons))


def latest_round(case: Case) -> ReviewRound | None:
    return ReviewRound.objects.filter(case=case).order_by("-number").first()


def review_gate(case: Case) -> tuple[str, str] | None:
    """None if the case may be decided as far as legal review goes, else (rule, Chinese reason): REV-1, REV-13."""
    if not case.legal_review_required:
        return None
    last = latest_round(case)
    if last is None:
        return "REV-1", _("本案属于重大执法决定，未经法制审核不得作出决定")
    if last.state != ReviewState.PASSED:
        return "REV-1", _("本案最近一轮法制审核尚未通过，不得作出决定")
    if last.proposal != proposal_of(case):
        return "REV-13", _("法制审核通过后，处理意见（事实、依据或处罚）已经改变，应当重新送审")
    return None


def review_submit(*, case: Case, actor: User, on: date, materials: str) -> ReviewRound:
    last = latest_round(case)
    return ReviewRound.objects.create(
        case=case, agency_id=case.agency_id, number=(last.number + 1) if last else 1, reasons=case.legal_review_reasons,
        proposal=proposal_of(case), materials=materials, submitted_by=actor, submitted_on=on,
    )


def review_decide(*, case: Case, actor: User, on: date, passed: bool, opinion: str) -> ReviewRound:
    last = latest_round(case)
    if last is None or last.state != ReviewState.PENDING:
        raise ValueError("no pending review round")
    last.state = ReviewState.PASSED if passed else ReviewState.RETURNED
    last.reviewer = actor
    last.decided_on = on
    last.opinion = opinion
    last.save(update_fields=["state", "reviewer", "decided_on", "opinion"])
    return last
