"""The legal-review steps of a case (REV-1…REV-15): cases builds the review subject and calls review down.

A kind includes `review_actions(...)` in its table and declares the states `legal_review`, `legal_review_passed`,
`legal_review_returned`, `legal_review_disputed` and `collective_discussion`. Each step is then a transition (or an
in-state action) of the case engine: one transaction, one ledger entry in the case's stream, a refused step leaves
nothing behind.

Review (zhifa/review) knows nothing of cases (ADR 0024): it gets a `ReviewSubject` — what is reviewed, for whom, the
materials, the catalog criteria, the participants (REG-19, from `CaseParticipant`) — and returns rounds, decisions
and dates. The one review clock is the case's `Deadline(code="review")` row with the round's materials pauses
(`Pause(kind="review_materials")`); this module keeps it with the dates review computes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import create_model

from zhifa.accounts.models import User
from zhifa.accounts.roles import Role
from zhifa.cases.deadlines import (
    deadline_extend,
    deadline_latest,
    deadline_meet,
    deadline_resume,
    deadline_start,
    deadline_suspend,
)
from zhifa.cases.engine import Action, Ctx, kind_of
from zhifa.cases.gates import PENALTY_KINDS, party_is_person
from zhifa.cases.models import Case, CaseOfficer, CaseParticipant, Pause, PauseKind
from zhifa.documents.models import Document
from zhifa.registry.models import DiscretionBenchmark, PublicationStatus
from zhifa.review import services as rv
from zhifa.review.models import CheckItem, ReviewRound, ReviewState
from zhifa.review.subject import ClockState, Criteria, Material, ReviewSubject

CLOCK = "review"  # the code of the case's one review-clock deadline row (REV-6)
REVIEWERS = frozenset({Role.LEGAL_REVIEWER})
ASSIGNERS = frozenset({Role.LEGAL_REVIEWER, Role.AGENCY_HEAD})
LEADERS = frozenset({Role.AGENCY_HEAD})
IN_REVIEW = ("legal_review",)


class ReviewSubmitIn(Schema):
    materials: str = Field(min_length=1, max_length=5000, title="送审说明（材料目录、需要说明的问题）")


class AssignIn(Schema):
    reviewer: UUID = Field(title="审核人员")


class MaterialsIn(Schema):
    missing: str = Field(min_length=1, max_length=2000, title="需补充的材料")


class SuppliedIn(Schema):
    note: str = Field("", max_length=2000, title="补充材料说明")


class ExtendReviewIn(Schema):
    reason: str = Field(min_length=1, max_length=500, title="延长理由（案情复杂）")


class CoordinateIn(Schema):
    participants: str = Field(min_length=1, max_length=2000, title="协调参加人员")
    disagreement: str = Field(min_length=1, max_length=5000, title="分歧意见")
    conclusion: str = Field(min_length=1, max_length=5000, title="协调结论")
    outcome: Literal["accept_review", "head", "collective"] = Field(
        title="处理方式",
        description="accept_review 承办机构采纳审核意见，修改后重新送审；head 提请机关负责人决定；collective 提请机关负责人集体讨论")


def _opinion_schema() -> type[Schema]:
    fields: dict[str, Any] = {}
    for item in CheckItem:
        fields[f"{item.value}_ok"] = (bool, Field(title=f"{item.label}：符合", description=_("勾选表示没有问题")))
        fields[f"{item.value}_note"] = (str, Field("", max_length=2000, title=f"{item.label}：问题或说明"))
    fields["opinion"] = (str, Field(min_length=1, max_length=20000, title="审核意见"))
    return create_model("ReviewOpinionIn", __base__=Schema, **fields)


ReviewOpinionIn = _opinion_schema()


# --------------------------------------------------------------------------------------------------- the subject


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


def _package(case: Case) -> tuple[dict[str, Any], tuple[Material, ...], list[str]]:
    """The submission package (REV-15) built from the case, its documents, and the Chinese names of what is
    missing."""
    docs = {d.doc_type: d for d in Document.objects.filter(subject_id=case.public_id).order_by("issued_at")}
    materials = tuple(Material(str(d.public_id), d.doc_type, d.name, d.number) for d in docs.values())
    package: dict[str, Any] = {
        "investigation_report": case.penalty.investigation_report,
        "proposal": proposal_of(case),
        "facts": case.penalty.facts,
        "evidence": [line for line in case.penalty.evidence_summary.splitlines() if line.strip()],
        "legal_basis": case.penalty.legal_basis_text,
        "benchmark": None if case.penalty.benchmark is None else {"id": str(case.penalty.benchmark.public_id),
                                                                  "code": case.penalty.benchmark.code,
                                                                  "version": case.penalty.benchmark_version},
        "documents": [{"id": m.id, "type": m.type, "name": m.name, "number": m.number} for m in materials],
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
    return package, materials, missing


def case_participants(case: Case) -> set[int]:
    """Users who handled, approved or investigated the case (REG-19): its officers' accounts and everyone who took
    a case action other than the review's own — read from the stored participants, not the ledger."""
    users = set(CaseOfficer.objects.filter(case=case, staff__user__isnull=False)
                .values_list("staff__user_id", flat=True))
    users |= set(CaseParticipant.objects.filter(case=case).exclude(act__in=REVIEW_ACTION_NAMES)
                 .values_list("user_id", flat=True))
    return {u for u in users if u is not None}


