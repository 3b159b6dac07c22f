"""Legal review (rules.md §6) of a review subject (zhifa/review/subject.py): scope (REV-2/REV-3), the submission
package (REV-15), assignment (REG-19, REG-21), the 5 + 3 working-day clock with pauses (REV-6: review computes the
dates, the subject's owner keeps the clock row and the pauses), the checklist and opinion (REV-8/REV-9), rounds and
coordination (REV-10), and the decision gate (REV-1, REV-13).

These functions run inside an action of the subject's owner (for cases: zhifa/cases/review_steps.py), so they share
its transaction and its ledger entry; they refuse by raising `ReviewRefused` (a 409 naming the rule) before they
write. Nothing here imports the owner's app (ADR 0024).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from zhifa.accounts.roles import Role
from zhifa.common.errors import ServiceError
from zhifa.registry.models import PublicationStatus, ReviewCatalogItem, Staff
from zhifa.review.models import (
    CheckItem,
    CheckResult,
    Coordination,
    ReviewRound,
    ReviewState,
)
from zhifa.review.subject import ClockState, ReviewSubject
from zhifa.workdays.calendar import Deadline as Due
from zhifa.workdays.calendar import Direction, load_calendar

if TYPE_CHECKING:
    from zhifa.accounts.models import User
    from zhifa.documents.models import Document

REVIEW_DAYS = 5  # REV-6
EXTENSION_DAYS = 3


class ReviewRefused(ServiceError):
    code = "review_refused"
    status = 409

    def __init__(self, message: str, *, rule: str, errors: list[str] | None = None) -> None:
        super().__init__(f"{message}（{rule}）", rule=rule)
        self.errors = errors or []


# ----------------------------------------------------------------------------------------------------------- scope


def _amount(value: Any) -> Decimal | None:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except InvalidOperation:
        return None


def _kind_matches(catalog_kinds: list[str], labels: tuple[str, ...]) -> bool:
    return any(c and (c in label or label in c) for c in catalog_kinds for label in labels)


def review_scope(subject: ReviewSubject) -> list[str]:
    """Why the subject's proposed decision needs legal review (empty: it does not): REV-2, and each criterion of the
    agency's published 法制审核目录清单 (REV-3) for the subject's action type that the proposal matches — penalty
    kinds, amount by party type, hearing, complexity, several legal relations, public interest, public attention."""
    c = subject.criteria
    reasons: list[str] = []
    if c.hearing_held:
        reasons.append(_("经过听证程序（REV-2）"))
    items = ReviewCatalogItem.objects.filter(agency_id=subject.agency_id, action_type=c.action_type,
                                             publication_status=PublicationStatus.PUBLISHED)
    for item in items:
        threshold = _amount(item.amount_threshold_person if c.party_is_person else item.amount_threshold_organization)
        matched = [
            _("金额达到%(t)s元") % {"t": f"{threshold:,.0f}"}
            if threshold is not None and threshold > 0 and c.amount >= threshold else "",
            _("处罚种类") if item.penalty_kinds and _kind_matches(list(item.penalty_kinds), c.penalty_kinds) else "",
            _("经过听证") if item.when_hearing_held and c.hearing_held else "",
            _("案情疑难复杂") if item.when_complex and c.is_complex else "",
            _("涉及多个法律关系") if item.when_multiple_legal_relations and c.multiple_legal_relations else "",
            _("涉及重大公共利益") if item.when_public_interest and c.public_interest else "",
            _("社会关注度高") if item.when_high_attention and c.high_attention else "",
        ]
        hits = [m for m in matched if m]
        if hits:
            reasons.append(_("法制审核目录：%(title)s（%(why)s，REV-3）") % {"title": item.title, "why": "、".join(hits)})
    return list(dict.fromkeys(reasons))


# ---------------------------------------------------------------------------------------------------------- rounds


def latest_round(subject: ReviewSubject) -> ReviewRound | None:
    return ReviewRound.objects.filter(case_id=subject.pk).order_by("-number").first()


def open_round(subject: ReviewSubject) -> ReviewRound:
    last = latest_round(subject)
    if last is None or not last.is_open:
        raise ReviewRefused(_("本案没有进行中的法制审核"), rule="REV-5")
    return last


def review_gate(subject: ReviewSubject) -> tuple[str, str] | None:
    """None if the subject may be decided as far as legal review goes, else (rule, Chinese reason): REV-1, REV-13."""
    if not subject.required:
        return None
    last = latest_round(subject)
    if last is None:
        return "REV-1", _("本案属于重大执法决定，未经法制审核不得作出决定")
    if last.state != ReviewState.PASSED:
        return "REV-1", _("本案最近一轮法制审核尚未通过，不得作出决定")
    if last.proposal != dict(subject.proposal):
        return "REV-13", _("法制审核通过后，处理意见（事实、依据或处罚）已经改变，应当重新送审")
    return None


def review_due(*, subject: ReviewSubject, received_on: date, extended: bool,
               pauses: Iterable[tuple[date, date | None]] = ()) -> Due:
    """REV-6: 5 working days from receipt of the complete package, 3 more when extended, materials pauses not
    counted (CAL-14; an open pause counts as not yet ended and is left out until it ends)."""
    days = REVIEW_DAYS + (EXTENSION_DAYS if extended else 0)
    closed = [(start, end) for start, end in pauses if end is not None]
    return load_calendar(subject.region_code).add_working_days(
        received_on, days, direction=Direction.AGENCY_OBLIGATION, pauses=closed)


def review_submit(*, subject: ReviewSubject, actor: User, on: date, materials: str,
                  reasons: list[str]) -> tuple[ReviewRound, Due]:
    """REV-5/REV-15: a new round with the complete package; returns it and its due date: the 5-working-day clock
    starts on receipt (REV-6). The subject's owner keeps the clock."""
    if subject.missing:
        missing = list(subject.missing)
        raise ReviewRefused(_("送审材料不完整，缺少：%(m)s") % {"m": "、".join(missing)}, rule="REV-15", errors=missing)
    last = latest_round(subject)
    rnd = ReviewRound.objects.create(
        case_id=subject.pk, agency_id=subject.agency_id, number=(last.number + 1) if last else 1, reasons=reasons,
        proposal=dict(subject.proposal), package=dict(subject.package), materials=materials, submitted_by=actor,
        submitted_on=on, received_on=on,
    )
    return rnd, review_due(subject=subject, received_on=on, extended=False)


