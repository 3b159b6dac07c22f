"""双公示 export API (ADR 0040): the user's own agency's DS-1 penalty records for a date range, as JSON (records
and the refused ones with their DS-7 problems), CSV or XLSX. Token or session auth; disclosure officer or agency
head; every read is a 调阅 of the cases it contains, written before anything is sent.

Mounted in zhifa/api.py: api.add_router("/disclosure/dualpub", dualpub_router) → /api/v1/disclosure/dualpub/…"""

from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.security import django_auth

from zhifa.accounts.auth import ApiTokenAuth
from zhifa.cases.engine import today_in_china
from zhifa.common.errors import ServiceError
from zhifa.disclosure.dualpub import push, selectors
from zhifa.disclosure.dualpub.models import DualPubDelivery
from zhifa.disclosure.dualpub.records import PENALTY_COLUMNS
from zhifa.disclosure.dualpub.views import RangeError, check_agency, file_response, log_rows, parse_range
from zhifa.records.access import api_fail_closed

router = Router(tags=["双公示导出（需令牌）"], auth=[ApiTokenAuth(), django_auth])


class ErrorOut(Schema):
    code: str
    message: str


class ProblemOut(Schema):
    column: str
    label: str
    message: str
    warning: bool


class RowOut(Schema):
    case_id: str
    reference: str
    record: dict[str, str]
    problems: list[ProblemOut]


class ColumnOut(Schema):
    code: str
    label: str


class PenaltyExportOut(Schema):
    start: date
    end: date
    columns: list[ColumnOut]
    records: list[RowOut]
    refused: list[RowOut]


def _row(r: selectors.PenaltyRow) -> dict[str, Any]:
    return {"case_id": r.case_id, "reference": r.reference, "record": asdict(r.record),
            "problems": [p.as_dict() for p in r.problems]}


@router.get("/penalties", response={200: PenaltyExportOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
            operation_id="dualpub_penalties",
            summary="双公示行政处罚数据（JSON、CSV 或 XLSX；本机关公示管理员、机关负责人）")
@api_fail_closed
def penalties(request: HttpRequest, start: str = Query("", max_length=10), end: str = Query("", max_length=10),
              format: str = Query("json", pattern="^(json|csv|xlsx)$"),  # noqa: A002 - the query parameter's name
              agency: str = Query("", max_length=36)) -> Any:
    user: Any = request.user
    if not selectors.can_export(user):
        return Status(403, {"code": "forbidden", "message": "只有本机关的公示管理员和机关负责人可以导出双公示数据。"})
    check_agency(user, agency)
    try:
        first, last = parse_range(start, end, today=today_in_china())
    except RangeError as exc:
        return Status(400, {"code": "bad_range", "message": str(exc)})
    rows = selectors.penalty_rows_for(user=user, start=first, end=last)
    log_rows(request, rows, f"dualpub_export:{format}")
    if format != "json":
        return file_response(rows, format, first, last)
    return {"start": first, "end": last, "columns": [{"code": c.code, "label": c.label} for c in PENALTY_COLUMNS],
            "records": [_row(r) for r in rows if not r.refused], "refused": [_row(r) for r in rows if r.refused]}


# --------------------------------------------------------------------------------------------- push (ADR 0046)


class PushIn(Schema):
    start: str = ""
    end: str = ""


class AttemptOut(Schema):
    number: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str
    records: int
    payload_sha256: str
    response_excerpt: str


class DeliveryOut(Schema):
    id: UUID
    standard: str
    start: date
    end: date
    state: str
    state_label: str
    records: int
    refused: int
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str
    requested_at: datetime
    attempt_log: list[AttemptOut] = []


def _delivery(d: DualPubDelivery, *, with_attempts: bool = False) -> dict[str, Any]:
    out = {"id": d.public_id, "standard": d.standard, "start": d.start, "end": d.end, "state": d.state,
           "state_label": d.get_state_display(), "records": d.records, "refused": d.refused, "attempts": d.attempts,
           "next_attempt_at": d.next_attempt_at, "delivered_at": d.delivered_at, "last_error": d.last_error,
           "requested_at": d.requested_at, "attempt_log": []}
    if with_attempts:
        out["attempt_log"] = [{f: getattr(a, f) for f in AttemptOut.model_fields} for a in push.attempts_of(d)]
    return out


def _refusal(exc: ServiceError) -> Status[dict[str, str]]:
    return Status(exc.status, {"code": exc.code, "message": exc.message})


@router.post("/pushes", response={202: DeliveryOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             operation_id="dualpub_push", summary="把一段日期内的双公示行政处罚数据推送到省级信用平台（后台发送并重试）")
@api_fail_closed
def push_create(request: HttpRequest, payload: PushIn) -> Any:
    user: Any = request.user
    try:
        first, last = parse_range(payload.start, payload.end, today=today_in_china())
        delivery, rows = push.dualpub_push_request(user=user, start=first, end=last)
    except RangeError as exc:
        return Status(400, {"code": "bad_range", "message": str(exc)})
    except ServiceError as exc:
        return _refusal(exc)
    log_rows(request, rows, "dualpub_push")
    return Status(202, _delivery(delivery))


@router.get("/pushes", response={200: list[DeliveryOut], 403: ErrorOut}, operation_id="dualpub_push_list",
            summary="本机关的双公示推送记录（最近 100 次）")
def push_list(request: HttpRequest) -> Any:
    if not selectors.can_export(request.user):
        return Status(403, {"code": "forbidden", "message": "只有本机关的公示管理员和机关负责人可以查看推送记录。"})
    return [_delivery(d) for d in push.deliveries_for(request.user)[:100]]


@router.get("/pushes/{public_id}", response={200: DeliveryOut}, operation_id="dualpub_push_detail",
            summary="一次双公示推送及其每次尝试")
def push_detail(request: HttpRequest, public_id: UUID) -> Any:
    return _delivery(push.delivery_for(request.user, public_id), with_attempts=True)


@router.post("/pushes/{public_id}/retry", response={202: DeliveryOut, 409: ErrorOut},
             operation_id="dualpub_push_retry", summary="重新推送一次失败的双公示推送")
def push_retry(request: HttpRequest, public_id: UUID) -> Any:
    delivery = push.delivery_for(request.user, public_id)
    try:
        delivery = push.dualpub_push_retry(user=request.user, delivery=delivery)
    except ServiceError as exc:
        return _refusal(exc)
    return Status(202, _delivery(delivery))