def _criteria(case: Case) -> Criteria:
    kind = kind_of(case)
    return Criteria(
        action_type=kind.action_type,  # the registry action type whose 法制审核目录 applies (REV-3, ADR 0025)
        penalty_kinds=tuple(PENALTY_KINDS.get(k, k) for k in case.penalty.penalty_kinds or []),
        amount=(case.penalty.fine_amount or Decimal(0)) + (case.penalty.confiscation_amount or Decimal(0)),
        party_is_person=party_is_person(case), hearing_held=case.penalty.hearing_held, is_complex=case.is_complex,
        multiple_legal_relations=case.multiple_legal_relations, public_interest=case.public_interest,
        high_attention=case.high_attention)


def review_subject(case: Case, *, with_package: bool = False, with_participants: bool = False) -> ReviewSubject:
    """The case as legal review sees it. The package and the participants cost queries: built when asked."""
    package, materials, missing = _package(case) if with_package else ({}, (), [])
    return ReviewSubject(
        kind="case", pk=case.pk, public_id=case.public_id, reference=case.reference, title=case.title,
        agency_id=case.agency_id, region_code=case.agency.region_code, criteria=_criteria(case),
        required=case.legal_review_required, parties=tuple(p.name for p in case.parties.all()),
        proposal=proposal_of(case), package=package, materials=materials, missing=tuple(missing),
        participants=frozenset(case_participants(case)) if with_participants else frozenset())


def review_gate(case: Case) -> tuple[str, str] | None:
    """None if the case may be decided as far as legal review goes, else (rule, reason): REV-1, REV-13."""
    return rv.review_gate(review_subject(case))


def scope_review(ctx: Ctx) -> None:
    """REV-2/REV-3: record why the proposed decision needs legal review (the catalog of the kind's action type)."""
    reasons = rv.review_scope(review_subject(ctx.case))
    ctx.case.legal_review_required = bool(reasons) or ctx.case.legal_review_required
    ctx.case.legal_review_reasons = list(dict.fromkeys([*ctx.case.legal_review_reasons, *reasons]))


# ------------------------------------------------------------------------------------------------------ the clock


def _pauses(rnd: ReviewRound) -> list[Pause]:
    return list(Pause.objects.filter(review_round=rnd, kind=PauseKind.REVIEW_MATERIALS).order_by("start", "pk"))


def clock_of(case: Case, rnd: ReviewRound) -> ClockState:
    row = deadline_latest(case, CLOCK)
    return ClockState(due=None if row is None else row.due, pauses=tuple((p.start, p.end) for p in _pauses(rnd)))


