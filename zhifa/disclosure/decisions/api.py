"""API v1 of decision publication (ADR 0044), mounted at /api/v1/disclosure/decisions/ (token or session):

    GET  /drafts[?state=]          the desk: drafts of the agencies the user may see, with their deadline levels
    GET  /drafts/{draft_id}        one draft: DISC-12 fields, the served text, masks with reasons, the text as it
                                   would be published, the redaction log, deadlines, published versions (a 调阅 of the
                                   case, written first; 503 if it cannot)
    POST /drafts/{draft_id}/{step} a step of the page: mask-add, mask-remove, submit, approve, return, publish,
                                   correct, withdraw, exempt, channel, credit-repair (JSON body with its fields);
                                   a refusal is 4xx with the rule, and nothing changes

The same services as the staff pages; another agency's draft is a 404 for reads and writes."""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.security import django_auth

from zhifa.accounts.auth import ApiTokenAuth
from zhifa.cases.engine import today_in_china
from zhifa.common.errors import ServiceError
from zhifa.disclosure.decisions import selectors, services
from zhifa.disclosure.models import DecisionDraft, DraftState
from zhifa.records.access import api_fail_closed, record_access

router = Router(tags=["执法决定公开（需令牌）"], auth=[ApiTokenAuth(), django_auth])


class ErrorOut(Schema):
    code: str
    message: str
    rule: str = ""


class DeadlineOut(Schema):
    code: str
    rule: str
    label: str
    due: date
    state: str
    level: str
    working_days_left: int


class DraftRowOut(Schema):
    id: UUID
    case_id: UUID
    case_reference: str
    agency: str
    category: str
    target: str
    decided_on: date
    state: str
    state_label: str
    version: int
    deadlines: list[DeadlineOut]


class MaskOut(Schema):
    start: int
    end: int
    original: str
    category: str
    rule: str
    reason: str


class LogOut(Schema):
    at: datetime
    operator: str
    field: str
    action: str
    rule: str
    reason: str


class DraftOut(DraftRowOut):
    enforcement_body: str
    conclusion: str
    decision_number: str
    legal_basis: str
    original_text: str
    published_text: str
    masks: list[MaskOut]
    log: list[LogOut]
    review_opinion: str
    withdrawal_reason: str
    public_until: date | None
    published_versions: list[UUID]


class StepIn(Schema):
    text: str = Field("", max_length=500)
    category: str = Field("", max_length=32)
    reason: str = Field("", max_length=2000)
    start: int | None = None
    opinion: str = Field("", max_length=2000)
    note: str = Field("", max_length=2000)
    channel: str = Field("", max_length=32)
    application: str = Field("", max_length=2000)
    conditions: list[str] = []


class StepOut(Schema):
    id: UUID
    state: str
    state_label: str
    version: int
    message: str


def _deadlines(views: list[selectors.DeadlineView]) -> list[dict[str, Any]]:
    return [{"code": v.row.code, "rule": v.row.rule, "label": v.row.label, "due": v.row.due, "state": v.row.state,
             "level": v.level, "working_days_left": v.working_days_left} for v in views]


def _row(draft: DecisionDraft, views: list[selectors.DeadlineView]) -> dict[str, Any]:
    return {"id": draft.public_id, "case_id": draft.case.public_id, "case_reference": draft.case.reference,
            "agency": draft.agency.name, "category": draft.category, "target": draft.target,
            "decided_on": draft.decided_on, "state": draft.state, "state_label": draft.get_state_display(),
            "version": draft.version, "deadlines": _deadlines(views)}


@router.get("/drafts", response=list[DraftRowOut], operation_id="decision_drafts",
            summary="待公开的执法决定（公示管理员的待办、负责人审核、司法局监督）")
def drafts(request: HttpRequest, state: str = Query("", max_length=16)) -> Any:
    wanted = state if state in DraftState.values else ""
    rows = selectors.desk_for(user=request.user, today=today_in_china(), state=wanted)  # type: ignore[arg-type]
    return [_row(r.draft, r.deadlines) for r in rows]


