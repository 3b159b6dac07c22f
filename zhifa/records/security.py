"""Security events: denied attempts on staff and API routes (issue 9 defect 9; reliability.md AC-1, AC-6).

`DeniedAttemptMiddleware` appends one `security.denied` ledger entry for every 403 or 404 answered to a signed-in
user on a staff page, an authenticated API route or the token pages: who (the actor snapshot), from where (source
address), what (method, the matched route pattern and the path without its query string), and the status. The
query string is never written (a search may carry a party's name), and neither is the body. The entries go to the
stream "security:<the user's agency>", which the agency head, the supervising bureau's supervisors and the system
administrator read at /staff/records/security/ and GET /api/v1/records/security.

Writing the event must never turn a refusal into an error: if the ledger refuses, the refusal is still answered and
the failure is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from zhifa.accounts.roles import Role
from zhifa.records.access import client_address
from zhifa.records.entries import entry_views
from zhifa.records.ledger import LedgerError, ledger_append
from zhifa.records.models import LedgerEntry

if TYPE_CHECKING:
    from zhifa.accounts.models import User

logger = logging.getLogger("zhifa.security")

SECURITY_KIND = "security.denied"
DENIED_STATUSES = frozenset({403, 404})
WATCHED_PREFIXES = ("/staff/", "/api/v1/", "/accounts/tokens/")
UNWATCHED_PREFIXES = ("/api/v1/public/", "/api/v1/docs", "/api/v1/openapi.json", "/api/v1/records/checkpoint")
# Who reads the security log: the agency head (own agency), the supervising bureau's supervisors (supervised
# agencies) and the system administrator (all).
SECURITY_READERS = frozenset({Role.AGENCY_HEAD, Role.SUPERVISOR, Role.SYSTEM_ADMIN})


def security_stream(agency_id: int | None) -> str:
    return f"security:{agency_id if agency_id is not None else 'system'}"


def watched(path: str) -> bool:
    return path.startswith(WATCHED_PREFIXES) and not path.startswith(UNWATCHED_PREFIXES)


def record_denied(*, request: HttpRequest, status: int) -> LedgerEntry:
    user: Any = request.user
    match = getattr(request, "resolver_match", None)
    payload = {
        "method": request.method or "",
        "route": str(match.route) if match is not None else "",
        "path": request.path[:300],  # ids only; the query string (search words) is never written
        "status": status,
        "channel": "api" if request.path.startswith("/api/") else "staff",
        "source": client_address(request),
    }
    with transaction.atomic():
        return ledger_append(kind=SECURITY_KIND, stream=security_stream(user.agency_id), agency_id=user.agency_id,
                             actor=user, payload=payload)


class DeniedAttemptMiddleware:
    """Record every 403/404 answered to a signed-in user on a watched route (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in DENIED_STATUSES and watched(request.path):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                try:
                    record_denied(request=request, status=response.status_code)
                except (DatabaseError, LedgerError, OSError):
                    logger.exception("security event for a denied %s %s could not be written",
                                     request.method, request.path)
        return response


def security_agency_ids(user: User) -> frozenset[int] | None:
    """Agencies whose security events `user` reads (None: all, for the system administrator)."""
    from zhifa.records.evidence import evidence_agency_ids

    if not user.is_authenticated or not user.is_active or not user.has_role(*SECURITY_READERS):
        return frozenset()
    if user.has_role(Role.SYSTEM_ADMIN):
        return None
    ids = set(evidence_agency_ids(user)) if user.has_role(Role.SUPERVISOR) else set()
    if user.has_role(Role.AGENCY_HEAD) and user.agency_id is not None:
        ids.add(user.agency_id)
    return frozenset(ids)


def can_read_security(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.has_role(*SECURITY_READERS)


def security_events_for(*, user: User) -> QuerySet[LedgerEntry]:
    """Security events the user may read, newest first."""
    ids = security_agency_ids(user)
    qs = LedgerEntry.objects.filter(kind=SECURITY_KIND)
    if ids is None:
        return qs.order_by("-seq")
    return qs.filter(agency_id__in=ids).order_by("-seq")


def security_rows(entries: list[LedgerEntry]) -> list[dict[str, Any]]:
    """The security page's and API's rows: when, who and what of each `security.denied` entry."""
    return [{"seq": e.seq, "time": e.time, "when": e.when, "agency_id": e.agency_id, "actor": e.actor.get("name", ""),
             "username": e.actor.get("username", ""), **e.payload} for e in entry_views(entries)]
