"""Legal review (rules.md §6): scope (REV-2/REV-3), the submission package (REV-15), assignment (REG-19, REG-21),
the 5 + 3 working-day clock with pauses (REV-6), the checklist and opinion (REV-8/REV-9), rounds and coordination
(REV-10), and the decision gate (REV-1, REV-13).

These functions run inside a case action (zhifa/review/actions.py), so they share its transaction and its ledger
entry; they refuse by raising `ReviewRefused` (a 409 naming the rule) before they write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from zhifa.accounts.roles import Role
from zhifa.common.errors import ServiceError
from zhifa.registry.models import ActionType, DiscretionBenchmark, PublicationStatus, ReviewCatalogItem, Staff
from zhifa.review.models import (
    CheckItem,
    CheckResult,
    Coordination,
    ReviewPause,
    ReviewRound,
    ReviewState,
)
from zhifa.workdays.calendar import Direction, load_calendar

if TYPE_CHECKING:
    from zhifa.accounts.models import User
    from zhifa.cases.models import Case

REVIEW_DAYS = 5  # REV-6
EXTENSION_DAYS = 3


class ReviewRefused(ServiceError):
    code = "review_refused"
    status = 409

    def __init__(self, message: str, *, rule: str, errors: list[str] | None = None) -> None:
        super().__init__(f"{message}（{rule}）", rule=rule)
        self.errors = errors or []


# ----------------------------------------------------------------------------------------------------------- scope


def proposal_of(case: Case) -> dict[str, Any]:
    """What the reviewer approves (REV-13): a later change of any of these needs a new round."""
    return {
        "penalty_kinds": sorted(case.penalty.penalty_kinds or []),
        "fine_amount": None if case.penalty.fine_amount is None else str(case.penalty.fine_amount),
        "confiscation_amount": (None if case.penalty.confiscation_amount is None
                                else str(case.penalty.confiscation_amount)),
        "facts": case.penalty.facts,
        "legal_basis": case.penalty.legal_basis_text,
        "penalty_text": case.penalty.penalty_text,
    }


def _amount(value: Any) -> Decimal | None:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except InvalidOperation:
        return None


def _kind_matches(catalog_kinds: list[str], labels: list[str]) -> bool:
    return any(c and (c in label or label in c) for c in catalog_kinds for label in labels)


def review_scope(case: Case, *, action_type: str = ActionType.PENALTY) -> list[str]:
    """Why this case's proposed decision needs legal review (empty: it does not): REV-2, and each criterion of the
    agency's published 法制审核目录清单 (REV-3) that the proposal matches — action type (the case kind's, passed by
    cases: ADR 0025), penalty kinds, amount by party type, hearing, complexity, several legal relations, public
    interest, public attention."""
    from zhifa.cases.gates import PENALTY_KINDS, party_is_person

    reasons: list[str] = []
    if case.penalty.hearing_held:
        reasons.append(_("经过听证程序（REV-2）"))
    labels = [PENALTY_KINDS.get(k, k) for k in case.penalty.penalty_kinds or []]
    person = party_is_person(case)
    amount = (case.penalty.fine_amount or Decimal(0)) + (case.penalty.confiscation_amount or Decimal(0))
    items = ReviewCatalogItem.objects.filter(agency_id=case.agency_id, action_type=action_type,
                                             publication_status=PublicationStatus.PUBLISHED)
    for item in items:
        threshold = _amount(item.amount_threshold_person if person else item.amount_threshold_organization)
        matched = [
            _("金额达到%(t)s元") % {"t": f"{threshold:,.0f}"}
            if threshold is not None and threshold > 0 and amount >= threshold else "",
            _("处罚种类") if item.penalty_kinds and _kind_matches(list(item.penalty_kinds), labels) else "",
            _("经过听证") if item.when_hearing_held and case.penalty.hearing_held else "",
            _("案情疑难复杂") if item.when_complex and case.is_complex else "",
            _("涉及多个法律关系") if item.when_multiple_legal_relations and case.multiple_legal_relations else "",
            _("涉及重大公共利益") if item.when_public_interest and case.public_interest else "",
            _("社会关注度高") if item.when_high_attention and case.high_attention else "",
        ]
        hits = [m for m in matched if m]
        if hits:
            reasons.append(_("法制审核目录：%(title)s（%(why)s，REV-3）") % {"title": item.title, "why": "、".join(hits)})
    return list(dict.fromkeys(reasons))


# ---------------------------------------------------------------------------------------------------------- rounds


def latest_round(case: Case) -> ReviewRound | None:
    return ReviewRound.objects.filter(case=case).order_by("-number").first()


def open_round(case: Case) -> ReviewRound:
    last = latest_round(case)
    if last is None or not last.is_open:
        raise ReviewRefused(_("本案没有进行中的法制审核"), rule="REV-5")
    return last


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


def package_of(case: Case) -> tuple[dict[str, Any], list[str]]:
    """The submission package (REV-15) built from the case, and the Chinese names of what is missing."""
    from zhifa.documents.models import Document

    docs = {d.doc_type: d for d in Document.objects.filter(subject_id=case.public_id).order_by("issued_at")}
    package: dict[str, Any] = {
        "investigation_report": case.penalty.investigation_report,
        "proposal": proposal_of(case),
        "facts": case.penalty.facts,
        "evidence": [line for line in case.penalty.evidence_summary.splitlines() if line.strip()],
        "legal_basis": case.penalty.legal_basis_text,
        "benchmark": None if case.penalty.benchmark is None else {"id": str(case.penalty.benchmark.public_id),
                                                                  "code": case.penalty.benchmark.code,
                                                                  "version": case.penalty.benchmark_version},
        "documents": [{"id": str(d.public_id), "type": d.doc_type, "name": d.name, "number": d.number}
                      for d in docs.values()],
        "hearing_held": case.penalty.hearing_held,
        "defense": case.penalty.defense_outcome,
    }
    missing = []
    if not case.penalty.investigation_report.strip():
        missing.append(_("调查终结报告"))
    if not (case.penalty.penalty_kinds or case.penalty.penalty_text.strip()):
        missing.append(_("拟作出的处理决定"))
    if not case.penalty.facts.strip():
        missing.append(_("违法事实"))
    if not package["evidence"]:
        missing.append(_("证据清单"))
    if not case.penalty.legal_basis_text.strip():
        missing.append(_("法律依据"))
    if case.penalty.benchmark_id is None and case.power_item_id is not None and DiscretionBenchmark.objects.filter(
            power_item_id=case.power_item_id, publication_status=PublicationStatus.PUBLISHED).exists():
        missing.append(_("适用的裁量基准（本事项有已公布的裁量基准，CASE-27）"))
    if case.penalty.notice_served_on is not None and "prior_notice" not in docs:
        missing.append(_("行政处罚事先告知书"))
    if case.penalty.defense_outcome == "statement" and "defense_record" not in docs:
        missing.append(_("陈述申辩笔录"))
    if case.penalty.hearing_held and case.state == "hearing_held" and "hearing_record" not in docs:
        missing.append(_("听证笔录"))
    return package, missing


def _due(case: Case, rnd: ReviewRound) -> Any:
    days = REVIEW_DAYS + (EXTENSION_DAYS if rnd.extended else 0)
    pauses = [(p.start, p.end) for p in rnd.pauses.all() if p.end is not None]
    assert rnd.received_on is not None
    return load_calendar(case.agency.region_code).add_working_days(
        rnd.received_on, days, direction=Direction.AGENCY_OBLIGATION, pauses=pauses)


def review_submit(*, case: Case, actor: User, on: date, materials: str, reasons: list[str]) -> ReviewRound:
    """REV-5/REV-15: a new round with the complete package; the 5-working-day clock starts on receipt (REV-6)."""
    from zhifa.cases.deadlines import deadline_start

    package, missing = package_of(case)
    if missing:
        raise ReviewRefused(_("送审材料不完整，缺少：%(m)s") % {"m": "、".join(missing)}, rule="REV-15", errors=missing)
    last = latest_round(case)
    rnd = ReviewRound.objects.create(
        case=case, agency_id=case.agency_id, number=(last.number + 1) if last else 1, reasons=reasons,
        proposal=proposal_of(case), package=package, materials=materials, submitted_by=actor, submitted_on=on,
        received_on=on,
    )
    due = _due(case, rnd)
    rnd.due = due.due
    rnd.save(update_fields=["due"])
    deadline_start(case=case, code="review", rule="REV-6", label=_("法制审核（收到完整材料之日起5个工作日）"), start=on,
                   due=due)
    return rnd


# ------------------------------------------------------------------------------------------------------ assignment


def case_participants(case: Case) -> set[int]:
    """Users who handled, approved or investigated the case (REG-19): its officers' accounts and everyone who took
    a case action other than the review's own."""
    from zhifa.cases.models import CaseOfficer
    from zhifa.records.models import LedgerEntry

    users = set(CaseOfficer.objects.filter(case=case, staff__user__isnull=False)
                .values_list("staff__user_id", flat=True))
    review_kinds = {f"case.{name}" for name in REVIEW_ACTION_NAMES}
    import json

    from zhifa.accounts.models import User as UserModel

    actor_ids: set[str] = set()
    for kind, raw in LedgerEntry.objects.filter(stream=case.stream, kind__startswith="case.").values_list(
            "kind", "canonical"):
        if kind in review_kinds:
            continue
        actor = json.loads(bytes(raw)).get("actor") or {}
        if actor.get("id"):
            actor_ids.add(actor["id"])
    users |= set(UserModel.objects.filter(public_id__in=actor_ids).values_list("pk", flat=True))
    return {u for u in users if u is not None}


