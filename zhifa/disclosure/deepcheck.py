"""The disclosure app's part of `zhifa verify --deep` (ADR 0017, ADR 0045): every stored snapshot against the
publication history of the ledger. A snapshot row changed behind the services (its bytes no longer hash to what the
ledger recorded), a history entry of the ledger missing from the database, or a history row that disagrees with its ledger entry is
named; these are the silent alterations the public archive package would also show."""

from __future__ import annotations

from zhifa.disclosure.history import STREAM, snapshot_sha256
from zhifa.disclosure.models import PublicationEvent, PublicEntry
from zhifa.records import verify_history
from zhifa.records.deep import DeepReport, entries


def check_disclosure(report: DeepReport) -> None:
    recorded: dict[int, tuple[str, str, str]] = {}  # seq -> (action, public id, hash)
    by_entry: dict[str, str] = {}  # public id -> hash recorded by its publish/correct entry
    for seq, entry in entries(verify_history.KIND_PREFIX):
        if entry.get("stream") != STREAM:
            continue
        payload = entry.get("payload") or {}
        recorded[seq] = (str(payload.get("action")), str(payload.get("public_id")), str(payload.get("snapshot_sha256")))
        if payload.get("action") in verify_history.SHOWN:
            by_entry.setdefault(str(payload.get("public_id")), str(payload.get("snapshot_sha256")))
    events = {seq: (action, str(public_id), sha) for seq, action, public_id, sha in
              PublicationEvent.objects.values_list("seq", "action", "entry__public_id", "snapshot_sha256")}
    for seq, stored in events.items():
        if recorded.get(seq) != stored:
            report.problem(f"公示历史第 {seq} 条与账本记录不符：数据库 {stored}，台账 {recorded.get(seq)}")
    for seq in recorded.keys() - events.keys():
        report.problem(f"账本中的公示记录第 {seq} 条在数据库中没有对应的公示历史（已被删除）。")
    for row in PublicEntry.objects.select_related("agency").order_by("pk").iterator(chunk_size=500):
        report.count("公开信息")
        what = f"公开信息 {row.public_id} 第 {row.version} 版"
        ledger_sha = by_entry.get(str(row.public_id))
        if ledger_sha is None:  # never public (its agency was not): nothing recorded, nothing to compare
            continue
        actual = snapshot_sha256(row)
        if actual != ledger_sha:
            report.differs(what, "公开内容哈希", actual, ledger_sha)
        elif row.snapshot_sha256 != ledger_sha:
            report.differs(what, "快照哈希字段", row.snapshot_sha256, ledger_sha)
