"""Reads of the cases app. Every query is scoped to the agencies the user may see; another agency's case is a
404. Staff reads of a case page append a 调阅 entry first (architecture rule 2, REC-12)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest

from zhifa.accounts.scoping import ALL_AGENCIES, scope_to_agencies, visible_agency_ids
from zhifa.cases.engine import kind_codes_for
from zhifa.cases.models import Case, CaseEvent, CaseMember, Deadline, DeadlineState, Party, Pause
from zhifa.documents.models import Document
from zhifa.records.access import record_access
from zhifa.records.entries import EntryView, entry_view
from zhifa.records.evidence import can_upload
from zhifa.records.models import Evidence, LedgerEntry
from zhifa.review.models import ReviewRound
from zhifa.review.selectors import with_due

if TYPE_CHECKING:
    from zhifa.accounts.models import User

OPEN_DEADLINES = (DeadlineState.RUNNING, DeadlineState.SUSPENDED, DeadlineState.EXTENDED)


def review_clock_due() -> Subquery:
    """The due date of a review round (REV-6), read from the one review clock: the case's `Deadline(code="review")`
    row started when the round received its package (ADR 0024). For review's queue and supervision selectors."""
    return Subquery(Deadline.objects.filter(case_id=OuterRef("case_id"), code="review", start=OuterRef("received_on"))
                    .order_by("-id").values("due")[:1])


def review_pauses(rounds: list[ReviewRound]) -> dict[int, list[Pause]]:
    """The materials pauses (REV-6) of each of `rounds`, oldest first (one query)."""
    out: dict[int, list[Pause]] = {r.pk: [] for r in rounds}
    for pause in Pause.objects.filter(review_round__in=[r.pk for r in rounds]).order_by("start", "pk"):
        assert pause.review_round_id is not None
        out[pause.review_round_id].append(pause)
    return out


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
    `action_type` (registry.ActionType, REG-4) keeps the cases of the kinds mapped to it (ADR 0025).

    "Mine" pages through the user's desk rows (`CaseMember`: registered or active officer) on their
    `(staff, registered_on, case)` index, so a page reads its 50 rows whatever the caseload (ADR 0038)."""
    staff = getattr(user, "staff", None) if mine else None
    if staff is not None:
        desk = scope_to_agencies(CaseMember.objects.filter(staff=staff), visible_agency_ids(user))
        desk = desk.filter(_case_filter(state=state, kind=kind, q=q, action_type=action_type, prefix="case__"))
        rows = desk.select_related("case", "case__agency", "case__penalty").order_by("-registered_on", "-case_id")
        return [m.case for m in rows[offset:offset + limit]], desk.count()
    qs = cases_for(user=user).select_related("agency", "penalty")
    if mine:  # a user without a staff record has only the cases they registered
        qs = qs.filter(created_by=user)
    qs = qs.filter(_case_filter(state=state, kind=kind, q=q, action_type=action_type))
    total = qs.count()
    return list(qs.order_by("-registered_on", "-id")[offset:offset + limit]), total


def _case_filter(*, state: str, kind: str, q: str, action_type: str, prefix: str = "") -> Q:
    """The list's narrowing as one condition on `Case` or, with `prefix`, on a row pointing at it (no join that
    repeats rows: a party's name matches through EXISTS)."""
    wanted = Q()
    if state:
        wanted &= Q(**{f"{prefix}state": state})
    if kind:
        wanted &= Q(**{f"{prefix}kind": kind})
    if action_type:
        wanted &= Q(**{f"{prefix}kind__in": kind_codes_for(action_type)})
    if q:
        party = Exists(Party.objects.filter(case=OuterRef(f"{prefix}pk"), name__icontains=q))
        wanted &= Q(**{f"{prefix}title__icontains": q}) | Q(**{f"{prefix}reference__icontains": q}) | Q(party)
    return wanted


def my_case_ids(user: User) -> QuerySet[Any]:
    """Ids of the cases on the user's desk (registered or active officer), as a subquery (ADR 0038)."""
    staff = getattr(user, "staff", None)
    if staff is None:
        return Case.objects.filter(created_by=user).values("pk")
    return CaseMember.objects.filter(staff=staff).values("case_id")


def party_names_of(case_ids: Sequence[int]) -> dict[int, list[str]]:
    """The parties' names of listed cases (already scoped), in order: one query."""
    names: dict[int, list[str]] = {}
    for party in Party.objects.filter(case_id__in=case_ids).only("case_id", "name").order_by("id"):
        names.setdefault(party.case_id, []).append(party.name)
    return names