def first_penalty_review(user: User) -> bool:
    return not ReviewRound.objects.filter(reviewer=user, state__in=[ReviewState.PASSED, ReviewState.RETURNED]).exists()


def assignment_problem(case: Case, reviewer: User) -> tuple[str, str] | None:
    """(rule, reason) if `reviewer` may not review this case, else None."""
    if reviewer.agency_id != case.agency_id or not reviewer.has_role(Role.LEGAL_REVIEWER):
        return "REG-19", _("%(name)s不是本机关的法制审核人员") % {"name": reviewer.full_name}
    if reviewer.pk in case_participants(case):
        return "REG-19", _("%(name)s承办、审批或调查过本案，不得审核本案") % {"name": reviewer.full_name}
    staff = Staff.objects.filter(user=reviewer).first()
    if first_penalty_review(reviewer) and not (staff and staff.has_legal_qualification):
        return "REG-21", _("初次从事行政处罚决定法制审核的人员，应当取得法律职业资格，%(name)s尚未取得") % {
            "name": reviewer.full_name}
    return None


def review_assign(*, case: Case, actor: User, reviewer: User, on: date) -> ReviewRound:
    rnd = open_round(case)
    problem = assignment_problem(case, reviewer)
    if problem:
        raise ReviewRefused(problem[1], rule=problem[0])
    rnd.assigned_to, rnd.assigned_by, rnd.assigned_on = reviewer, actor, on
    if rnd.state == ReviewState.PENDING:
        rnd.state = ReviewState.IN_REVIEW
    rnd.save(update_fields=["assigned_to", "assigned_by", "assigned_on", "state"])
    return rnd


