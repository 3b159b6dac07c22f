"""Portal search at 100,000 published entries (issue 11 point 1, ADR 0034), with SQLite FTS5 (trigram) over the same
texts and queries in the same run.

Data: --entries published snapshots on a fresh data folder: --agencies agencies (each with its subject-information
snapshot) and power items whose title names a law article and whose text is two articles of the demo's law library
(zhifa/registry/data/laws.json), with a serial number so no two are alike. Rows are bulk-created with the tokens the
publish service stores (`SearchTokens`); the publication service itself is timed separately (one publish, then the
first search that finds it). Then the task's build of the base index is timed, and with the base loaded:

- module: `search_entry_ids` (the index: freshness check, base, delta) and `entry_search` (plus the one query
  that keeps current, public rows), p50/p95 over --reps rounds of the query list;
- pages (unless --no-pages): the portal search page and `GET /api/v1/public/entries?q=` through Django's test
  client (the whole middleware stack, no network), p50/p95; baseline in the same run: the portal home page;
- freshness: the O(1) check (`_freshness`: newest snapshot, newest base) against the aggregate the previous design
  ran on every search (COUNT/MAX over every snapshot), ratio;
- publish → searchable: a publication through the service and the first search that finds it (no task run);
- memory: a fresh Python process (Django set up) loads the stored base and searches once; its VmRSS before and
  after, and how much of it is file-backed (mmap of the shared local copy) vs anonymous;
- FTS5 trigram: an FTS5 table over the same title and text, `MATCH` with the query as a phrase, ordered by rank,
  200 rows; build time, p50/p95, and hits per query (trigram finds nothing for 1- and 2-character terms).

Run: .venv/bin/python bench/search.py [--entries 100000] [--agencies 20] [--reps 5] [--no-pages] [--no-fts]
     .venv/bin/python bench/search.py --entries 1000000 --no-pages          # the module at 1,000,000 entries
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _sizes import pct, setup_django  # noqa: E402

QUERIES = ["河道", "取水许可", "排污", "水资源费", "森林", "罚款", "建设项目", "未经批准", "防洪", "野生动物",
           "安全生产", "环境影响评价", "吊销", "没收违法所得", "责令停止违法行为", "水", "河道管理范围内建设",
           "不存在的词语组合"]

CHILD = r"""
import json, os, sys, time
sys.path.insert(0, {root!r})
os.environ["ZHIFA_DATA_DIR"] = {data!r}
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
import django
django.setup()
from zhifa.disclosure import search
def status():
    out = {{}}
    for line in open("/proc/self/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            out[k] = int(v.split()[0]) // 1024
    return out
before = status()
t = time.perf_counter()
search.search_entry_ids("河道")
first = time.perf_counter() - t
for q in {queries!r}:
    search.search_entry_ids(q)
print(json.dumps({{"before": before, "after": status(), "first_search_s": first}}))
"""


def timed(fn: Callable[[], Any], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        s = time.perf_counter()
        fn()
        out.append(time.perf_counter() - s)
    return out


def line(name: str, times: list[float], note: str = "") -> tuple[float, float]:
    p50, p95 = statistics.median(times) * 1000, pct(times, 0.95) * 1000
    print(f"{name:46s} p50 {p50:8.2f} ms  p95 {p95:8.2f} ms  max {max(times) * 1000:8.2f} ms  (n={len(times)}) {note}",
          flush=True)
    return p50, p95


def main() -> None:  # noqa: C901, PLR0915 - a script, read top to bottom
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--agencies", type=int, default=20)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--data", default="")
    ap.add_argument("--no-pages", action="store_true")
    ap.add_argument("--no-fts", action="store_true")
    args = ap.parse_args()
    data = args.data or tempfile.mkdtemp(prefix="zhifa-bench-search-")
    setup_django(data)
    print(f"data folder {data}; load average {open('/proc/loadavg').read().split()[:3]}")

    from django.db import connection
    from django.db.models import Count, Max, Q
    from django.test import Client
    from django.utils import timezone

    from zhifa.accounts.models import User
    from zhifa.disclosure import search, selectors
    from zhifa.disclosure.models import EntryKind, PublicEntry, SearchIndex, SearchTokens
    from zhifa.disclosure.services import public_entry_publish
    from zhifa.registry.demo.laws import laws_data
    from zhifa.registry.testing import make_agency, make_uscc, make_user

    laws = laws_data()
    articles = [(law["short_name"] or law["name"], a["number"], a["text"]) for law in laws for a in law["articles"]]
    rng = random.Random(11)
    user = User.objects.filter(username="bench").first() or make_user(None, "system_admin", username="bench")

    # ----------------------------------------------------------------------------------------------- data
    def store(rows: list[Any], tokens_of: list[str]) -> None:
        PublicEntry.objects.bulk_create(rows, batch_size=1000)  # ids set (SQLite and PostgreSQL return them)
        SearchTokens.objects.bulk_create([SearchTokens(entry=e, tokens=t) for e, t in zip(rows, tokens_of, strict=True)],
                                         batch_size=1000)

    if not PublicEntry.objects.exists():
        start = time.perf_counter()
        tok_time = 0.0
        now = timezone.now()
        per = max(1, (args.entries - args.agencies) // args.agencies)
        serial = 0
        for a in range(args.agencies):
            ag = make_agency(f"第{a:03d}水利局")
            rows = [PublicEntry(kind=EntryKind.AGENCY, agency=ag, source_id=ag.pk, version=1, title=ag.name, body={},
                                search_text=ag.name, published_at=now, published_by=user)]
            tokens_of = [search.entry_tokens(ag.name, ag.name)]
            for _i in range(per):
                serial += 1
                (law, number, text), (_l2, _n2, text2) = rng.choice(articles), rng.choice(articles)
                title = f"违反《{law}》{number}规定的处罚（{serial}）"
                body_text = f"{title} {text} {text2}"
                t = time.perf_counter()
                tokens = search.entry_tokens(title, body_text)
                tok_time += time.perf_counter() - t
                rows.append(PublicEntry(kind=EntryKind.POWER_ITEM, agency=ag, source_id=serial, version=1,
                                        title=title, body={"code": f"C{serial:07d}"}, search_text=body_text,
                                        published_at=now, published_by=user))
                tokens_of.append(tokens)
                if len(rows) >= 5000:
                    store(rows, tokens_of)
                    rows, tokens_of = [], []
            store(rows, tokens_of)
        n = PublicEntry.objects.count()
        print(f"built {n:,} entries in {time.perf_counter() - start:.0f} s "
              f"(tokenizing {tok_time:.1f} s = {tok_time / n * 1e6:.0f} µs per entry at publication)", flush=True)
    n = PublicEntry.objects.count()

    # ----------------------------------------------------------------------------------------------- the task
    SearchIndex.objects.all().delete()
    s = time.perf_counter()
    base = search.search_index_build()
    print(f"\n== base index built by the task: {base.entries:,} entries in {time.perf_counter() - s:.1f} s, "
          f"{base.size / 1e6:.1f} MB stored", flush=True)

    # ----------------------------------------------------------------------------------------------- module
    search.invalidate_search_index()
    s = time.perf_counter()
    search.search_entry_ids("河道")
    print(f"first search in this process (fetches and maps the base): {(time.perf_counter() - s) * 1000:.0f} ms")
    print(f"\n== module at {n:,} entries, {len(QUERIES)} queries x {args.reps} rounds")
    mod: list[float] = []
    sel: list[float] = []
    hits: dict[str, int] = {}
    for _r in range(args.reps):
        for q in QUERIES:
            mod += timed(lambda q=q: search.search_entry_ids(q), 1)
            sel += timed(lambda q=q: selectors.entry_search(query=q).ids, 1)
            hits[q] = len(selectors.entry_search(query=q).ids)
    _m50, m95 = line("search_entry_ids (index only)", mod)
    _s50, s95 = line("entry_search (index + current-rows query)", sel)
    print(f"   target at 1,000,000: p95 <= 100 ms -> entry_search {'met' if s95 <= 100 else 'NOT met'}")

    # ----------------------------------------------------------------------------------------------- freshness
    def old_generation() -> Any:
        return PublicEntry.objects.aggregate(n=Count("id"), current=Count("id", filter=Q(is_current=True)),
                                             last=Max("id"), published=Max("published_at"),
                                             withdrawn=Max("withdrawn_at"))

    new = timed(search._freshness, 50)
    old = timed(old_generation, 10)
    _a, new95 = line("freshness now (newest snapshot, newest base)", new)
    _b, old95 = line("freshness before (aggregate over all rows)", old)
    print(f"   ratio before/now at p50: {statistics.median(old) / statistics.median(new):,.0f}x")

    # ----------------------------------------------------------------------------------------------- pages
    if not args.no_pages:
        client = Client()
        print(f"\n== pages at {n:,} entries (Django test client), {len(QUERIES)} queries x {args.reps} rounds")
        page: list[float] = []
        api: list[float] = []
        deep: list[float] = []
        for _r in range(args.reps):
            for q in QUERIES:
                page += timed(lambda q=q: client.get("/search/", {"q": q}), 1)
                api += timed(lambda q=q: client.get("/api/v1/public/entries", {"q": q, "limit": 20}), 1)
                deep += timed(lambda q=q: client.get("/search/", {"q": q, "page": 10}), 1)
        home = timed(lambda: client.get("/"), len(QUERIES) * args.reps)
        _h50, h95 = line("baseline: portal home page", home)
        _p50, p95 = line("portal search page, page 1", page, f"(p95 / home p95 {pct(page, 0.95) * 1000 / h95:.1f})")
        line("portal search page, page 10", deep)
        _x, a95 = line("API /api/v1/public/entries?q=", api)
        print(f"   target p95 <= 50 ms: page {'met' if p95 <= 50 else 'NOT met'}, API {'met' if a95 <= 50 else 'NOT met'}")

    # ----------------------------------------------------------------------------------------------- publish
    print("\n== a publication becomes searchable (no task run)")
    serial = PublicEntry.objects.count()
    ag = make_agency(f"第{serial}号临湘市测试取水口管理局", uscc=make_uscc(f"43{serial % 10000:04d}"))
    s = time.perf_counter()
    entry = public_entry_publish(obj=ag, agency_id=ag.pk, version=1, actor=user)
    published = time.perf_counter() - s
    s = time.perf_counter()
    found = entry.pk in search.search_entry_ids("测试取水口管理局")
    first = time.perf_counter() - s
    print(f"publish {published * 1000:.1f} ms; first search after it {first * 1000:.1f} ms, found: {found}; "
          f"delta rows in this process: {len(search._delta.lengths)}")
    again = timed(lambda: search.search_entry_ids("测试取水口管理局"), 20)
    line("searches after it (delta of 1)", again)

    # ----------------------------------------------------------------------------------------------- memory
    connection.close()
    child = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), data=data, queries=QUERIES)],
                           capture_output=True, text=True, check=True)
    mem = json.loads(child.stdout.strip().splitlines()[-1])
    b, a = mem["before"], mem["after"]
    print(f"\n== memory of a fresh process (MiB): VmRSS {b['VmRSS']} -> {a['VmRSS']} "
          f"(anonymous {b['RssAnon']} -> {a['RssAnon']}, file-backed {b['RssFile']} -> {a['RssFile']}), peak "
          f"{a['VmHWM']}; first search {mem['first_search_s'] * 1000:.0f} ms (maps the local copy)")
    print(f"   target < 500 MB per worker: {'met' if a['VmRSS'] * 1.048576 < 500 else 'NOT met'}")

    # ----------------------------------------------------------------------------------------------- FTS5
    if not args.no_fts:
        print(f"\n== SQLite {sqlite3.sqlite_version} FTS5 trigram over the same {n:,} titles and texts")
        db = sqlite3.connect(os.path.join(data, "fts.sqlite3"))
        db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(title, body, tokenize='trigram')")
        db.execute("DELETE FROM fts")
        s = time.perf_counter()
        src = sqlite3.connect(os.path.join(data, "zhifa.sqlite3"))
        rows = src.execute("SELECT id, title, search_text FROM disclosure_publicentry WHERE is_current")
        while batch := rows.fetchmany(5000):
            db.executemany("INSERT INTO fts(rowid, title, body) VALUES (?, ?, ?)", batch)
        db.commit()
        src.close()
        print(f"built in {time.perf_counter() - s:.1f} s")
        fts: list[float] = []
        fts_hits: dict[str, int] = {}
        for _r in range(args.reps):
            for q in QUERIES:
                phrase = '"' + q.replace('"', '""') + '"'
                s = time.perf_counter()
                got = db.execute("SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT 200", (phrase,)).fetchall()
                fts.append(time.perf_counter() - s)
                fts_hits[q] = len(got)
        _f50, f95 = line("FTS5 trigram MATCH (200 best by rank)", fts)
        print(f"   ratio FTS5 p95 / entry_search p95: {f95 / s95:.2f}")
        print("   hits per query (BM25 / FTS5 trigram): " + ", ".join(
            f"{q} {hits[q]}/{fts_hits[q]}" for q in QUERIES))
        db.close()
    print(f"\nload average {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