# ------------------------------------------------------------------------------------------------------ assignment


def first_penalty_review(user: User) -> bool:
    return not ReviewRound.objects.filter(reviewer=user, state__in=[ReviewState.PASSED, ReviewState.RETURNED]).exists()


def assignment_problem(subject: ReviewSubject, reviewer: User) -> tuple[str, str] | None:
    """(rule, reason) if `reviewer` may not review this subject, else None."""
    if reviewer.agency_id != subject.agency_id or not reviewer.has_role(Role.LEGAL_REVIEWER):
        return "REG-19", _("%(name)s不是本机关的法制审核人员") % {"name": reviewer.full_name}
    if reviewer.pk in subject.participants:
        return "REG-19", _("%(name)s承办、审批或调查过本案，不得审核本案") % {"name": reviewer.full_name}
    staff = Staff.objects.filter(user=reviewer).first()
    if first_penalty_review(reviewer) and not (staff and staff.has_legal_qualification):
        return "REG-21", _("初次从事行政处罚决定法制审核的人员，应当取得法律职业资格，%(name)s尚未取得") % {
            "name": reviewer.full_name}
    return None


def review_assign(*, subject: ReviewSubject, actor: User, reviewer: User, on: date) -> ReviewRound:
    rnd = open_round(subject)
    problem = assignment_problem(subject, reviewer)
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


