"""Reads for the public portal and the public API: published snapshots only (architecture rule 8).

Every public read starts from `_public()`: rows that are the current published version (`is_current=True`; a
withdrawn or superseded version is never current) of an agency that itself has a current subject-information
(AGENCY) snapshot. An agency without one does not exist publicly, and neither do its entries, because the portal
would have no published name to show for them. Nothing here reads the live registry rows; the one join to
`registry_agency` fetches its immutable `public_id`, the stable public key of an agency across republications.

The public needs no user, so these selectors take none. Each one costs a fixed number of queries, whatever the
number of rows (the agency's published name comes from a correlated subquery, not one query per row).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, overload
from uuid import UUID

from django.conf import settings
from django.db import connection
from django.db.models import Case as SqlCase
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.fields.json import KT
from django.http import Http404

from zhifa.disclosure import history
from zhifa.disclosure.models import EntryKind, PortalGeneration, PublicationEvent, PublicEntry
from zhifa.disclosure.search import search_entry_ids
from zhifa.records import ledger
from zhifa.records.checkpoints import latest_checkpoint, public_key
from zhifa.records.models import ArchivePackage, PackagePurpose, PackageStatus
from zhifa.registry.flowchart import flowchart_svg

# Kinds whose snapshot carries procedure steps, drawn as a flowchart (DISC-5).
FLOWCHART_KINDS = frozenset({EntryKind.POWER_ITEM, EntryKind.SERVICE_GUIDE})

# How each kind is listed on an agency page: the power list and benchmarks by their codes, the rest by title.
_ORDERING: dict[str, tuple[Any, ...]] = {
    EntryKind.POWER_ITEM: (KT("body__code"), "title"),
    EntryKind.BENCHMARK: (KT("body__code"), "title"),
    EntryKind.DECISION: (KT("body__decided_on").desc(), "title"),
}


def _current_agency_snapshots() -> QuerySet[PublicEntry]:
    return PublicEntry.objects.filter(kind=EntryKind.AGENCY, is_current=True)


def _public() -> QuerySet[PublicEntry]:
    """Current snapshots of publicly existing agencies, with the agency's public key and published name.

    The correlated subqueries clear the model's default ordering (agency, kind, title): with it SQLite sorted the
    agency's entries for every row, skipped rows included, and the power list took 13.8 s at OFFSET 400 with
    100,000 entries (issue 11; bench/README.md). Without it, each is one lookup in the one-current-version index.
    """
    agency_snapshot = _current_agency_snapshots().filter(agency_id=OuterRef("agency_id")).order_by()
    return (
        PublicEntry.objects.filter(is_current=True)
        .filter(Exists(agency_snapshot))
        .annotate(agency_key=F("agency__public_id"), agency_name=Subquery(agency_snapshot.values("title")[:1]))
    )


def portal_generation() -> str:
    """The generation of the published snapshots (ADR 0036): one primary-key lookup of a one-row table, whatever
    the number of entries. It changes in the same transaction as any publication or withdrawal.

    Read on every portal request, so it is one fixed statement rather than an ORM query: building the queryset
    took 0.4 ms, twenty times the lookup itself (18 µs on SQLite), and most of a cached page's cost."""
    table = connection.ops.quote_name(PortalGeneration._meta.db_table)
    sql = f"SELECT counter, token FROM {table} WHERE id = 1"  # noqa: S608 - the model's table name, no input
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return f"{row[0]}-{row[1]}" if row else "none"


# ---------------------------------------------------------------------------------------------------------------
# Agencies
# ---------------------------------------------------------------------------------------------------------------


def agency_list() -> QuerySet[PublicEntry]:
    """Current subject-information snapshots of all agencies, by name."""
    return (
        _current_agency_snapshots()
        .annotate(agency_key=F("agency__public_id"), agency_name=F("title"))
        .order_by("title", "pk")
    )


def agency_get(*, agency_key: UUID) -> PublicEntry:
    """The current AGENCY snapshot of the agency with this public id; 404 if the agency is not public."""
    entry = agency_list().filter(agency__public_id=agency_key).first()
    if entry is None:
        raise Http404("agency not published")
    return entry