def _require_assigned(rnd: ReviewRound, actor: User) -> None:
    if rnd.assigned_to_id != actor.pk:
        raise ReviewRefused(_("只有分配的审核人员可以办理本轮审核"), rule="REV-7")


# ------------------------------------------------------------------------------------------------- clock and rounds


def review_request_materials(*, case: Case, actor: User, on: date, missing: str) -> ReviewRound:
    """Materials returned for completion: the clock pauses from the day after `on` (REV-6, CAL-14)."""
    from zhifa.cases.models import Deadline, DeadlineState

    rnd = open_round(case)
    _require_assigned(rnd, actor)
    if rnd.state != ReviewState.IN_REVIEW:
        raise ReviewRefused(_("本轮审核已在等待补充材料"), rule="REV-6")
    ReviewPause.objects.create(round=rnd, start=date.fromordinal(on.toordinal() + 1), missing=missing)
    rnd.state = ReviewState.MATERIALS_REQUESTED
    rnd.save(update_fields=["state"])
    Deadline.objects.filter(case=case, code="review", state__in=["running", "extended"]).update(
        state=DeadlineState.SUSPENDED)
    return rnd


def review_materials_supplied(*, case: Case, on: date) -> ReviewRound:
    from zhifa.cases.deadlines import _event
    from zhifa.cases.models import Deadline, DeadlineState

    rnd = open_round(case)
    pause = rnd.pauses.filter(end__isnull=True).first()
    if rnd.state != ReviewState.MATERIALS_REQUESTED or pause is None:
        raise ReviewRefused(_("审核人员没有要求补充材料"), rule="REV-6")
    pause.end = max(on, pause.start)
    if on < pause.start:  # supplied the same day: nothing paused
        pause.delete()
    else:
        pause.save()
    rnd.state = ReviewState.IN_REVIEW
    _reschedule(case, rnd, "resumed")
    row = Deadline.objects.filter(case=case, code="review", state__in=[
        DeadlineState.SUSPENDED, DeadlineState.RUNNING, DeadlineState.EXTENDED]).first()
    if row is not None:
        row.state = DeadlineState.EXTENDED if rnd.extended else DeadlineState.RUNNING
        assert rnd.due is not None
        row.history = [*row.history, _event("resumed", due=rnd.due)]
        row.due = rnd.due
        row.save(update_fields=["state", "history", "due"])
    return rnd