def review_request_materials(*, subject: ReviewSubject, actor: User, on: date) -> tuple[ReviewRound, date]:
    """Materials returned for completion: returns the round and the day the clock stops, the day after `on`
    (REV-6, CAL-14). The subject's owner records the pause and suspends its clock."""
    rnd = open_round(subject)
    _require_assigned(rnd, actor)
    if rnd.state != ReviewState.IN_REVIEW:
        raise ReviewRefused(_("本轮审核已在等待补充材料"), rule="REV-6")
    rnd.state = ReviewState.MATERIALS_REQUESTED
    rnd.save(update_fields=["state"])
    return rnd, date.fromordinal(on.toordinal() + 1)


def review_materials_supplied(*, subject: ReviewSubject, paused: bool) -> ReviewRound:
    """The materials came back (`paused`: the owner has an open pause for this round); the review resumes."""
    rnd = open_round(subject)
    if rnd.state != ReviewState.MATERIALS_REQUESTED or not paused:
        raise ReviewRefused(_("审核人员没有要求补充材料"), rule="REV-6")
    rnd.state = ReviewState.IN_REVIEW
    rnd.save(update_fields=["state"])
    return rnd


def review_extend(*, subject: ReviewSubject, actor: User, reason: str) -> ReviewRound:
    """REV-6: one extension of 3 working days for a complex case, approved by the responsible leader."""
    rnd = open_round(subject)
    if rnd.extended:
        raise ReviewRefused(_("法制审核期限只能延长一次"), rule="REV-6")
    rnd.extended, rnd.extension_approved_by, rnd.extension_reason = True, actor, reason
    rnd.save(update_fields=["extended", "extension_approved_by", "extension_reason"])
    return rnd


@dataclass(frozen=True)
class Check:
    item: str
    passed: bool
    comment: str


def review_decide(*, subject: ReviewSubject, actor: User, on: date, checks: list[Check], opinion: str,
                  passed: bool, clock: ClockState) -> ReviewRound:
    """REV-8/REV-9: every checklist item answered; 同意 only when all pass, 存在问题 with each problem stated.
    `clock` is the round's clock as its keeper holds it: overdue and working days taken are read from it."""
    rnd = open_round(subject)
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
    cal = load_calendar(subject.region_code)
    pauses = [(start, end) for start, end in clock.pauses if end is not None]
    rnd.working_days_taken = cal.working_days_between(rnd.received_on, on, pauses=pauses) \
        if on > rnd.received_on else 0
    rnd.overdue = clock.due is not None and on > clock.due
    rnd.save()
    return rnd


def review_opinion_issued(*, rnd: ReviewRound, document: Document) -> ReviewRound:
    """The 法制审核意见书 of a decided round (REV-9): linked to the round when it is issued."""
    rnd.opinion_document = document
    rnd.save(update_fields=["opinion_document"])
    return rnd


def review_coordinate(*, subject: ReviewSubject, actor: User, on: date, participants: str, disagreement: str,
                      conclusion: str, outcome: str) -> Coordination:
    """REV-10: the handling unit disagrees with a 存在问题 opinion: a coordination record, then the agency head or
    the heads' collective discussion, or the unit accepts the opinion and resubmits."""
    last = latest_round(subject)
    if last is None or last.state != ReviewState.RETURNED:
        raise ReviewRefused(_("只有对“存在问题”的审核意见才需要协调"), rule="REV-10")
    return Coordination.objects.create(round=last, on=on, participants=participants, disagreement=disagreement,
                                       conclusion=conclusion, outcome=outcome, recorded_by=actor)


def checks_from(data: Mapping[str, Any]) -> list[Check]:
    return [Check(item, bool(data.get(f"{item}_ok")), str(data.get(f"{item}_note") or ""))
            for item in CheckItem.values if data.get(f"{item}_ok") is not None]


ALL_CHECKS_PASSED: dict[str, Any] = {f"{item.value}_ok": True for item in CheckItem}
