"""API v1 routes of the cases app, mounted at /api/v1/cases/ (token auth for systems, session auth for the UI).

    GET  /kinds                          every case kind's state table (states, actions, input JSON schemas)
    GET  /                               a page of cases (filters; total) — no 调阅 entry for a list
    POST /                               register a case ({"kind": ..., **CaseIn}) → 201 with its detail
    GET  /due, /missed                   the user's open deadlines / missed deadlines
    GET  /{case_id}                      the case detail (appends a 调阅 entry first; 503 if it cannot)
    GET  /{case_id}/timeline             the ledger entries of the case stream (appends a 调阅 entry first)
    POST /{case_id}/actions/{name}       one route per action name, generated from the union of the kinds' tables,
                                         the action's input schema as the body → 200 with the updated detail

The routes are thin (architecture rule 10): writes call `case_create` / `case_act`, reads call the selectors; the
global handlers in zhifa/api.py turn ServiceError (GateBlocked 409 with its rule, InvalidState 409, NotAllowed 403,
InvalidInput 422) and Http404 into `{code, message, rule?, errors?}`. Another agency's case is a 404 on every route;
a supervisor reads but any POST is a 403 (the engine's `_locked_case`).

The detail returned by a write (create, action) is built without a 调阅 entry: the write's own ledger entry already
names the actor and the case, and a failing access log must not turn a committed write into an error response.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, JsonResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.security import django_auth

from zhifa.accounts.auth import ApiTokenAuth
from zhifa.accounts.roles import Role
from zhifa.cases import selectors
from zhifa.cases.engine import KINDS, Action, allowed_actions, case_act, detail_of, kind_of, today_in_china
from zhifa.cases.kinds.common import CaseIn
from zhifa.cases.models import Case, Deadline, DeadlineState, PenaltyDetail
from zhifa.cases.services import case_create
from zhifa.common.fields import model_field
from zhifa.common.paging import offset_query
from zhifa.records.access import api_fail_closed, record_list_access

router = Router(tags=["案件办理（需令牌）"], auth=[ApiTokenAuth(), django_auth])

API_PREFIX = "/api/v1"


def _json(body: dict[str, Any], status: int) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


_fail_closed = api_fail_closed


# ------------------------------------------------------------------------------------------------------ schemas


class CaseErrorOut(Schema):
    code: str = Field(..., description="稳定的错误代码，例如 gate_blocked、invalid_state、forbidden、not_found")
    message: str = Field(..., description="中文说明")
    rule: str | None = Field(None, description="被违反的规则编号，例如 CASE-5")
    errors: list[Any] | None = Field(None, description="逐项的输入错误")


class CaseStateOut(Schema):
    code: str
    label: str
    terminal: bool


class CaseActionOut(Schema):
    name: str
    label: str
    sources: list[str] = Field(..., description="可以从这些状态采取该操作")
    target: str | None = Field(..., description="操作后的状态（null：状态不变）")
    roles: list[str]
    rule: str = Field(..., description="主要依据的规则编号")
    help: str
    primary: bool
    path: str = Field(..., description="提交该操作的 API 路径模板")
    input_schema: dict[str, Any] = Field(..., description="请求体的 JSON Schema")


class CaseKindOut(Schema):
    code: str
    label: str
    initial: str
    reference_prefix: str
    states: list[CaseStateOut]
    actions: list[CaseActionOut]


class CaseSummaryOut(Schema):
    id: uuid.UUID
    reference: str = Field(..., description="案号")
    kind: str
    kind_label: str
    state: str
    state_label: str
    title: str = Field(..., description="案由")
    agency_name: str
    registered_on: datetime.date
    filed_on: datetime.date | None
    decided_on: datetime.date | None
    closed_on: datetime.date | None
    fine_amount: Decimal | None
    updated_at: datetime.datetime


class CaseListOut(Schema):
    total: int
    limit: int
    offset: int
    items: list[CaseSummaryOut]


class CasePartyOut(Schema):
    id: uuid.UUID
    kind: str
    name: str
    id_number: str = Field(..., description="公民身份号码（仅执法人员可见）")
    uscc: str = Field(..., description="统一社会信用代码")
    legal_representative: str
    address: str
    phone: str
    birth_date: datetime.date | None
    age_at_act: int | None = Field(..., description="违法行为时的周岁年龄（CASE-19）")
    electronic_service_consent: bool


class CaseOfficerOut(Schema):
    staff_id: uuid.UUID
    name: str
    certificate_number: str
    assigned_on: datetime.date
    active: bool


class CaseActivityOut(Schema):
    id: uuid.UUID
    kind: str
    kind_label: str
    on: datetime.date
    place: str
    subject: str
    staff: list[str]


class CaseDeadlineOut(Schema):
    code: str
    rule: str
    label: str
    start: datetime.date
    due: datetime.date
    day_kind: str = Field(..., description="working 工作日；calendar 自然日")
    state: str
    state_label: str
    provisional: bool = Field(..., description="按未公布的节假日安排推算（CAL-13）")
    party_facing: bool
    closed_on: datetime.date | None


class CaseDocumentOut(Schema):
    id: uuid.UUID
    doc_type: str
    name: str
    number: str = Field(..., description="文号（不编号的文书为空）")
    issued_at: datetime.datetime
    signed: bool
    pdf_sha256: str
    pdf_url: str
    docx_url: str


class CaseEvidenceOut(Schema):
    id: uuid.UUID
    content_type: str
    sha256: str
    size: int
    original_filename: str
    captured_at: datetime.datetime


class CaseReviewRoundOut(Schema):
    id: uuid.UUID
    number: int
    state: str
    reasons: list[Any]
    submitted_on: datetime.date
    submitted_by: str
    reviewer: str
    decided_on: datetime.date | None
    opinion: str


class CaseAllowedActionOut(Schema):
    name: str
    label: str
    target: str | None
    target_label: str | None
    rule: str
    primary: bool
    path: str


class CaseDetailOut(Schema):
    id: uuid.UUID
    reference: str
    kind: str
    kind_label: str
    state: str
    state_label: str
    terminal: bool
    title: str
    agency_id: uuid.UUID
    agency_name: str
    stream: str = Field(..., description="本案的记录流：上传本案证据（音像记录等）时使用")
    source_kind: str
    source_detail: str
    source_case_id: uuid.UUID | None
    power_item_id: uuid.UUID | None
    violation_place: str
    violation_region_code: str
    jurisdiction_basis: str
    act_date: datetime.date | None
    act_continuing: bool
    act_end_date: datetime.date | None
    discovered_on: datetime.date | None
    safety_or_financial_harm: bool
    summary: str
    registered_on: datetime.date
    filed_on: datetime.date | None
    facts: str
    evidence_summary: str
    investigation_report: str
    legal_basis_text: str
    penalty_kinds: list[Any]
    fine_amount: Decimal | None
    confiscation_amount: Decimal | None
    penalty_text: str
    mitigation_note: str
    notice_served_on: datetime.date | None
    hearing_right: bool
    defense_outcome: str
    hearing_held: bool
    legal_review_required: bool
    legal_review_reasons: list[Any]
    collective_discussion: bool
    decided_on: datetime.date | None
    performance_text: str
    outcome: str
    outcome_reason: str
    served_on: datetime.date | None
    payment_due: datetime.date | None
    paid_on: datetime.date | None
    paid_amount: Decimal | None
    reminder_served_on: datetime.date | None
    closed_on: datetime.date | None
    archive_sha256: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    parties: list[CasePartyOut]
    officers: list[CaseOfficerOut]
    activities: list[CaseActivityOut]
    deadlines: list[CaseDeadlineOut]
    documents: list[CaseDocumentOut]
    evidence: list[CaseEvidenceOut]
    review_rounds: list[CaseReviewRoundOut]
    allowed_actions: list[CaseAllowedActionOut] = Field(..., description="当前用户现在可以采取的操作")


class CaseTimelineEntryOut(Schema):
    seq: int = Field(..., description="账本序号")
    kind: str
    recorded_at: datetime.datetime
    actor: str
    summary: str
    details: dict[str, Any] = Field(..., description="记录内容摘要（操作、状态变化、文书）")


class CaseTimelineOut(Schema):
    total: int
    limit: int
    offset: int
    items: list[CaseTimelineEntryOut]


class CaseDueOut(Schema):
    case_id: uuid.UUID
    reference: str
    title: str
    code: str
    rule: str
    label: str
    start: datetime.date
    due: datetime.date
    day_kind: str
    state: str
    provisional: bool
    party_facing: bool
    days_left: int = Field(..., description="距届满的天数（负数为已超期）")


KindCode = Literal[tuple(KINDS)]  # type: ignore[valid-type]


class CaseCreateIn(CaseIn):
    kind: KindCode = Field(..., title="案件类型",  # type: ignore[valid-type]
                           description="；".join(f"{k.code} {k.label}" for k in KINDS.values()))


READ_ERRORS: dict[int, Any] = {status: CaseErrorOut for status in (401, 404, 422, 503)}
LIST_ERRORS: dict[int, Any] = {status: CaseErrorOut for status in (401, 422)}
WRITE_ERRORS: dict[int, Any] = {status: CaseErrorOut for status in (400, 401, 403, 404, 409, 422, 503)}


# ---------------------------------------------------------------------------------------------------- serializers


def _action_path(name: str) -> str:
    return f"{API_PREFIX}/cases/{{case_id}}/actions/{name}"


def _state_label(case: Case) -> str:
    return kind_of(case).state_label(case.state)


# The 行政处罚 facts the API shows flat, as before ADR 0025; a case of another kind shows their empty defaults.
PENALTY_FIELDS = ("filed_on", "facts", "evidence_summary", "investigation_report", "legal_basis_text", "penalty_kinds",
                  "fine_amount", "confiscation_amount", "penalty_text", "mitigation_note", "notice_served_on",
                  "hearing_right", "defense_outcome", "hearing_held", "performance_text", "payment_due", "paid_on",
                  "paid_amount", "reminder_served_on")


def _penalty_values(case: Case) -> dict[str, Any]:
    detail = detail_of(case)
    if isinstance(detail, PenaltyDetail):
        return {name: getattr(detail, name) for name in PENALTY_FIELDS}
    return {name: model_field(PenaltyDetail, name).get_default() for name in PENALTY_FIELDS}


def _summary(case: Case) -> dict[str, Any]:
    kind = kind_of(case)
    penalty = _penalty_values(case)
    return {
        "id": case.public_id, "reference": case.reference, "kind": case.kind, "kind_label": kind.label,
        "state": case.state, "state_label": kind.state_label(case.state), "title": case.title,
        "agency_name": case.agency.name, "registered_on": case.registered_on, "filed_on": penalty["filed_on"],
        "decided_on": case.decided_on, "closed_on": case.closed_on, "fine_amount": penalty["fine_amount"],
        "updated_at": case.updated_at,
    }


def _deadline(row: Deadline) -> dict[str, Any]:
    return {
        "code": row.code, "rule": row.rule, "label": row.label, "start": row.start, "due": row.due,
        "day_kind": row.day_kind, "state": row.state, "state_label": str(DeadlineState(row.state).label)
        if row.state in DeadlineState.values else row.state, "provisional": row.provisional,
        "party_facing": row.party_facing, "closed_on": row.closed_on,
    }


def _name(user: Any) -> str:
    if user is None:
        return ""
    return getattr(user, "full_name", "") or user.username


def _detail(user: Any, page: selectors.CasePage) -> dict[str, Any]:
    case = page.case
    kind = kind_of(case)
    scalar = ("reference", "kind", "state", "title", "source_kind", "source_detail", "violation_place",
              "violation_region_code", "jurisdiction_basis", "act_date", "act_continuing", "act_end_date",
              "discovered_on", "safety_or_financial_harm", "summary", "registered_on", "legal_review_required",
              "legal_review_reasons", "collective_discussion", "decided_on", "outcome", "outcome_reason", "served_on",
              "closed_on", "archive_sha256", "created_at", "updated_at")
    data: dict[str, Any] = {name: getattr(case, name) for name in scalar}
    data.update(_penalty_values(case))
    data.update(
        id=case.public_id, kind_label=kind.label, state_label=kind.state_label(case.state),
        terminal=case.state in kind.terminal, stream=case.stream, agency_id=case.agency.public_id,
        agency_name=case.agency.name,
        source_case_id=case.source_case.public_id if case.source_case_id else None,  # type: ignore[union-attr]
        power_item_id=case.power_item.public_id if case.power_item_id else None,  # type: ignore[union-attr]
    )
    data["parties"] = [{
        "id": p.public_id, "kind": p.kind, "name": p.name, "id_number": p.id_number, "uscc": p.uscc,
        "legal_representative": p.legal_representative, "address": p.address, "phone": p.phone,
        "birth_date": p.birth_date, "age_at_act": p.age_at_act,
        "electronic_service_consent": p.electronic_service_consent,
    } for p in page.parties]
    data["officers"] = [{
        "staff_id": o.staff.public_id, "name": o.staff.name, "certificate_number": o.certificate_number,
        "assigned_on": o.assigned_on, "active": o.active,
    } for o in page.officers]
    data["activities"] = [{
        "id": a.public_id, "kind": a.kind, "kind_label": a.get_kind_display(), "on": a.on, "place": a.place,
        "subject": a.subject, "staff": [s.name for s in a.staff.all()],
    } for a in page.activities]
    data["deadlines"] = [_deadline(d) for d in page.deadlines]
    data["documents"] = [{
        "id": d.public_id, "doc_type": d.doc_type, "name": d.name, "number": d.number, "issued_at": d.issued_at,
        "signed": d.signed, "pdf_sha256": d.pdf_sha256,
        "pdf_url": f"{API_PREFIX}/documents/{d.public_id}/pdf",
        "docx_url": f"{API_PREFIX}/documents/{d.public_id}/docx",
    } for d in page.documents]
    data["evidence"] = [{
        "id": e.public_id, "content_type": e.content_type, "sha256": e.sha256, "size": e.size,
        "original_filename": e.original_filename, "captured_at": e.captured_at,
    } for e in page.evidence]
    data["review_rounds"] = [{
        "id": r.public_id, "number": r.number, "state": r.state, "reasons": list(r.reasons or []),
        "submitted_on": r.submitted_on, "submitted_by": _name(r.submitted_by), "reviewer": _name(r.reviewer),
        "decided_on": r.decided_on, "opinion": r.opinion,
    } for r in page.review_rounds]
    data["allowed_actions"] = [{
        "name": a.name, "label": a.label, "target": a.target,
        "target_label": kind.state_label(a.target) if a.target else None, "rule": a.rule, "primary": a.primary,
        "path": _action_path(a.name).replace("{case_id}", str(case.public_id)),
    } for a in allowed_actions(user, case)]
    return data


_TIMELINE_KEYS = ("action", "label", "from", "to", "documents", "document_id", "doc_type", "name", "number",
                  "sha256", "size", "content_type", "review_round", "new_case", "source_case", "published",
                  "changed", "correction", "object_kind", "result")


def _timeline_details(item: selectors.HistoryItem) -> dict[str, Any]:
    if item.event is not None:
        event = item.event
        if not event.is_transition:
            return {"label": event.label}
        return {"action": event.action, "label": event.label, "from": event.from_state, "to": event.to_state,
                "documents": [{"id": str(d.public_id), "type": d.doc_type, "number": d.number}
                              for d in event.documents.all()], **event.extra}
    if item.document is not None:
        doc = item.document
        return {"document_id": str(doc.public_id), "doc_type": doc.doc_type, "name": doc.name, "number": doc.number}
    if item.evidence is not None or item.entry is None:
        return {}
    return {k: v for k, v in item.entry.details.items() if k in _TIMELINE_KEYS}


def _timeline_entry(item: selectors.HistoryItem) -> dict[str, Any]:
    details = _timeline_details(item)
    event = item.event
    if event is not None:
        summary = event.label or item.kind
        if event.is_transition and event.from_state != event.to_state and event.to_state:
            summary += f"（{event.from_state or '—'} → {event.to_state}）"
        docs = [d.number or d.doc_type for d in event.documents.all()]
        if docs:
            summary += "，文书：" + "、".join(docs)
    elif details.get("name"):
        summary = " ".join(str(x) for x in (details.get("name"), details.get("number")) if x)
    else:
        summary = item.kind
    return {"seq": item.seq, "kind": item.kind, "recorded_at": item.recorded_at, "actor": item.actor,
            "summary": summary, "details": details}


# ------------------------------------------------------------------------------------------------------ kinds


def _action_out(action: Action) -> dict[str, Any]:
    return {
        "name": action.name, "label": action.label, "sources": list(action.sources), "target": action.target,
        "roles": sorted(str(r) for r in action.roles), "rule": action.rule, "help": action.help,
        "primary": action.primary, "path": _action_path(action.name),
        "input_schema": action.schema.model_json_schema(),
    }


@router.get("/kinds", response={200: list[CaseKindOut], 401: CaseErrorOut}, operation_id="case_kinds",
            summary="案件类型及其办案流程（状态表）")
def case_kinds(request: HttpRequest) -> Any:
    """Every case kind's state table: its states, and each action's sources, target, roles, rule and input schema.
    A provincial platform or a mobile app learns the procedure from here."""
    return [{
        "code": kind.code, "label": kind.label, "initial": kind.initial, "reference_prefix": kind.reference_prefix,
        "states": [{"code": code, "label": label, "terminal": code in kind.terminal}
                   for code, label in kind.states.items()],
        "actions": [_action_out(a) for a in kind.actions.values()],
    } for kind in KINDS.values()]


# ------------------------------------------------------------------------------------------------- list, create


@router.get("/", response={200: CaseListOut, **LIST_ERRORS}, operation_id="case_list",
            summary="案件列表（记录调阅）")
@decorate_view(_fail_closed)
def case_list(
    request: HttpRequest,
    state: str = Query("", max_length=32, description="状态代码"),
    kind: str = Query("", max_length=24, description="案件类型代码"),
    mine: bool = Query(False, description="只看我承办的案件"),
    q: str = Query("", max_length=100, description="案由或案号包含"),
    limit: int = Query(50, ge=1, le=200),
    offset: int = offset_query(),
) -> Any:
    rows, total = selectors.case_list_for(
        user=request.user, state=state, kind=kind, mine=mine, q=q, limit=limit, offset=offset,  # type: ignore[arg-type]
    )
    # Like the staff list: a 调阅 entry naming the cases shown, never the search words (issue 9 defect 9).
    record_list_access(user=request.user, object_kind="case_list", request=request, action="list",
                       shown=[(c.agency_id, str(c.public_id)) for c in rows])
    return {"total": total, "limit": limit, "offset": offset, "items": [_summary(c) for c in rows]}


@router.post("/", response={201: CaseDetailOut, **WRITE_ERRORS}, operation_id="case_create",
             summary="登记案件（案源登记、当场处罚登记、检查登记）")
def case_register(request: HttpRequest, payload: CaseCreateIn) -> Any:
    data = payload.model_dump(exclude={"kind"})
    case = case_create(actor=request.user, kind=payload.kind, data=data)  # type: ignore[arg-type]
    return Status(201, _detail(request.user, selectors.case_page_after_write(user=request.user, case_id=case.public_id)))  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------------ deadlines


@router.get("/due", response={200: list[CaseDueOut], **LIST_ERRORS}, operation_id="case_due_list",
            summary="我的待办期限（未届满和已超期的期限；记录调阅）")
@decorate_view(_fail_closed)
def case_due(request: HttpRequest, days: int = Query(14, ge=0, le=366, description="未来多少天内届满"),
             limit: int = Query(100, ge=1, le=500)) -> Any:
    today = today_in_china()
    rows = selectors.due_list_for(user=request.user, today=today, days=days, limit=limit)  # type: ignore[arg-type]
    _log_deadline_list(request, rows, "due_list")
    return [_due(row, today) for row in rows]


@router.get("/missed", response={200: list[CaseDueOut], **LIST_ERRORS}, operation_id="case_missed_list",
            summary="已错过的法定期限（记录调阅）")
@decorate_view(_fail_closed)
def case_missed(request: HttpRequest, limit: int = Query(100, ge=1, le=500)) -> Any:
    today = today_in_china()
    rows = selectors.missed_deadlines_for(user=request.user, limit=limit)  # type: ignore[arg-type]
    _log_deadline_list(request, rows, "missed_list")
    return [_due(row, today) for row in rows]


def _log_deadline_list(request: HttpRequest, rows: list[Deadline], kind: str) -> None:
    """Deadline lists show case numbers and titles: a 调阅 entry naming the cases shown (issue 9 defect 9)."""
    shown = {(row.case.agency_id, str(row.case.public_id)) for row in rows}
    record_list_access(user=request.user, object_kind=kind, shown=sorted(shown, key=str), action="list",
                       request=request)


def _due(row: Deadline, today: datetime.date) -> dict[str, Any]:
    return {
        "case_id": row.case.public_id, "reference": row.case.reference, "title": row.case.title, "code": row.code,
        "rule": row.rule, "label": row.label, "start": row.start, "due": row.due, "day_kind": row.day_kind,
        "state": row.state, "provisional": row.provisional, "party_facing": row.party_facing,
        "days_left": row.days_left(today),
    }


# ---------------------------------------------------------------------------------------------------- detail


@router.get("/{case_id}", response={200: CaseDetailOut, **READ_ERRORS}, operation_id="case_get",
            summary="案件详情（记录调阅）")
@decorate_view(_fail_closed)
def case_get(request: HttpRequest, case_id: uuid.UUID) -> Any:
    page = selectors.case_page_for(user=request.user, case_id=case_id, request=request,  # type: ignore[arg-type]
                                   timeline_limit=0)
    return _detail(request.user, page)


@router.get("/{case_id}/timeline", response={200: CaseTimelineOut, **READ_ERRORS}, operation_id="case_timeline",
            summary="案件记录（账本）时间线（记录调阅）")
@decorate_view(_fail_closed)
def case_timeline(request: HttpRequest, case_id: uuid.UUID, limit: int = Query(100, ge=1, le=500),
                  offset: int = offset_query()) -> Any:
    case = selectors.case_read_for(user=request.user, case_id=case_id, request=request)  # type: ignore[arg-type]
    qs = selectors.case_timeline_qs(case)
    total = qs.count()
    rows = list(qs.order_by("seq")[offset:offset + limit])
    return {"total": total, "limit": limit, "offset": offset, "items": [_timeline_entry(i) for i in selectors.case_history(rows)]}


# ------------------------------------------------------------------------------------------------------ actions


def _actions_by_name() -> dict[str, list[tuple[str, Action]]]:
    table: dict[str, list[tuple[str, Action]]] = {}
    for kind in KINDS.values():
        for action in kind.actions.values():
            table.setdefault(action.name, []).append((kind.code, action))
    for name, uses in table.items():
        schemas = {a.schema for _k, a in uses}
        if len(schemas) != 1:  # the engine's contract: one name, one input schema
            raise RuntimeError(f"action {name!r} has different input schemas across kinds: {schemas}")
    return table


def _role_label(code: str) -> str:
    return str(Role(code).label) if code in Role.values else code


def _description(uses: list[tuple[str, Action]]) -> str:
    lines = []
    for kind_code, action in uses:
        kind = KINDS[kind_code]
        sources = "、".join(kind.state_label(s) for s in action.sources)
        target = kind.state_label(action.target) if action.target else "状态不变"
        roles = "、".join(sorted(_role_label(r) for r in action.roles))
        line = f"- **{kind.label}**：{action.label}；适用状态：{sources}；之后：{target}；角色：{roles}"
        if action.rule:
            line += f"；依据：{action.rule}"
        if action.help:
            line += f"。{action.help}"
        lines.append(line)
    return ("\n".join(lines) + "\n\n被法定条件拦截时返回 409 及规则编号（rule）；状态不符返回 409；角色不符或只读用户返回 403；"
            "其他机关的案件返回 404。成功时返回更新后的案件详情，本操作签发的文书列在 documents 中。")


def _action_route(name: str, uses: list[tuple[str, Action]]) -> None:
    schema = uses[0][1].schema

    def view(request: HttpRequest, case_id: uuid.UUID, payload: Any) -> Any:
        case_act(actor=request.user, case_id=case_id, action=name, data=payload)  # type: ignore[arg-type]
        return _detail(request.user, selectors.case_page_after_write(user=request.user, case_id=case_id))  # type: ignore[arg-type]

    view.__name__ = f"case_action_{name}"
    view.__qualname__ = view.__name__
    view.__annotations__ = {"request": HttpRequest, "case_id": uuid.UUID, "payload": schema, "return": Any}
    labels = "／".join(dict.fromkeys(a.label for _k, a in uses))
    router.post(f"/{{case_id}}/actions/{name}", response={200: CaseDetailOut, **WRITE_ERRORS},
                operation_id=f"case_action_{name}", summary=f"办案操作：{labels}",
                description=_description(uses), url_name=f"case_action_{name}")(view)


ACTIONS = _actions_by_name()
for _name_, _uses in ACTIONS.items():
    _action_route(_name_, _uses)
