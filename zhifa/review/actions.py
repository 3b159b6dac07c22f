"""The legal-review steps as case actions, for any case kind that has the review states (REV-1…REV-15).

A kind includes `review_actions(...)` in its table and declares the states `legal_review`, `legal_review_passed`,
`legal_review_returned`, `legal_review_disputed` and `collective_discussion`. Each step is then a transition (or an
in-state action) of the case engine: one transaction, one ledger entry in the case's stream, a refused step leaves
nothing behind.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import create_model

from zhifa.accounts.models import User
from zhifa.accounts.roles import Role
from zhifa.cases.engine import Action, Ctx, kind_of
from zhifa.review import services as rv
from zhifa.review.models import CheckItem

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


def _scope(ctx: Ctx) -> None:
    reasons = rv.review_scope(ctx.case, action_type=kind_of(ctx.case).action_type)  # REV-3 per kind (ADR 0025)
    ctx.case.legal_review_required = bool(reasons) or ctx.case.legal_review_required
    ctx.case.legal_review_reasons = list(dict.fromkeys([*ctx.case.legal_review_reasons, *reasons]))


def run_submit(ctx: Ctx) -> None:
    """REV-5: after investigation, notice and defense (or hearing), before the head decides; an officer may send
    any case (issue 5 §1)."""
    case = ctx.case
    _scope(ctx)
    if not case.legal_review_required:
        case.legal_review_required = True
        case.legal_review_reasons = [*case.legal_review_reasons, _("承办机构主动送审")]
    rnd = rv.review_submit(case=case, actor=ctx.actor, on=ctx.today, materials=ctx.data.materials,
                           reasons=case.legal_review_reasons)
    ctx.payload["review"] = {"round": rnd.number, "due": rnd.due.isoformat() if rnd.due else None,
                             "reasons": rnd.reasons}


def run_assign(ctx: Ctx) -> None:
    reviewer = User.objects.filter(public_id=ctx.data.reviewer, agency_id=ctx.case.agency_id).first()
    if reviewer is None:
        ctx.block("REG-19", _("所选审核人员不是本机关人员"))
    rnd = rv.review_assign(case=ctx.case, actor=ctx.actor, reviewer=reviewer, on=ctx.today)
    ctx.payload["review"] = {"round": rnd.number, "reviewer": reviewer.full_name}


def run_request_materials(ctx: Ctx) -> None:
    rnd = rv.review_request_materials(case=ctx.case, actor=ctx.actor, on=ctx.today, missing=ctx.data.missing)
    ctx.payload["review"] = {"round": rnd.number, "missing": ctx.data.missing}


def run_supplied(ctx: Ctx) -> None:
    rnd = rv.review_materials_supplied(case=ctx.case, on=ctx.today)
    ctx.payload["review"] = {"round": rnd.number, "due": rnd.due.isoformat() if rnd.due else None}


def run_extend(ctx: Ctx) -> None:
    rnd = rv.review_extend(case=ctx.case, actor=ctx.actor, on=ctx.today, reason=ctx.data.reason)
    ctx.payload["review"] = {"round": rnd.number, "due": rnd.due.isoformat() if rnd.due else None}


def _decide(ctx: Ctx, passed: bool) -> None:
    data = ctx.data.model_dump()
    checks = rv.checks_from(data)
    rnd = rv.review_decide(case=ctx.case, actor=ctx.actor, on=ctx.today, checks=checks, opinion=data["opinion"],
                           passed=passed)
    conclusion = _("同意") if passed else _("存在问题")
    ctx.payload["review"] = {"round": rnd.number, "conclusion": conclusion, "problems": rnd.problems,
                             "working_days": rnd.working_days_taken, "overdue": rnd.overdue}
    ctx.issue("legal_review_opinion", opinion=data["opinion"], review={
        "conclusion": conclusion, "reviewer": ctx.actor.full_name, "received_on": rnd.received_on,
        "opinion": data["opinion"], "round": rnd.number, "materials": rnd.materials,
        "reasons": "；".join(rnd.reasons),
        "items": [{"label": str(CheckItem(c.item).label), "result": _("符合") if c.passed else _("存在问题"),
                   "note": c.comment} for c in checks]})


def run_pass(ctx: Ctx) -> None:
    _decide(ctx, True)


def run_return(ctx: Ctx) -> None:
    _decide(ctx, False)


def run_coordinate(ctx: Ctx) -> None:
    d = ctx.data
    row = rv.review_coordinate(case=ctx.case, actor=ctx.actor, on=ctx.today, participants=d.participants,
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


ALL_CHECKS_PASSED: dict[str, Any] = {f"{item.value}_ok": True for item in CheckItem}
