"""Shared by the size benchmarks (bench/cases.py, bench/review.py): Django set-up on a fresh data folder, two
SQLite files measured in alternating blocks, percentiles, and the small-vs-full comparison with query plans."""

from __future__ import annotations

import os
import re
import statistics
from dataclasses import dataclass, field
from typing import Any


def setup_django(data_dir: str) -> None:
    os.environ["ZHIFA_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # as `zhifa run` does; the pages need the manifest


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


class Db:
    """Point Django's default connection at one of two SQLite files (the small and the full database), so that the
    two sizes can be measured in alternating blocks and noise from other work on the machine hits both alike.
    On PostgreSQL there is only DATABASE_URL's database: the small size is measured first, then it grows."""

    def __init__(self, path: str | None) -> None:
        self.path = path

    def use(self) -> None:
        from django.db import connection

        if self.path is not None and connection.settings_dict["NAME"] != self.path:
            connection.close()
            connection.settings_dict["NAME"] = self.path


@dataclass
class Read:
    name: str
    times: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")
    note: str = ""

    def captured(self, queries: list[dict[str, Any]]) -> None:
        """Count one call's queries and keep the slowest SELECT seen (for its plan)."""
        self.queries.append(len(queries))
        for q in queries:
            t = float(q["time"])
            if t >= self.slowest[0] and q["sql"].lstrip().upper().startswith("SELECT"):
                self.slowest = (t, q["sql"])


def report_reads(label: str, rs: list[Read]) -> None:
    print(f"\n== reads at {label}")
    for r in rs:
        counts = sorted(set(r.queries))
        print(f"{r.name:52s} p50 {ms(statistics.median(r.times)):>7s} ms  p95 {ms(pct(r.times, 0.95)):>7s} ms  "
              f"queries {'/'.join(map(str, counts))}   {r.note}")


def explain(sql: str) -> list[str]:
    from django.db import connection

    if connection.vendor != "sqlite" or not sql.lstrip().upper().startswith("SELECT"):
        return []
    try:
        with connection.cursor() as cur:
            cur.execute("EXPLAIN QUERY PLAN " + sql)
            return [row[-1] for row in cur.fetchall()]
    except Exception as exc:  # noqa: BLE001 - the captured SQL is for display and may not re-parse
        return [f"(no plan: {exc})"]


def compare(small: list[Read], full: list[Read], n_small: int, n_full: int, unit: str) -> None:
    print(f"\n== p95 at {n_full:,} {unit} / p95 at {n_small:,} {unit} (target ~1) and query counts (must be equal)")
    for s, f in zip(small, full, strict=True):
        ratio = pct(f.times, 0.95) / pct(s.times, 0.95)
        ratio50 = statistics.median(f.times) / statistics.median(s.times)
        same = sorted(set(s.queries)) == sorted(set(f.queries))
        print(f"{s.name:52s} p95 ratio {ratio:6.2f} (p50 ratio {ratio50:6.2f})   queries "
              f"{'/'.join(map(str, sorted(set(s.queries))))} -> {'/'.join(map(str, sorted(set(f.queries))))} "
              f"{'EQUAL' if same else 'DIFFERENT'}")
    print(f"\n== slowest SELECT per read at {n_full:,} {unit} (Django times statements to the millisecond)")
    for f in full:
        secs, sql = f.slowest
        sql = re.sub(r"\s+", " ", sql)
        short = re.sub(r"^SELECT (?!COUNT).*? FROM ", "SELECT ... FROM ", sql, count=1)
        print(f"-- {f.name}: {secs * 1000:.0f} ms: {short[:600]}")
        for line in explain(sql):
            print(f"     plan: {line}")