def next_deadlines_of(case_ids: Sequence[int]) -> dict[int, Deadline]:
    """Each listed case's next open deadline (already scoped): one query."""
    out: dict[int, Deadline] = {}
    for row in Deadline.objects.filter(case_id__in=case_ids, state__in=OPEN_DEADLINES).order_by("due", "id"):
        out.setdefault(row.case_id, row)
    return out


def case_get_for(*, user: User, case_id: UUID | str) -> Case:
    """The case row without an access entry (for permission checks before a read)."""
    try:
        return cases_for(user=user).select_related("agency", "power_item", "handling_unit", "penalty").get(
            public_id=case_id)
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def case_upload_target_for(*, user: User, case_id: UUID | str) -> Case:
    """The case the user uploads evidence to: visible (else 404), and the user an uploader of the case's agency
    (else 403; the upload services check the stream's owner again)."""
    case = case_get_for(user=user, case_id=case_id)
    if not can_upload(user) or case.agency_id != user.agency_id:
        raise PermissionDenied
    return case


def case_read_for(*, user: User, case_id: UUID | str, request: HttpRequest | None = None) -> Case:
    """The case for its page or API detail: the 调阅 entry is written first (AccessLogUnavailable → no data)."""
    case = case_get_for(user=user, case_id=case_id)
    record_access(user=user, agency_id=case.agency_id, object_kind="case", object_id=str(case.public_id),
                  action="view", request=request)
    return case


@dataclass(frozen=True)
class CaseOpened:
    """A case page's read, before its content: the case (scoped), and the version of everything the page shows."""

    pk: int
    public_id: UUID
    agency_id: int
    version: str


@lru_cache(maxsize=64)
def _opened_sql(agency_count: int | None) -> str:
    """The one query of `case_opened_for`, for a scope of `agency_count` agencies (None: all), built from the models'
    tables and columns. Written out rather than through the ORM: this query is most of a kept page's cost, and
    compiling it (two correlated subqueries) took 0.75 ms of CPU against 0.02 ms to run it (ADR 0042)."""
    qn = connection.ops.quote_name

    def col(model: Any, name: str) -> str:
        return qn(str(model._meta.get_field(name).column))

    last = (f"SELECT {{col}} FROM {qn(LedgerEntry._meta.db_table)} WHERE {col(LedgerEntry, 'stream')} = %s "
            f"ORDER BY {col(LedgerEntry, 'seq')} DESC LIMIT 1")
    seq, leaf = last.format(col=col(LedgerEntry, "seq")), last.format(col=col(LedgerEntry, "leaf_hash"))
    scoped = "" if agency_count is None else f" AND {col(Case, 'agency')} IN ({', '.join(['%s'] * agency_count)})"
    return (f"SELECT {col(Case, 'id')}, {col(Case, 'agency')}, ({seq}), ({leaf}) "
            f"FROM {qn(Case._meta.db_table)} WHERE {col(Case, 'public_id')} = %s{scoped}")


def case_opened_for(*, user: User, case_id: UUID | str, request: HttpRequest | None = None) -> CaseOpened:
    """Open a case for its page (ADR 0042): the case within the user's agencies (else 404) and the last ledger entry
    of its stream, in one query; then the 调阅 entry, made durable before this returns (AccessLogUnavailable → no
    data). The last entry's sequence number and leaf hash are the page's version: every write touching a case
    appends its ledger event to the case's stream in the write's transaction (rules of the house 1; the deadline
    tick, evidence, its integrity flags, documents, personal-data erasure and the archive included), so a reader
    that sees the new rows sees the new version. The hash names one content even after a restore from a backup
    reuses a sequence number."""
    try:
        public_id = UUID(str(case_id))
    except ValueError as exc:
        raise Http404 from exc
    agencies = visible_agency_ids(user)
    if agencies is not ALL_AGENCIES and not agencies:
        raise Http404
    stream = f"case/{public_id}"
    params: list[Any] = [stream, stream, Case._meta.get_field("public_id").get_db_prep_value(public_id, connection)]
    if agencies is not ALL_AGENCIES:
        params += sorted(agencies)
    with connection.cursor() as cursor:
        cursor.execute(_opened_sql(None if agencies is ALL_AGENCIES else len(agencies)), params)
        row = cursor.fetchone()
    if row is None:
        raise Http404
    pk, agency_id, last_seq, last_hash = row
    record_access(user=user, agency_id=agency_id, object_kind="case", object_id=str(public_id), action="view",
                  request=request)
    return CaseOpened(pk=pk, public_id=public_id, agency_id=agency_id,
                      version=f"{last_seq}:{bytes(last_hash or b'').hex()}")


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
    """Everything the case page shows, in a fixed number of queries; the 调阅 entry is written first."""
    return _case_page(case_read_for(user=user, case_id=case_id, request=request), timeline_limit=timeline_limit)


