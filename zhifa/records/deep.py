"""Deep verification (`zhifa verify --deep`, and nightly under `zhifa run`; issue 9 defect 3, ADR 0017).

The offline verifier proves the ledger is intact; it says nothing of the business rows beside it, which a DBA can
edit without touching the ledger. The deep verification first re-verifies the whole ledger in the database
(`verify_db.verify_ledger`), then lets each app recompute, from the ledger entries, the state of the rows those
entries record and name every row that differs, e.g. "案件 〔2026〕3号 罚款金额：数据库 500.00，台账 5000.00".

Apps register a check from their `AppConfig.ready()` (`register("cases", check)`), so this module imports no app
above records. A check receives the report and reads entries with `entries(prefix)`; it adds one line per
difference (`report.differs(...)`) and counts what it compared (`report.count(...)`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection

from zhifa.records import verify_db

logger = logging.getLogger(__name__)

_BATCH = 2000


@dataclass
class DeepReport:
    ledger_size: int = 0
    problems: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def differs(self, what: str, field_label: str, database: Any, ledger: Any) -> None:
        """One row field that differs from what the ledger recorded."""
        self.problems.append(f"{what} {field_label}：数据库 {_show(database)}，台账 {_show(ledger)}")

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def count(self, what: str, n: int = 1) -> None:
        self.checked[what] = self.checked.get(what, 0) + n

    def summary(self) -> str:
        counts = "，".join(f"{k} {v}" for k, v in self.checked.items()) or "无"
        verdict = "通过" if self.ok else f"发现 {len(self.problems)} 处不符"
        return f"深度核验{verdict}：账本 {self.ledger_size} 条；已核对 {counts}。"


def _show(value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    return str(value)


DeepCheck = Callable[[DeepReport], None]
_CHECKS: dict[str, DeepCheck] = {}


def register(name: str, check: DeepCheck) -> None:
    """Register an app's deep check (call from `AppConfig.ready`); re-registering a name replaces it."""
    _CHECKS[name] = check


def registered() -> list[str]:
    return list(_CHECKS)


def entries(kind_prefix: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(seq, entry) of every ledger entry whose kind starts with `kind_prefix`, in log order, in batches."""
    last = -1
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT seq, canonical FROM records_ledgerentry WHERE kind LIKE %s AND seq > %s ORDER BY seq LIMIT %s",
                [kind_prefix + "%", last, _BATCH],  # "_" in LIKE matches any one character: filtered below
            )
            rows = cursor.fetchall()
        for seq, canonical in rows:
            entry = json.loads(bytes(canonical))
            if str(entry.get("kind", "")).startswith(kind_prefix):
                yield seq, entry
        if len(rows) < _BATCH:
            return
        last = rows[-1][0]


def run_deep(names: list[str] | None = None) -> DeepReport:
    """Verify the ledger, compare it with the newest exported checkpoint, then run the registered checks."""
    report = DeepReport()
    try:
        ledger_report = verify_db.verify_ledger()
    except DatabaseError as exc:
        report.problem(f"账本无法读取（数据库可能已损坏）：{exc}")
        return report
    report.ledger_size = ledger_report.size
    report.problems += ledger_report.problems
    _check_exported_checkpoint(report)
    for name, check in _CHECKS.items():
        if names and name not in names:
            continue
        try:
            check(report)
        except DatabaseError as exc:
            report.problem(f"{name} 的深度核验无法读取数据库：{exc}")
    return report


def _check_exported_checkpoint(report: DeepReport) -> None:
    """The newest checkpoint in ZHIFA_CHECKPOINT_EXPORT_DIR (kept off the box) against the ledger: a shorter
    ledger is a truncated tail, another root at that size a rewritten history (TP-2, TP-3) — unless a signed
    restore event acknowledges exactly that (ADR 0011)."""
    from zhifa.records import ledger, rollback
    from zhifa.records.witness import WitnessError

    try:
        exported = rollback.exported_state()
    except WitnessError as exc:
        report.problem(str(exc))
        return
    if exported is None:
        return
    report.count("外送检查点")
    name = f"checkpoint-{exported.size:012d}.txt"
    if exported.size <= report.ledger_size:
        try:
            if ledger.root_at(exported.size) == exported.root:
                return
        except ledger.LedgerError:
            pass
    event = rollback._covering_event(exported, report.ledger_size)
    if event is not None:
        return  # an acknowledged restore: `zhifa restore --check` reports it at every start
    if exported.size > report.ledger_size:
        report.problem(f"账本只有 {report.ledger_size} 条，外送检查点 {name} 已签署 {exported.size} 条：账本尾部被截短或回退"
                       f"（the log shrank by {exported.size - report.ledger_size} entries）。")
    else:
        report.problem(f"账本前 {exported.size} 条的根哈希与外送检查点 {name} 不同：历史被改写（history rewritten）。")


def write_report(report: DeepReport) -> Path:
    """Keep the report as DATA_DIR/reports/deep-verify-<UTC>.txt (read by the operator, listed in the log)."""
    from django.utils import timezone

    folder = Path(settings.DATA_DIR) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"deep-verify-{timezone.now().strftime('%Y%m%dT%H%M%SZ')}.txt"
    path.write_text("\n".join([*report.problems, report.summary()]) + "\n", encoding="utf-8")
    return path
