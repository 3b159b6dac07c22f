"""The 调阅 log (REC-12, reliability.md AC-6, FC-5): every staff read of a recorded object appends an access entry
to the ledger before any data is returned. If the entry cannot be written the read fails closed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from zhifa.common.http import client_ip
from zhifa.records import group_commit
from zhifa.records.ledger import LedgerError, NewEntry, actor_snapshot, ledger_append_many

P = ParamSpec("P")
R = TypeVar("R")

ACCESS_KIND = "access.read"
log = logging.getLogger(__name__)


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
    AccessLogUnavailable. The entry is durable when this returns: committed with those of concurrent reads
    (group commit, ADR 0035), or in the caller's transaction if it is in one."""
    record_access_entries([access_entry(user=user, agency_id=agency_id, object_kind=object_kind,
                                        object_id=object_id, action=action, request=request, result=result)])


def access_entry(*, user: Any, agency_id: int | None, object_kind: str, object_id: str, action: str,
                 request: HttpRequest | None = None, result: str = "ok") -> NewEntry:
    return NewEntry(
        kind=ACCESS_KIND,
        stream=access_stream(agency_id),
        agency_id=agency_id,
        actor=actor_snapshot(user),
        payload={
            "object_kind": object_kind,
            "object_id": object_id,
            "action": action,
            "result": result,
            "source": client_address(request),
        },
    )


def record_access_entries(entries: list[NewEntry]) -> None:
    """Make `entries` durable before returning, or raise AccessLogUnavailable (nothing may be sent then).

    Outside a transaction (a page or API read) they join the process's group commit: one transaction and one
    durable commit for the entries of every concurrent read. Inside the caller's transaction they are appended in
    it, and commit or roll back with it, as before (a group's leader cannot write in someone else's transaction)."""
    try:
        if connection.in_atomic_block:
            with transaction.atomic():
                ledger_append_many(entries)
        else:
            group_commit.group.append(entries)
    except group_commit.BatchFailed as exc:
        if not isinstance(exc.__cause__, (DatabaseError, LedgerError, OSError)):
            log.error("调阅 group commit failed", exc_info=exc.__cause__)
        raise AccessLogUnavailable(str(exc)) from exc
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
    record_access_entries([access_entry(user=user, agency_id=agency_id, object_kind=object_kind,
                                        object_id=",".join(ids), action=action, request=request)
                           for agency_id, ids in by_agency.items()])