def _reschedule(case: Case, rnd: ReviewRound, _why: str) -> None:
    rnd.due = _due(case, rnd).due
    rnd.save(update_fields=["state", "due", "extended", "extension_approved_by", "extension_reason"])


def review_extend(*, case: Case, actor: User, on: date, reason: str) -> ReviewRound:
    """REV-6: one extension of 3 working days for a complex case, approved by the responsible leader."""
    from zhifa.cases.deadlines import deadline_extend

    rnd = open_round(case)
    if rnd.extended:
        raise ReviewRefused(_("法制审核期限只能延长一次"), rule="REV-6")
    rnd.extended, rnd.extension_approved_by, rnd.extension_reason = True, actor, reason
    _reschedule(case, rnd, "extended")
    assert rnd.due is not None
    deadline_extend(case=case, code="review", new_due=rnd.due, reason=reason)
    if rnd.state == ReviewState.MATERIALS_REQUESTED:  # still waiting for materials: the clock stays stopped
        from zhifa.cases.models import Deadline, DeadlineState

        Deadline.objects.filter(case=case, code="review", state=DeadlineState.EXTENDED).update(
            state=DeadlineState.SUSPENDED)
    return rnd


@dataclass(frozen=True)
class Check:
    item: str
    passed: bool
    comment: str


def review_decide(*, case: Case, actor: User, on: date, checks: list[Check], opinion: str,
                  passed: bool) -> ReviewRound:
    """REV-8/REV-9: every checklist item answered; 同意 only when all pass, 存在问题 with each problem stated."""
    from zhifa.cases.deadlines import deadline_meet

    rnd = open_round(case)
    _require_assigned(rnd, actor)
    if rnd.state != ReviewState.IN_REVIEW:
        raise ReviewRefused(_("正在等待补充材料，不能出具审核意见"), rule="REV-6")
    answered = {c.item for c in checks}
    if answered != set(CheckItem.values):
        raise ReviewRefused(_("审核清单的每一项都应当作出判断"), rule="REV-8")
    problems = [c for c in checks if not c.passed]
    if passed and problems:
        raise ReviewRefused(_("审核清单中有问题项，应当出具“存在问题”的意见"), rule="REV-9")
    if not passed and not problems:
        raise ReviewRefused(_("出具“存在问题”的意见，应当在审核清单中指出具体问题"), rule="REV-9")
    unexplained = [CheckItem(c.item).label for c in problems if not c.comment.strip()]
    if unexplained:
        raise ReviewRefused(_("请写明以下问题项的具体问题：%(items)s") % {"items": "、".join(str(u) for u in unexplained)},
                            rule="REV-9")
    CheckResult.objects.bulk_create([CheckResult(round=rnd, item=c.item, passed=c.passed, comment=c.comment)
                                     for c in checks])
    rnd.state = ReviewState.PASSED if passed else ReviewState.RETURNED
    rnd.reviewer, rnd.decided_on, rnd.opinion, rnd.problems = actor, on, opinion, len(problems)
    assert rnd.received_on is not None
    cal = load_calendar(case.agency.region_code)
    pauses = [(p.start, p.end) for p in rnd.pauses.all() if p.end is not None]
    rnd.working_days_taken = cal.working_days_between(rnd.received_on, on, pauses=pauses) \
        if on > rnd.received_on else 0
    rnd.overdue = rnd.due is not None and on > rnd.due
    rnd.save()
    deadline_meet(case=case, code="review", on=on)
    return rnd


def review_coordinate(*, case: Case, actor: User, on: date, participants: str, disagreement: str,
                      conclusion: str, outcome: str) -> Coordination:
    """REV-10: the handling unit disagrees with a 存在问题 opinion: a coordination record, then the agency head or
    the heads' collective discussion, or the unit accepts the opinion and resubmits."""
    last = latest_round(case)
    if last is None or last.state != ReviewState.RETURNED:
        raise ReviewRefused(_("只有对“存在问题”的审核意见才需要协调"), rule="REV-10")
    return Coordination.objects.create(round=last, on=on, participants=participants, disagreement=disagreement,
                                       conclusion=conclusion, outcome=outcome, recorded_by=actor)


def checks_from(data: Mapping[str, Any]) -> list[Check]:
    return [Check(item, bool(data.get(f"{item}_ok")), str(data.get(f"{item}_note") or ""))
            for item in CheckItem.values if data.get(f"{item}_ok") is not None]


REVIEW_ACTION_NAMES = ("submit_legal_review", "assign_reviewer", "request_review_materials",
                       "supply_review_materials", "extend_review", "pass_legal_review", "return_legal_review",
                       "coordinate_review")