def agency_section_counts(*, agency_id: int) -> dict[str, int]:
    """Number of current entries of each kind of one agency (one query)."""
    rows = (
        PublicEntry.objects.filter(agency_id=agency_id, is_current=True)
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["kind"]: row["n"] for row in rows}


def agency_entries(*, agency_id: int, kind: str) -> QuerySet[PublicEntry]:
    """Current entries of one kind of one (public) agency, in list order."""
    return _public().filter(agency_id=agency_id, kind=kind).order_by(*_ORDERING.get(kind, ("title",)), "pk")


# ---------------------------------------------------------------------------------------------------------------
# Entries
# ---------------------------------------------------------------------------------------------------------------


def entry_get(*, public_id: UUID) -> PublicEntry:
    """A current public entry; 404 for an unknown, superseded, withdrawn or not-yet-published one."""
    entry = _public().filter(public_id=public_id).first()
    if entry is None:
        raise Http404("entry not published")
    return entry


def entry_current_version_of(*, public_id: UUID) -> PublicEntry | None:
    """For the id of a superseded version: the current version of the same entry, if it is still public.

    Links to an older version then lead to what is published now. A withdrawn entry has no current version.
    """
    old = PublicEntry.objects.filter(public_id=public_id, is_current=False).values("kind", "source_id").first()
    if old is None:
        return None
    return _public().filter(kind=old["kind"], source_id=old["source_id"]).first()


def entry_steps(entry: PublicEntry) -> list[dict[str, str]]:
    """The procedure steps of a power item or service guide snapshot (empty for other kinds)."""
    if entry.kind not in FLOWCHART_KINDS or not isinstance(entry.body, dict):
        return []
    steps = entry.body.get("steps") or []
    return [
        {"name": str(s.get("name") or ""), "time_limit": str(s.get("time_limit") or "")}
        for s in steps
        if isinstance(s, dict)
    ]


def entry_flowchart(entry: PublicEntry) -> str | None:
    """The flowchart SVG drawn from the snapshot's steps, or None when it has none (escaped, safe to inline)."""
    steps = entry_steps(entry)
    if not steps:
        return None
    return flowchart_svg(steps, title=entry.title)


def entry_flowchart_svg(*, public_id: UUID) -> tuple[str, str]:
    """(SVG, file name) of a published entry's flowchart; 404 when it has none (DISC-5)."""
    entry = entry_get(public_id=public_id)
    svg = entry_flowchart(entry)
    if svg is None:
        raise Http404("no flowchart")
    return svg, f"flowchart-{entry.public_id}.svg"


def decision_withdrawn(*, public_id: UUID) -> PublicEntry | None:
    """For any version's id of a withdrawn decision: its last published version, carrying the withdrawal time and
    the reason stated publicly (DISC-23/24). The page shows only the notice, never the withdrawn text."""
    old = PublicEntry.objects.filter(public_id=public_id, kind=EntryKind.DECISION).values("source_id").first()
    if old is None:
        return None
    if PublicEntry.objects.filter(kind=EntryKind.DECISION, source_id=old["source_id"], is_current=True).exists():
        return None
    return (
        PublicEntry.objects.filter(kind=EntryKind.DECISION, source_id=old["source_id"], withdrawn_at__isnull=False)
        .annotate(agency_key=F("agency__public_id"),
                  agency_name=Subquery(_current_agency_snapshots().filter(agency_id=OuterRef("agency_id"))
                                       .order_by().values("title")[:1]))
        .order_by("-version")
        .first()
    )


def decision_list(*, filters: EntryFilters) -> QuerySet[PublicEntry]:
    """Current public decisions, newest decision first (the public API's list)."""
    qs = filters.apply(_public().filter(kind=EntryKind.DECISION))
    return qs.order_by(KT("body__decided_on").desc(), "-pk")


def decision_years() -> list[int]:
    """Years with a current public decision (the search filter's choices)."""
    years = (PublicEntry.objects.filter(kind=EntryKind.DECISION, is_current=True)
             .values_list("body__year", flat=True).distinct())
    return sorted({int(y) for y in years if y}, reverse=True)


