"""双公示 export API (ADR 0040): the user's own agency's DS-1 penalty records for a date range, as JSON (records
and the refused ones with their DS-7 problems), CSV or XLSX. Token or session auth; disclosure officer or agency
head; every read is a 调阅 of the cases it contains, written before anything is sent.

Mounted in zhifa/api.py: api.add_router("/disclosure/dualpub", dualpub_router) → /api/v1/disclosure/dualpub/…"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.security import django_auth

from zhifa.accounts.auth import ApiTokenAuth
from zhifa.cases.engine import today_in_china
from zhifa.disclosure.dualpub import selectors
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
