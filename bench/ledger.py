"""Ledger benchmarks (issue 3). Each prints a ratio against a baseline measured in the same run.

(a) durable single-entry appends per second through `ledger_append`, vs raw sqlite3 inserts of the same rows
    (entry, subtree nodes, head update) with the same durability (WAL, synchronous=FULL, one transaction each);
    target ratio >= 0.5.
(b) inclusion and consistency proofs at 1,000,000 entries: median time per proof; target <= 2 ms.
(c) full re-verification (read every entry, recompute every leaf hash and the root, compare with the head) vs
    hashlib SHA-256 over the same bytes; target ratio >= 0.5.

Run: .venv/bin/python bench/ledger.py [--appends 2000] [--entries 1000000]
The database is a fresh SQLite file in a temporary folder (or DATABASE_URL for PostgreSQL).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(data_dir: str) -> None:
    os.environ["ZHIFA_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bench_appends(n: int, rounds: int = 10) -> tuple[float, float]:
    """Interleaved rounds (ours, then raw inserts of the rows ours just wrote), so that disk noise on a shared
    machine hits both sides alike."""
    from django.db import connection, transaction

    from zhifa.records.ledger import LEVEL_SHIFT, ledger_append

    raw = sqlite3.connect(Path(tempfile.mkdtemp()) / "raw.sqlite3", isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    # The identical schema (tables, indexes, triggers) as the application's, read from its own database.
    if connection.vendor == "sqlite":
        ddl = [sql for (sql,) in connection.cursor().execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND tbl_name IN "
            "('records_ledgerentry', 'records_ledgernode', 'records_ledgerhead') ORDER BY type = 'table' DESC")]
    else:  # PostgreSQL run: compare against SQLite with the application's column types
        ddl = ["CREATE TABLE records_ledgerentry (seq bigint NOT NULL PRIMARY KEY, kind varchar(64), "
               "stream varchar(128), agency_id bigint, recorded_at datetime, canonical BLOB, leaf_hash BLOB)",
               "CREATE TABLE records_ledgernode (key bigint NOT NULL PRIMARY KEY, hash BLOB)",
               "CREATE TABLE records_ledgerhead (id smallint PRIMARY KEY, size bigint, frontier BLOB, "
               "witnessed_size bigint)"]
    for sql in ddl:
        raw.execute(sql)
    raw.execute("INSERT INTO records_ledgerhead (id, size, frontier, witnessed_size) VALUES (1, 0, x'', 0)")

    payload = {"note": "现场检查笔录已上传", "officers": ["执法人员甲", "执法人员乙"], "n": 0}
    per_round = max(1, n // rounds)
    ours_time = raw_time = 0.0
    done = 0
    for _ in range(rounds):
        first = done
        start = time.perf_counter()
        for i in range(per_round):
            payload["n"] = done + i
            with transaction.atomic():
                ledger_append(kind="bench.append", stream="bench:a", agency_id=1, actor=None, payload=payload)
        ours_time += time.perf_counter() - start
        done += per_round
        with connection.cursor() as cur:
            cur.execute("SELECT seq, kind, stream, agency_id, recorded_at, canonical, leaf_hash FROM "
                        "records_ledgerentry WHERE seq >= %s ORDER BY seq", [first])
            rows = cur.fetchall()
            cur.execute("SELECT key, hash FROM records_ledgernode")
            node_rows = cur.fetchall()
        nodes: dict[int, list[tuple[int, bytes]]] = {}
        for key, h in node_rows:
            level, index = key >> LEVEL_SHIFT, key & ((1 << LEVEL_SHIFT) - 1)
            completed_by = ((index + 1) << level) - 1  # the append that completed this node
            if completed_by >= first:
                nodes.setdefault(completed_by, []).append((key, bytes(h)))
        start = time.perf_counter()
        for seq, kind, stream, agency_id, recorded_at, canonical, leaf in rows:
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("INSERT INTO records_ledgerentry (seq, kind, stream, agency_id, recorded_at, canonical, "
                        "leaf_hash) VALUES (?,?,?,?,?,?,?)",
                        (seq, kind, stream, agency_id, str(recorded_at), bytes(canonical), bytes(leaf)))
            raw.executemany("INSERT INTO records_ledgernode (key, hash) VALUES (?,?)", nodes.get(seq, []))
            raw.execute("UPDATE records_ledgerhead SET size=?, frontier=? WHERE id=1", (seq + 1, b"\x00" + bytes(leaf)))
            raw.execute("COMMIT")
        raw_time += time.perf_counter() - start
    raw.close()
    return done / ours_time, done / raw_time


def build_large_tree(n: int) -> None:
    """Fill the ledger with n entries quickly (bulk SQL), with the leaves and perfect subtrees of ledger_append's own
    `frontier_push`."""
    from django.db import connection, transaction

    from zhifa.records import merkle
    from zhifa.records.ledger import canonical_bytes, decode_frontier, encode_frontier, frontier_push
    from zhifa.records.models import LedgerHead

    head = LedgerHead.objects.get(pk=1)
    frontier: list[tuple[int, bytes]] = decode_frontier(head.frontier)
    batch_e: list[tuple] = []
    batch_n: list[tuple] = []
    with connection.cursor() as cur:
        size0 = head.size
        for seq in range(size0, n):
            data = canonical_bytes({"seq": seq, "kind": "bench.bulk", "stream": f"bench:{seq % 1000}",
                                    "payload": {"i": seq}})
            leaf = merkle.leaf_hash(data)
            batch_e.append((seq, "bench.bulk", f"bench:{seq % 1000}", None, "2026-11-22 00:00:00", data, leaf))
            batch_n.extend(frontier_push(frontier, seq, leaf))
            if len(batch_e) >= 20000 or seq == n - 1:
                with transaction.atomic():
                    cur.executemany(
                        "INSERT INTO records_ledgerentry (seq, kind, stream, agency_id, recorded_at, canonical, "
                        "leaf_hash) VALUES (%s, %s, %s, %s, %s, %s, %s)", batch_e)
                    cur.executemany("INSERT INTO records_ledgernode (key, hash) VALUES (%s, %s)", batch_n)
                batch_e, batch_n = [], []
    if n > size0:
        LedgerHead.objects.filter(pk=1).update(size=n, frontier=encode_frontier(frontier))


def bench_proofs(samples: int = 1000) -> tuple[float, float]:
    from zhifa.records import ledger, merkle

    size, root = ledger.tree_head()
    rng = random.Random(7)
    inc_times, con_times = [], []
    for _ in range(samples):
        seq = rng.randrange(size)
        t = time.perf_counter()
        proof = ledger.inclusion_proof(seq, size)
        inc_times.append(time.perf_counter() - t)
        old = rng.randrange(1, size)
        t = time.perf_counter()
        cproof = ledger.consistency_proof(old, size)
        con_times.append(time.perf_counter() - t)
        assert proof and (cproof or old == size)
    # One full check that the proofs are right.
    from zhifa.records.models import LedgerEntry

    leaf = bytes(LedgerEntry.objects.get(seq=seq).leaf_hash)
    assert merkle.verify_inclusion(leaf, seq, size, ledger.inclusion_proof(seq, size), root)
    return statistics.median(inc_times) * 1000, statistics.median(con_times) * 1000


def bench_reverify(workers: int | None, repeats: int) -> dict[str, list[float]]:
    """Ours: read every entry from the database, recompute every leaf, every perfect subtree and the root, compare
    them with the stored leaf hashes, stored subtrees, the head and the newest checkpoint. Baseline: hashlib SHA-256
    over exactly the byte strings that verification hashes (each 0x00‖entry and each 0x01‖left‖right), already in
    memory, hashed one after another in one thread — the cost of the hashing alone. `workers`: processes for
    verification (None: as `verify_ledger` picks: every core unless the machine is busy); the one-process and the
    every-core paths are timed too. Each round times them all back to back, so that noise from other work on the
    machine hits them alike."""
    from django.db import connection

    from zhifa.records.verify_db import perfect_levels, verify_ledger

    with connection.cursor() as cur:
        cur.execute("SELECT canonical FROM records_ledgerentry ORDER BY seq")
        inputs = [b"\x00" + bytes(r[0]) for r in cur.fetchall()]
    levels = perfect_levels([hashlib.sha256(x).digest() for x in inputs])
    inputs += [b"\x01" + lvl[i] + lvl[i + 1] for lvl in levels for i in range(0, len(lvl) - 1, 2)]
    times: dict[str, list[float]] = {"leaves_root": [], "full": [], "one_process": [], "all_cores": [],
                                     "baseline": [], "bytes": [float(sum(len(x) for x in inputs))]}
    for _ in range(repeats):
        for name, kwargs in (("leaves_root", {"check_nodes": False, "workers": workers}),
                             ("full", {"check_nodes": True, "workers": workers}),
                             ("one_process", {"check_nodes": False, "workers": 1}),
                             ("all_cores", {"check_nodes": False, "workers": os.cpu_count() or 1})):
            start = time.perf_counter()
            report = verify_ledger(**kwargs)
            times[name].append(time.perf_counter() - start)
            assert report.ok, report.problems[:3]
        start = time.perf_counter()
        for x in inputs:
            hashlib.sha256(x).digest()
        times["baseline"].append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--data-dir", help="reuse this data folder (created and filled on the first run; a later run "
                        "only adds the entries missing up to --entries), instead of a fresh temporary one")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes for (c); default every core (os.cpu_count())")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds of (c)")
    parser.add_argument("--only", choices=["appends", "proofs", "reverify"], action="append",
                        help="run only these parts (repeatable); default all")
    args = parser.parse_args()
    parts = set(args.only or ["appends", "proofs", "reverify"])
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="zhifa-bench-")
    os.makedirs(data_dir, exist_ok=True)
    setup_django(data_dir)
    from django.db import connection

    print(f"database: {connection.vendor}; data dir {data_dir}")
    if "appends" in parts:
        ours, baseline = bench_appends(args.appends)
        print(f"(a) appends: {ours:,.0f}/s via ledger_append vs {baseline:,.0f}/s raw sqlite3 (same rows, WAL, "
              f"synchronous=FULL) -> ratio {ours / baseline:.2f} (target >= 0.5)")
    t = time.perf_counter()
    build_large_tree(args.entries)
    print(f"    built {args.entries:,} entries in {time.perf_counter() - t:.0f} s")
    if "proofs" in parts:
        inc, con = bench_proofs()
        print(f"(b) at {args.entries:,} entries: inclusion proof median {inc:.3f} ms, consistency proof median "
              f"{con:.3f} ms (target <= 2 ms)")
    if "reverify" not in parts:
        return
    from zhifa.records.verify_db import _idle_cores

    load_before = os.getloadavg()[0]
    workers = args.workers or _idle_cores()
    t = bench_reverify(args.workers, args.repeats)

    def fig(name: str) -> str:
        runs = t[name]
        if name == "baseline":
            return f"fastest {min(runs):.2f} s, median {statistics.median(runs):.2f} s"
        return (f"fastest {min(runs):.2f} s, median {statistics.median(runs):.2f} s -> ratio "
                f"{min(t['baseline']) / min(runs):.2f} fastest/fastest, "
                f"{statistics.median(t['baseline']) / statistics.median(runs):.2f} median/median")

    print(f"(c) {args.repeats} interleaved rounds. Baseline: single-threaded hashlib SHA-256 over the same "
          f"{t['bytes'][0] / 1e6:.0f} MB of hash inputs (in memory): {fig('baseline')}")
    print(f"    full re-verification of {args.entries:,} entries (leaves, root, head, checkpoint), "
          f"{'--workers ' + str(args.workers) if args.workers else 'verify_ledger default'}: {workers} process(es) "
          f"at load average {load_before:.1f}: {fig('leaves_root')} (target >= 0.5)")
    print(f"    the same adding every stored subtree: {fig('full')}")
    print(f"    leaves, root, head, checkpoint in one process: {fig('one_process')}")
    print(f"    leaves, root, head, checkpoint on all {os.cpu_count()} cores: {fig('all_cores')}")


if __name__ == "__main__":
    main()
