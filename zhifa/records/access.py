"""The 调阅 log (REC-12, reliability.md AC-6, FC-5): every staff read of a recorded object appends an access entry
to the ledger before any data is returned. If the entry cannot be written the read fails closed."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from zhifa.common.http import client_ip
from zhifa.records.ledger import LedgerError, ledger_append

P = ParamSpec("P")
R = TypeVar("R")

ACCESS_KIND = "access.read"


class AccessLogUnavailable(Exception):
    """The access entry could not be written; the caller must not return the object (HTTP 503)."""


def access_stream(agency_id: int | None) -> str:
    return f"access:{agency_id if agency_id is not None else 'system'}"


def client_address(request: HttpRequest | None) -> str:
    """The source address a 调阅 or security event records: the same as the login lockout uses (behind a proxy,
    ZHIFA_CLIENT_IP_HEADER's value)."""
    if request is None:
        return ""
    return client_ip(request)[:64]


def record_access(
    *,
    user: Any,
    agency_id: int | None,
    object_kind: str,
    object_id: str,
    action: str,
    request: HttpRequest | None = None,
    result: str = "ok",
) -> None:
    """Append one access entry (who, agency, object, action, result, source address, time) or raise
    AccessLogUnavailable. Runs in its own transaction so the entry is durable before data is sent."""
    try:
        with transaction.atomic():
            ledger_append(
                kind=ACCESS_KIND,
                stream=access_stream(agency_id),
                agency_id=agency_id,
                actor=user,
                payload={
                    "object_kind": object_kind,
                    "object_id": object_id,
                    "action": action,
                    "result": result,
                    "source": client_address(request),
                },
            )
    except (DatabaseError, LedgerError, OSError) as exc:
        raise AccessLogUnavailable(str(exc)) from exc


def unavailable_response() -> HttpResponse:
    return HttpResponse(
        "调阅记录暂时无法写入，为保证每次调阅可追溯，本次查看已被拒绝。请稍后重试或联系系统管理员。",
        status=503,
        content_type="text/plain; charset=utf-8",
    )


def fail_closed(view: Callable[P, HttpResponse]) -> Callable[P, HttpResponse]:
    """Turn AccessLogUnavailable raised inside a view into a 503 with no object data."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            return view(*args, **kwargs)
        except AccessLogUnavailable:
            return unavailable_response()

    return wrapper


API_UNAVAILABLE_MESSAGE = "调阅记录暂时无法写入，为保证每次调阅可追溯，本次请求已被拒绝。请稍后重试。"


def unavailable_json() -> JsonResponse:
    return JsonResponse({"code": "access_log_unavailable", "message": API_UNAVAILABLE_MESSAGE}, status=503,
                        json_dumps_params={"ensure_ascii": False})


def api_fail_closed(run: Callable[P, Any]) -> Callable[P, Any]:
    """The API's `fail_closed`: a read whose 调阅 entry cannot be written returns 503 JSON and nothing else."""

    @wraps(run)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
        try:
            return run(*args, **kwargs)
        except AccessLogUnavailable:
            return unavailable_json()

    return wrapper


def record_list_access(
    *, user: Any, object_kind: str, shown: list[tuple[int | None, str]], action: str,
    request: HttpRequest | None = None,
) -> None:
    """The 调阅 entry of a page that lists recorded objects (case list and search, due list, review queue; issue 9
    defect 9): one entry per agency whose objects the page shows (one for the user's agency when it shows none),
    naming the objects shown by id. The search words are not written: they may be a party's name."""
    by_agency: dict[int | None, list[str]] = {}
    for agency_id, object_id in shown:
        by_agency.setdefault(agency_id, []).append(object_id)
    if not by_agency:
        by_agency[getattr(user, "agency_id", None)] = []
    for agency_id, ids in by_agency.items():
        record_access(user=user, agency_id=agency_id, object_kind=object_kind, object_id=",".join(ids),
                      action=action, request=request)
