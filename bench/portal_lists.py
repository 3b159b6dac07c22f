"""Portal list pages at 100,000 published entries (issue 11 point 2): the agency power list (权责清单) at page 1 and at
deep offsets, with the agency-name subquery as it was (inheriting PublicEntry's default ordering) and as it is now
(`order_by()` cleared), side by side in one run; then browsing by kind (the search page without a query).

Data: --agencies agencies, each with its subject-information (AGENCY) snapshot and --per power-item snapshots,
bulk-created (the publication service is not what is measured) on a fresh data folder. No ANALYZE is run, as none
is in production. Per offset: the median and max of --reps calls of `list(qs[offset:offset + 50])` (the section
page size); the old expression is timed once per offset (it takes seconds at depth). The plan of each at OFFSET 400
is printed (SQLite EXPLAIN QUERY PLAN). Browsing: the count and one page through Paginator, as the search view
does, with `entry_browse` now (agency spans) and before (one ORDER BY over every entry of the kind).

Run: .venv/bin/python bench/portal_lists.py [--agencies 20] [--per 5000] [--reps 5] [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _sizes import setup_django  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--agencies", type=int, default=20)
    ap.add_argument("--per", type=int, default=5000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--data", default="")
    args = ap.parse_args()
    setup_django(args.data or tempfile.mkdtemp(prefix="zhifa-portal-lists-"))

    from django.core.paginator import Paginator
    from django.db import connection
    from django.db.models import Exists, F, OuterRef, Subquery
    from django.utils import timezone

    from zhifa.disclosure import selectors as sel
    from zhifa.disclosure.models import EntryKind, PublicEntry
    from zhifa.registry.testing import make_agency, make_user

    if not PublicEntry.objects.exists():
        start = time.perf_counter()
        user = make_user(None, "system_admin", username="bench")
        now = timezone.now()
        for a in range(args.agencies):
            ag = make_agency(f"机关{a:03d}")
            rows = [PublicEntry(kind=EntryKind.AGENCY, agency=ag, source_id=ag.pk, version=1, title=ag.name,
                                body={}, search_text=ag.name, published_at=now, published_by=user)]
            rows += [PublicEntry(kind=EntryKind.POWER_ITEM, agency=ag, source_id=a * args.per + i, version=1,
                                 title=f"事项{i}", body={"code": f"C{i:05d}"}, search_text="河道",
                                 published_at=now, published_by=user) for i in range(args.per)]
            PublicEntry.objects.bulk_create(rows, batch_size=2000)
        print(f"built {PublicEntry.objects.count():,} entries in {time.perf_counter() - start:.0f} s")
    agency_id = PublicEntry.objects.filter(kind=EntryKind.AGENCY).order_by("pk").values_list(
        "agency_id", flat=True)[args.agencies // 4]

    def old_entries() -> Any:
        """The selector before issue 11: the subquery keeps the default ordering (agency → Agency.name, kind, title)."""
        snap = PublicEntry.objects.filter(kind=EntryKind.AGENCY, is_current=True, agency_id=OuterRef("agency_id"))
        qs = (PublicEntry.objects.filter(is_current=True).filter(Exists(snap))
              .annotate(agency_key=F("agency__public_id"), agency_name=Subquery(snap.values("title")[:1])))
        return qs.filter(agency_id=agency_id, kind=EntryKind.POWER_ITEM).order_by(
            *sel._ORDERING[EntryKind.POWER_ITEM], "pk")

    def new_entries() -> Any:
        return sel.agency_entries(agency_id=agency_id, kind=EntryKind.POWER_ITEM)

    def timed(fn: Callable[[], Any], off: int, reps: int) -> tuple[float, float]:
        out = []
        for _ in range(reps):
            s = time.perf_counter()
            list(fn()[off:off + 50])
            out.append(time.perf_counter() - s)
        return statistics.median(out) * 1000, max(out) * 1000

    offsets = [0, 400, args.per // 2, args.per - 50]
    print(f"\n== agency power list, one agency of {args.per:,} power items, {PublicEntry.objects.count():,} entries")
    for name, fn, reps in (("now (subquery unordered)", new_entries, args.reps),
                           ("before (ordered subquery)", old_entries, 1)):
        for off in offsets:
            med, mx = timed(fn, off, reps)
            print(f"{name:28s} OFFSET {off:6d}: median {med:9.1f} ms  max {mx:9.1f} ms  (n={reps})", flush=True)
    for name, fn in (("now", new_entries), ("before", old_entries)):
        sql, params = fn()[400:450].query.sql_with_params()
        with connection.cursor() as cur:
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
            print(f"-- plan {name} at OFFSET 400:")
            for row in cur.fetchall():
                print("     ", row[-1])

    print(f"\n== browse by kind (search page without a query), {args.agencies * args.per:,} power items")
    filters = sel.EntryFilters(kind=EntryKind.POWER_ITEM)
    browse_now = sel.entry_browse
    browse_before = lambda filters: filters.apply(sel._public()).defer("body").order_by(  # noqa: E731
        F("agency_name").asc(), "kind", "title", "pk")
    for name, browse in (("now (agency spans)", browse_now), ("before (one sort)", browse_before)):
        for page in (1, 21, (args.agencies * args.per) // 20 // 2):
            out = []
            for _ in range(args.reps):
                s = time.perf_counter()
                list(Paginator(browse(filters=filters), 20).get_page(page).object_list)  # count + page, as the view
                out.append(time.perf_counter() - s)
            print(f"{name:20s} page {page:6d}: median {statistics.median(out) * 1000:8.1f} ms  "
                  f"max {max(out) * 1000:8.1f} ms  (n={args.reps})", flush=True)


if __name__ == "__main__":
    main()