def _rescheduled(subject: ReviewSubject, rnd: ReviewRound) -> Any:
    assert rnd.received_on is not None
    return rv.review_due(subject=subject, received_on=rnd.received_on, extended=rnd.extended,
                         pauses=[(p.start, p.end) for p in _pauses(rnd)]).due


# ------------------------------------------------------------------------------------------------------ the steps


def run_submit(ctx: Ctx) -> None:
    """REV-5: after investigation, notice and defense (or hearing), before the head decides; an officer may send
    any case (issue 5 §1)."""
    case = ctx.case
    scope_review(ctx)
    if not case.legal_review_required:
        case.legal_review_required = True
        case.legal_review_reasons = [*case.legal_review_reasons, _("承办机构主动送审")]
    subject = review_subject(case, with_package=True)
    rnd, due = rv.review_submit(subject=subject, actor=ctx.actor, on=ctx.today, materials=ctx.data.materials,
                                reasons=case.legal_review_reasons)
    deadline_start(case=case, code=CLOCK, rule="REV-6", label=_("法制审核（收到完整材料之日起5个工作日）"),
                   start=ctx.today, due=due)
    ctx.payload["review"] = {"round": rnd.number, "due": due.due.isoformat(), "reasons": rnd.reasons}


def run_assign(ctx: Ctx) -> None:
    reviewer = User.objects.filter(public_id=ctx.data.reviewer, agency_id=ctx.case.agency_id).first()
    if reviewer is None:
        ctx.block("REG-19", _("所选审核人员不是本机关人员"))
    rnd = rv.review_assign(subject=review_subject(ctx.case, with_participants=True), actor=ctx.actor,
                           reviewer=reviewer, on=ctx.today)
    ctx.payload["review"] = {"round": rnd.number, "reviewer": reviewer.full_name}


def run_request_materials(ctx: Ctx) -> None:
    """REV-6: the clock stops from the day after the request (CAL-14) until the materials are supplied."""
    rnd, start = rv.review_request_materials(subject=review_subject(ctx.case), actor=ctx.actor, on=ctx.today)
    Pause.objects.create(case=ctx.case, kind=PauseKind.REVIEW_MATERIALS, review_round=rnd, start=start,
                         note=ctx.data.missing)
    deadline_suspend(case=ctx.case, code=CLOCK, on=ctx.today, reason=ctx.data.missing)
    ctx.payload["review"] = {"round": rnd.number, "missing": ctx.data.missing}


def run_supplied(ctx: Ctx) -> None:
    subject = review_subject(ctx.case)
    last = rv.latest_round(subject)
    pause = None if last is None else Pause.objects.filter(review_round=last, kind=PauseKind.REVIEW_MATERIALS,
                                                            end__isnull=True).first()
    rnd = rv.review_materials_supplied(subject=subject, paused=pause is not None)
    assert pause is not None
    if ctx.today < pause.start:  # supplied the same day: nothing paused
        pause.delete()
    else:
        pause.end = ctx.today
        pause.save(update_fields=["end"])
    due = _rescheduled(subject, rnd)
    deadline_resume(case=ctx.case, code=CLOCK, new_due=due, extended=rnd.extended)
    ctx.payload["review"] = {"round": rnd.number, "due": due.isoformat()}


def run_extend(ctx: Ctx) -> None:
    """REV-6: 3 more working days; while materials are awaited the clock stays stopped."""
    subject = review_subject(ctx.case)
    rnd = rv.review_extend(subject=subject, actor=ctx.actor, reason=ctx.data.reason)
    due = _rescheduled(subject, rnd)
    deadline_extend(case=ctx.case, code=CLOCK, new_due=due, reason=ctx.data.reason)
    if rnd.state == ReviewState.MATERIALS_REQUESTED:
        deadline_suspend(case=ctx.case, code=CLOCK, on=ctx.today, reason=ctx.data.reason)
    ctx.payload["review"] = {"round": rnd.number, "due": due.isoformat()}