def case_page_opened(*, user: User, opened: CaseOpened, timeline_limit: int = 100) -> CasePage:
    """Everything the case page shows, for a case `case_opened_for` has opened (its 调阅 entry is written)."""
    return _case_page(case_get_for(user=user, case_id=opened.public_id), timeline_limit=timeline_limit)


def case_page_after_write(*, user: User, case_id: UUID | str) -> CasePage:
    """What a write returns (the API's answer to an action): the same data without a timeline and without a 调阅
    entry — the user wrote the case, and the write is in the ledger."""
    return _case_page(case_get_for(user=user, case_id=case_id), timeline_limit=0)


def _case_page(case: Case, *, timeline_limit: int) -> CasePage:
    return CasePage(
        case=case,
        parties=list(case.parties.select_related("personal")),
        officers=list(case.officers.select_related("staff")),
        activities=list(case.activities.prefetch_related("staff")),
        deadlines=list(case.deadlines.all()),
        documents=case_documents(case),
        evidence=list(Evidence.objects.filter(agency_id=case.agency_id, stream=case.stream).order_by("uploaded_at")),
        timeline=list(case_timeline_qs(case).order_by("-seq")[:timeline_limit]) if timeline_limit else [],
        review_rounds=list(with_due(case.review_rounds.select_related("reviewer", "submitted_by", "opinion_document"),
                                    review_clock_due())),
    )


def case_documents(case: Case) -> list[Document]:
    """The documents issued for the case, in order (the caller has checked the user may see the case)."""
    return list(Document.objects.filter(subject_id=case.public_id).order_by("issued_at", "id"))


def case_timeline_qs(case: Case) -> QuerySet[LedgerEntry]:
    """The ledger entries of a case's stream written by the case's own agency (issue 9 defect 1: an entry another
    agency managed to put into the stream never shows on the case)."""
    return LedgerEntry.objects.filter(stream=case.stream, agency_id=case.agency_id)


@dataclass(frozen=True)
class HistoryItem:
    """One entry of a case's stream as the case page and the API timeline show it. The case's own events come from
    its history table (`event`); issued documents and evidence from their rows; any other entry only as records
    reads it for display (`entry`: who, and a kind-agnostic summary). No payload is parsed here (ADR 0029)."""

    seq: int
    kind: str
    recorded_at: datetime
    actor: str
    event: CaseEvent | None = None
    document: Document | None = None
    evidence: Evidence | None = None
    entry: EntryView | None = None


def case_history(entries: Sequence[LedgerEntry], *, documents: Sequence[Document] | None = None,
                 evidence: Sequence[Evidence] | None = None) -> list[HistoryItem]:
    """The given entries of a case's stream (from `case_timeline_qs`), in the given order: two queries, and one
    each for the documents and the evidence unless the caller has them already (the case page does)."""
    seqs = [e.seq for e in entries]
    events = {e.ledger_entry_id: e for e in CaseEvent.objects.filter(ledger_entry_id__in=seqs)
              .prefetch_related("documents")}
    if documents is None:
        documents = list(Document.objects.filter(ledger_entry_id__in=seqs))
    if evidence is None:
        evidence = list(Evidence.objects.filter(ledger_entry_id__in=seqs))
    documents_by_seq = {d.ledger_entry_id: d for d in documents}
    evidence_by_seq = {e.ledger_entry_id: e for e in evidence}
    items = []
    for row in entries:
        event = events.get(row.seq)
        if event is not None:
            items.append(HistoryItem(row.seq, row.kind, row.recorded_at, event.actor_name, event=event))
            continue
        view = entry_view(row)
        items.append(HistoryItem(row.seq, row.kind, row.recorded_at, view.actor_name,
                                 document=documents_by_seq.get(row.seq), evidence=evidence_by_seq.get(row.seq),
                                 entry=view))
    return items


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


def materials_pauses_started(round_ids: list[int]) -> dict[int, date]:
    """The first paused day of each of these review rounds that is waiting for materials (REV-6; one query)."""
    return dict(Pause.objects.filter(review_round_id__in=round_ids, end__isnull=True)
                .values_list("review_round_id", "start"))