class RankedEntries:
    """Search hits in rank order; slicing fetches only that slice's rows (one query), so pagination stays flat."""

    def __init__(self, ids: list[int], *, fields: Iterable[str] | None = None) -> None:
        self.ids = ids
        self._fields = tuple(fields or ())

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> PublicEntry: ...

    @overload
    def __getitem__(self, index: slice) -> list[PublicEntry]: ...

    def __getitem__(self, index: int | slice) -> PublicEntry | list[PublicEntry]:
        if isinstance(index, slice):
            return self._fetch(self.ids[index])
        return self._fetch([self.ids[index]])[0]

    def _fetch(self, ids: list[int]) -> list[PublicEntry]:
        if not ids:
            return []
        qs = _public().filter(pk__in=ids).order_by()  # rank order is restored below
        if self._fields:
            qs = qs.defer(*self._fields)
        by_id = {e.pk: e for e in qs}
        return [by_id[i] for i in ids if i in by_id]


@dataclass(frozen=True)
class EntryFilters:
    """Optional narrowing of a search or a browse: one kind, one agency (by its public id); for decisions also
    the year, the sector and a penalty kind (any of them narrows to decisions)."""

    kind: str | None = None
    agency_key: UUID | None = None
    year: int | None = None
    sector: str | None = None
    penalty_kind: str | None = None

    @property
    def decision_only(self) -> bool:
        return bool(self.year or self.sector or self.penalty_kind)

    def apply(self, qs: QuerySet[PublicEntry]) -> QuerySet[PublicEntry]:
        if self.kind:
            qs = qs.filter(kind=self.kind)
        if self.agency_key:
            qs = qs.filter(agency__public_id=self.agency_key)
        if self.decision_only:
            qs = qs.filter(kind=EntryKind.DECISION)
        if self.year:
            qs = qs.filter(body__year=self.year)
        if self.sector:
            qs = qs.filter(body__sector_code=self.sector)
        if self.penalty_kind:
            qs = qs.annotate(penalty_codes=KT("body__penalty_kind_codes")).filter(
                penalty_codes__contains=f"|{self.penalty_kind}|")
        return qs

    @property
    def active(self) -> bool:
        return bool(self.kind or self.agency_key or self.decision_only)


# The most hits a search shows (the API documents it).
SEARCH_MAX_HITS = 200


def entry_search(*, query: str, filters: EntryFilters | None = None) -> RankedEntries:
    """Current public entries matching `query` (rjieba + BM25, docs/decisions/0005 and 0034), best first, filtered,
    at most `SEARCH_MAX_HITS`. The index may still hold a withdrawn or superseded version: the one query here keeps
    only what `_public()` shows, whatever the index's state. Two queries for any page (this one, then the page's
    rows), whatever the page number and the number of entries."""
    ids = search_entry_ids(query)
    if not ids:
        return RankedEntries([])
    filters = filters or EntryFilters()
    # Unordered: the model's default ordering (a join and a sort over the candidates' rows) took 50 ms here.
    allowed = set(filters.apply(_public().filter(pk__in=ids)).order_by().values_list("pk", flat=True))
    # The body is not needed for a list of hits; the search text is (for the snippet).
    return RankedEntries([i for i in ids if i in allowed][:SEARCH_MAX_HITS], fields=("body",))


class BrowsedEntries:
    """Current public entries, filtered, in the order agency (by published name) → kind → title, paged without
    sorting all of them: one grouped count per agency, then a page reads only the agencies it spans (issue 11: the
    sort over every entry of a kind, with the agency-name subquery for each, took 450 ms at 100,000 entries).
    Two queries for any page, like a queryset's count and slice; `count()` and slicing as Paginator uses them."""

    def __init__(self, filters: EntryFilters) -> None:
        self._filters = filters
        self._spans: list[tuple[int, int]] | None = None

    def spans(self) -> list[tuple[int, int]]:
        """(agency id, number of its matching entries) of each agency with any, in the agencies' name order."""
        if self._spans is None:
            # Per agency, a count over its (agency, kind, is_current) index: no subquery per entry.
            entries = self._filters.apply(PublicEntry.objects.filter(is_current=True, agency_id=OuterRef("agency_id")))
            n = Subquery(entries.order_by().values("agency_id").annotate(c=Count("pk")).values("c")[:1])
            rows = agency_list().annotate(n=n).values_list("agency_id", "n")
            self._spans = [(agency_id, count) for agency_id, count in rows if count]
        return self._spans

    def count(self) -> int:
        return sum(n for _agency, n in self.spans())

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> PublicEntry: ...

    @overload
    def __getitem__(self, index: slice) -> list[PublicEntry]: ...

    def __getitem__(self, index: int | slice) -> PublicEntry | list[PublicEntry]:
        if not isinstance(index, slice):
            rows = self[index:index + 1]
            if not rows:
                raise IndexError(index)
            return rows[0]
        start, stop, _step = index.indices(self.count())
        spanned: list[int] = []
        skip = pos = 0
        for agency_id, n in self.spans():
            if pos + n > start and pos < stop:
                if not spanned:
                    skip = start - pos
                spanned.append(agency_id)
            pos += n
        if not spanned:
            return []
        rank = SqlCase(*[When(agency_id=a, then=Value(i)) for i, a in enumerate(spanned)])
        qs = self._filters.apply(_public()).defer("body").filter(agency_id__in=spanned)
        return list(qs.order_by(rank, "kind", "title", "pk")[skip:skip + stop - start])


