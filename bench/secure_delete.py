"""Write cost of SQLite `secure_delete=ON` (ADR 0018), measured against OFF in the same run.

Two database files with the deployment's pragmas (WAL, synchronous=FULL), one with secure_delete ON and one OFF,
take the same workload in alternating blocks: inserts of ledger-sized rows (~1 KB) in small transactions, plus
updates and deletes (where secure_delete does its work: zeroing the freed cell content). Prints the per-transaction
median and p95 of each, and the ON/OFF ratio.

    python bench/secure_delete.py [--blocks 10] [--tx 200]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

PRAGMAS = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;"


def _open(path: Path, secure: bool) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None)
    con.executescript(PRAGMAS + f" PRAGMA secure_delete={'ON' if secure else 'OFF'};")
    con.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body BLOB)")
    return con


def _block(con: sqlite3.Connection, tx: int, counter: list[int]) -> list[float]:
    times = []
    for _ in range(tx):
        start = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        counter[0] += 1
        con.execute("INSERT INTO t (id, body) VALUES (?, ?)", (counter[0], os.urandom(1024)))
        if counter[0] % 4 == 0:  # an erase or rewrite: update one row, delete another
            con.execute("UPDATE t SET body = ? WHERE id = ?", (os.urandom(1024), counter[0] - 2))
            con.execute("DELETE FROM t WHERE id = ?", (counter[0] - 3,))
        con.execute("COMMIT")
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--tx", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-secure-delete-") as tmp:
        cons = {on: _open(Path(tmp) / f"{'on' if on else 'off'}.sqlite3", on) for on in (True, False)}
        counters = {True: [0], False: [0]}
        results: dict[bool, list[float]] = {True: [], False: []}
        for i in range(args.blocks):
            for on in ((True, False) if i % 2 == 0 else (False, True)):
                results[on] += _block(cons[on], args.tx, counters[on])
        for on, label in ((False, "secure_delete=OFF"), (True, "secure_delete=ON ")):
            values = sorted(results[on])
            p95 = values[int(0.95 * (len(values) - 1))]
            print(f"{label}: {len(values)} tx, median {statistics.median(values) * 1000:.3f} ms, "
                  f"p95 {p95 * 1000:.3f} ms")
        ratio = statistics.median(results[True]) / statistics.median(results[False])
        print(f"ratio ON/OFF (median per transaction): {ratio:.2f}")


if __name__ == "__main__":
    main()