def _decide(ctx: Ctx, passed: bool) -> None:
    data = ctx.data.model_dump()
    checks = rv.checks_from(data)
    subject = review_subject(ctx.case)
    last = rv.latest_round(subject)
    clock = clock_of(ctx.case, last) if last is not None else ClockState(due=None)
    rnd = rv.review_decide(subject=subject, actor=ctx.actor, on=ctx.today, checks=checks, opinion=data["opinion"],
                           passed=passed, clock=clock)
    deadline_meet(case=ctx.case, code=CLOCK, on=ctx.today)
    conclusion = _("同意") if passed else _("存在问题")
    ctx.payload["review"] = {"round": rnd.number, "conclusion": conclusion, "problems": rnd.problems,
                             "working_days": rnd.working_days_taken, "overdue": rnd.overdue}
    document = ctx.issue("legal_review_opinion", opinion=data["opinion"], review={
        "conclusion": conclusion, "reviewer": ctx.actor.full_name, "received_on": rnd.received_on,
        "opinion": data["opinion"], "round": rnd.number, "materials": rnd.materials,
        "reasons": "；".join(rnd.reasons),
        "items": [{"label": str(CheckItem(c.item).label), "result": _("符合") if c.passed else _("存在问题"),
                   "note": c.comment} for c in checks]})
    rv.review_opinion_issued(rnd=rnd, document=document)


def run_pass(ctx: Ctx) -> None:
    _decide(ctx, True)


def run_return(ctx: Ctx) -> None:
    _decide(ctx, False)


def run_coordinate(ctx: Ctx) -> None:
    d = ctx.data
    row = rv.review_coordinate(subject=review_subject(ctx.case), actor=ctx.actor, on=ctx.today, participants=d.participants,
                               disagreement=d.disagreement, conclusion=d.conclusion, outcome=d.outcome)
    ctx.payload["coordination"] = {"round": row.round.number, "outcome": d.outcome}
    if d.outcome == "accept_review":
        ctx.target = None  # the unit revises and resubmits from where it is


def review_actions(*, resubmit_from: tuple[str, ...], officers: frozenset[str]) -> list[Action]:
    """The review steps; `resubmit_from`: the states after defense/hearing from which a case is submitted."""
    return [
        Action("submit_legal_review", "送法制审核",
               (*resubmit_from, "legal_review_returned", "legal_review_disputed", "collective_discussion"),
               "legal_review", officers, ReviewSubmitIn, run_submit, rule="REV-15"),
        Action("assign_reviewer", "分配审核人员", IN_REVIEW, None, ASSIGNERS, AssignIn, run_assign, rule="REG-19"),
        Action("request_review_materials", "退回补充材料（暂停计时）", IN_REVIEW, None, REVIEWERS, MaterialsIn,
               run_request_materials, rule="REV-6", primary=False),
        Action("supply_review_materials", "已补充材料", IN_REVIEW, None, officers, SuppliedIn, run_supplied,
               rule="REV-6", primary=False),
        Action("extend_review", "批准延长审核期限（3个工作日）", IN_REVIEW, None, LEADERS, ExtendReviewIn, run_extend,
               rule="REV-6", primary=False),
        Action("pass_legal_review", "出具审核意见：同意", IN_REVIEW, "legal_review_passed", REVIEWERS, ReviewOpinionIn,
               run_pass, rule="REV-9"),
        Action("return_legal_review", "出具审核意见：存在问题", IN_REVIEW, "legal_review_returned", REVIEWERS,
               ReviewOpinionIn, run_return, rule="REV-10"),
        Action("coordinate_review", "对审核意见有分歧，记录协调", ("legal_review_returned",), "legal_review_disputed",
               officers | LEADERS, CoordinateIn, run_coordinate, rule="REV-10", primary=False),
    ]



REVIEW_ACTION_NAMES = tuple(a.name for a in review_actions(resubmit_from=(), officers=frozenset()))
