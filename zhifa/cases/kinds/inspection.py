"""行政检查: the inspection record, its result, then close, or open a penalty case from it as its 案源."""

from __future__ import annotations

from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, Schema

from zhifa.cases import decisions
from zhifa.cases.engine import Action, Ctx, make_kind
from zhifa.cases.kinds.common import (
    ARCHIVISTS,
    INSPECTION_STEP,
    OFFICERS,
    RANDOM_CHECK_STEP,
    SHOW_CERTIFICATE_STEP,
    UNIT_OR_AGENCY_HEAD,
    CaseIn,
    CloseIn,
    NoteIn,
    RecordIn,
    common_actions,
    create_record,
    run_archive,
    run_close,
)
from zhifa.cases.models import ActivityKind, CaseKind
from zhifa.registry.models import ActionType

STATES = {
    "inspecting": "检查中",
    "result_recorded": "已形成检查结果",
    "referred": "已立案查处",
    "closed": "已办结",
    "archived": "已归档",
}


class ResultIn(Schema):
    result: Literal["no_problem", "corrected", "violation_found"] = Field(
        title="检查结果", description="no_problem 未发现问题；corrected 发现问题已当场整改；violation_found 发现涉嫌违法行为")
    content: str = Field(min_length=1, max_length=20000, title="检查结果和处理意见")


class ReferIn(Schema):
    title: str = Field(min_length=2, max_length=200, title="涉嫌违法行为（案由）")


def _steps(data: RecordIn) -> tuple[str, ...]:
    return (INSPECTION_STEP, SHOW_CERTIFICATE_STEP, RANDOM_CHECK_STEP)


def run_check(ctx: Ctx) -> None:
    create_record(ctx, ActivityKind.INSPECTION, "inspection_check_record")


def run_result(ctx: Ctx) -> None:
    if not ctx.case.activities.filter(kind=ActivityKind.INSPECTION).exists():
        ctx.block("CASE-9", _("检查应当制作检查记录，请先记录检查情况"))
    ctx.case.outcome, ctx.case.outcome_reason = ctx.data.result, ctx.data.content
    ctx.issue("inspection_result_notice", reason=ctx.data.content)


def run_refer(ctx: Ctx) -> None:
    from zhifa.cases.services import derive_case

    if ctx.case.outcome != "violation_found":
        ctx.block("CASE-2", _("检查结果为发现涉嫌违法行为的，才能据此立案查处"))
    new = derive_case(ctx, kind=CaseKind.PENALTY, reason=ctx.case.outcome_reason, title=ctx.data.title)
    ctx.payload["new_case"] = {"id": str(new.public_id), "reference": new.reference}


ACTIONS = [
    *common_actions(party_states=("inspecting",), officer_states=("inspecting",)),
    Action("record_check", "制作检查记录", ("inspecting",), None, OFFICERS, RecordIn, run_check,
           av_steps_for=_steps, rule="REG-11", primary=False),
    Action("record_result", "形成检查结果", ("inspecting",), "result_recorded", OFFICERS, ResultIn, run_result,
           rule="CASE-9", decision=decisions.OTHER),
    Action("open_penalty_case", "发现违法，立案查处", ("result_recorded",), "referred", OFFICERS, ReferIn, run_refer,
           rule="CASE-2"),
    Action("close", "办结", ("result_recorded",), "closed", UNIT_OR_AGENCY_HEAD, CloseIn, run_close),
    Action("archive", "归档", ("closed", "referred"), "archived", ARCHIVISTS, NoteIn, run_archive, rule="REC-14"),
]

INSPECTION = make_kind("inspection", "行政检查", STATES, "inspecting", ACTIONS,
                       terminal=frozenset({"archived"}), reference_prefix="检",
                       action_type=ActionType.INSPECTION, registration=CaseIn)
