"""Reads of the cases app. Every query is scoped to the agencies the user may see; another agency's case is a
404. Staff reads of a case page append a 调阅 entry first (architecture rule 2, REC-12)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from zhifa.cases.engine import kind_codes_for
from zhifa.cases.models import Case, CaseOfficer, Deadline, DeadlineState
from zhifa.common.scoping import scope_to_agencies, visible_agency_ids
from zhifa.records.access import record_access
from zhifa.records.models import LedgerEntry

if TYPE_CHECKING:
    from zhifa.accounts.models import User

OPEN_DEADLINES = (DeadlineState.RUNNING, DeadlineState.SUSPENDED, DeadlineState.EXTENDED)


def cases_for(*, user: User) -> QuerySet[Case]:
    return scope_to_agencies(Case.objects.all(), visible_agency_ids(user))


def case_visible_to(user: User, case_id: UUID | str) -> bool:
    try:
        return cases_for(user=user).filter(public_id=case_id).exists()
    except (ValueError, TypeError):
        return False


def case_list_for(*, user: User, state: str = "", kind: str = "", mine: bool = False, q: str = "",
                  limit: int = 50, offset: int = 0, action_type: str = "") -> tuple[list[Case], int]:
    """A page of cases, newest first; constant query count whatever the data size (one count, one page query).
    `action_type` (registry.ActionType, REG-4) keeps the cases of the kinds mapped to it (ADR 0025)."""
    qs = cases_for(user=user).select_related("agency", "penalty")
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if action_type:
        qs = qs.filter(kind__in=kind_codes_for(action_type))
    if mine:
        qs = qs.filter(pk__in=my_case_ids(user))
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(reference__icontains=q) | Q(parties__name__icontains=q)).distinct()
    total = qs.count()
    return list(qs.order_by("-registered_on", "-id")[offset:offset + limit]), total


def my_case_ids(user: User) -> set[int]:
    """Cases the user registered or is an active officer of: two indexed lookups, not an OR over the agency's cases
    (bench/README.md, "mine" at 100,000 cases)."""
    ids = set(Case.objects.filter(created_by=user).values_list("pk", flat=True))
    staff = getattr(user, "staff", None)
    if staff is not None:
        ids |= set(CaseOfficer.objects.filter(staff=staff, active=True).values_list("case_id", flat=True))
    return ids


def case_get_for(*, user: User, case_id: UUID | str) -> Case:
    """The case row without an access entry (for permission checks before a read)."""
    try:
        return cases_for(user=user).select_related("agency", "power_item", "handling_unit", "penalty").get(
            public_id=case_id)
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def case_read_for(*, user: User, case_id: UUID | str, request: HttpRequest | None = None) -> Case:
    """The case for its page or API detail: the 调阅 entry is written first (AccessLogUnavailable → no data)."""
    case = case_get_for(user=user, case_id=case_id)
    record_access(user=user, agency_id=case.agency_id, object_kind="case", object_id=str(case.public_id),
                  action="view", request=request)
    return case


@dataclass
class CasePage:
    case: Case
    parties: list[Any]
    officers: list[Any]
    activities: list[Any]
    deadlines: list[Deadline]
    documents: list[Any]
    evidence: list[Any]
    timeline: list[LedgerEntry]
    review_rounds: list[Any]


def case_page_for(*, user: User, case_id: UUID | str, request: HttpRequest | None = None,
                  timeline_limit: int = 100) -> CasePage:
    """Everything the case page shows, in a fixed number of queries."""
    from zhifa.documents.models import Document
    from zhifa.records.models import Evidence

    case = case_read_for(user=user, case_id=case_id, request=request)
    return CasePage(
        case=case,
        parties=list(case.parties.select_related("personal")),
        officers=list(case.officers.select_related("staff")),
        activities=list(case.activities.prefetch_related("staff")),
        deadlines=list(case.deadlines.all()),
        documents=list(Document.objects.filter(subject_id=case.public_id).order_by("issued_at", "id")),
        evidence=list(Evidence.objects.filter(agency_id=case.agency_id, stream=case.stream).order_by("uploaded_at")),
        timeline=list(case_timeline_qs(case).order_by("-seq")[:timeline_limit]),
        review_rounds=list(case.review_rounds.select_related("reviewer", "submitted_by")),
    )


def case_timeline_qs(case: Case) -> QuerySet[LedgerEntry]:
    """The ledger entries of a case's stream written by the case's own agency (issue 9 defect 1: an entry another
    agency managed to put into the stream never shows on the case)."""
    return LedgerEntry.objects.filter(stream=case.stream, agency_id=case.agency_id)


def due_list_for(*, user: User, today: date, days: int = 14, limit: int = 100) -> list[Deadline]:
    """Open deadlines of the cases the user works on (officers: their cases; heads: the agency), overdue first."""
    qs = scope_to_agencies(Deadline.objects.filter(state__in=OPEN_DEADLINES), visible_agency_ids(user))
    staff = getattr(user, "staff", None)
    if staff is not None and not user.has_role("agency_head", "unit_head", "legal_reviewer", "supervisor"):
        qs = qs.filter(case_id__in=my_case_ids(user))
    horizon = date.fromordinal(today.toordinal() + days)
    return list(qs.filter(due__lte=horizon).select_related("case").order_by("due", "id")[:limit])


def missed_deadlines_for(*, user: User, limit: int = 100) -> list[Deadline]:
    qs = scope_to_agencies(Deadline.objects.filter(state=DeadlineState.MISSED), visible_agency_ids(user))
    return list(qs.select_related("case").order_by("-due", "-id")[:limit])