@router.get("/drafts/{draft_id}", response={200: DraftOut}, operation_id="decision_draft",
            summary="一份公开草稿：原文、遮盖及理由、将公开的文本、脱敏记录、期限（记入调阅记录）")
@api_fail_closed
def draft_detail(request: HttpRequest, draft_id: UUID) -> Any:
    page = selectors.draft_page_for(user=request.user, public_id=draft_id, today=today_in_china())  # type: ignore[arg-type]
    draft = page.draft
    record_access(user=request.user, agency_id=draft.agency_id, object_kind="case",
                  object_id=str(draft.case.public_id), action="decision_draft_view", request=request)
    return {
        **_row(draft, page.deadlines), "enforcement_body": draft.enforcement_body, "conclusion": draft.conclusion,
        "decision_number": draft.decision_number, "legal_basis": draft.legal_basis,
        "original_text": draft.original_text, "published_text": services.published_text(draft),
        "masks": [{"start": m["start"], "end": m["end"], "original": m["original"], "category": m["category"],
                   "rule": m["rule"], "reason": str(m["rule_reason"])} for m in page.masks],
        "log": [{"at": e.at, "operator": str(e.operator) if e.operator_id else "", "field": e.field,
                 "action": e.action, "rule": e.rule, "reason": e.reason} for e in page.log],
        "review_opinion": draft.review_opinion, "withdrawal_reason": draft.withdrawal_reason,
        "public_until": draft.public_until, "published_versions": [e.public_id for e in page.entries],
    }


def _mask_remove(user: Any, draft_id: UUID, body: StepIn) -> object:
    if body.start is None:
        raise ServiceError("请指明要取消的遮盖（start）", code="invalid")
    services.decision_mask_remove(actor=user, draft_id=draft_id, start=body.start, reason=body.reason)
    return None


STEPS: dict[str, Callable[[Any, UUID, StepIn], object]] = {
    "mask-add": lambda u, d, b: services.decision_mask_add(actor=u, draft_id=d, text=b.text, category=b.category,
                                                           reason=b.reason),
    "mask-remove": _mask_remove,
    "submit": lambda u, d, b: services.decision_submit(actor=u, draft_id=d),
    "approve": lambda u, d, b: services.decision_review(actor=u, draft_id=d, approve=True, opinion=b.opinion),
    "return": lambda u, d, b: services.decision_review(actor=u, draft_id=d, approve=False, opinion=b.opinion),
    "publish": lambda u, d, b: services.decision_publish(actor=u, draft_id=d),
    "correct": lambda u, d, b: services.decision_correct(actor=u, draft_id=d, note=b.note),
    "withdraw": lambda u, d, b: services.decision_withdraw(actor=u, draft_id=d, reason=b.reason),
    "exempt": lambda u, d, b: services.decision_exempt(actor=u, draft_id=d, reason=b.reason),
    "channel": lambda u, d, b: services.decision_channel_record(actor=u, draft_id=d, channel=b.channel,
                                                                on=today_in_china()),
    "credit-repair": lambda u, d, b: services.decision_credit_repair(actor=u, draft_id=d, application=b.application,
                                                                     confirmed=b.conditions),
}


@router.post("/drafts/{draft_id}/{step}", response={200: StepOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut,
                                                     422: ErrorOut},
             operation_id="decision_draft_step", summary="公开草稿的一步操作（遮盖、送审、审核、发布、更正、撤下、不予公开、信用修复）")
def draft_step(request: HttpRequest, draft_id: UUID, step: str, payload: StepIn) -> Any:
    run = STEPS.get(step)
    if run is None:
        raise Http404
    selectors.draft_get_for(user=request.user, public_id=draft_id)  # type: ignore[arg-type]  # another agency's draft: 404 before anything
    try:
        run(request.user, draft_id, payload)
    except ServiceError as exc:
        return Status(exc.status if exc.status in (400, 403, 409, 422) else 400,
                      {"code": exc.code, "message": exc.message, "rule": exc.rule})
    draft = selectors.draft_get_for(user=request.user, public_id=draft_id)  # type: ignore[arg-type]
    return {"id": draft.public_id, "state": draft.state, "state_label": draft.get_state_display(),
            "version": draft.version, "message": "完成"}