def entry_browse(*, filters: EntryFilters) -> BrowsedEntries:
    """Current public entries, filtered, in the order agency → kind → title (no ranking without a query)."""
    return BrowsedEntries(filters)


# --- the publication history (ADR 0045) -------------------------------------------------------------------------


def entry_proof(*, public_id: UUID) -> dict[str, Any]:
    """The inclusion proof of the latest publication-history entry of a published version (current, superseded or
    withdrawn: every stored snapshot was public) against the latest signed checkpoint. Nothing here was not public:
    the entry's canonical bytes (identity, action, time, snapshot hash; no actor) and hashes of subtrees."""
    event = (PublicationEvent.objects.select_related("entry").filter(entry__public_id=public_id)
             .order_by("-seq").first())
    if event is None:
        raise Http404("entry not published")
    entry = event.entry
    canonical, leaf = ledger.entry_leaf(event.seq)
    checkpoint = latest_checkpoint()
    result: dict[str, Any] = {
        "public_id": str(entry.public_id), "kind": entry.kind, "version": entry.version,
        "action": event.action, "snapshot_sha256": event.snapshot_sha256,
        "log_origin": settings.ZHIFA_LEDGER_ORIGIN, "log_public_key": public_key(),
        "leaf_index": event.seq, "leaf_hash": leaf.hex(),
        "canonical": canonical.decode("utf-8"),
    }
    if checkpoint is None or checkpoint.size <= event.seq:
        # Not under a signed checkpoint yet: the timer (`zhifa checkpoint`) signs one soon; a public read does not.
        return {**result, "status": "pending", "tree_size": None, "root_hash": None, "inclusion_proof": [],
                "checkpoint": None}
    proof = ledger.inclusion_proof(event.seq, checkpoint.size)
    return {**result, "status": "included", "tree_size": checkpoint.size,
            "root_hash": base64.b64encode(bytes(checkpoint.root)).decode(),
            "inclusion_proof": [base64.b64encode(h).decode() for h in proof], "checkpoint": checkpoint.note}


def history_last_seq() -> int | None:
    """The sequence number of the disclosure stream's last entry (None before the first publication): every entry
    of the stream has its `PublicationEvent`, written in the same transaction."""
    return PublicationEvent.objects.order_by("-seq").values_list("seq", flat=True).first()


def history_package_current() -> ArchivePackage | None:
    """A history package being built, or a ready one that covers the stream's last entry (reused: one build per
    state of the stream, whoever asks)."""
    last = history_last_seq()
    packages = ArchivePackage.objects.filter(purpose=PackagePurpose.HISTORY, stream=history.STREAM)
    building = packages.filter(status__in=[PackageStatus.QUEUED, PackageStatus.BUILDING]).order_by("-pk").first()
    if building is not None:
        return building
    if last is None:
        return None
    return packages.filter(status=PackageStatus.READY, checkpoint_size__gt=last).order_by("-pk").first()


def history_package_get(*, public_id: UUID) -> ArchivePackage:
    package = ArchivePackage.objects.filter(purpose=PackagePurpose.HISTORY, public_id=public_id).first()
    if package is None:
        raise Http404("no such package")
    return package
