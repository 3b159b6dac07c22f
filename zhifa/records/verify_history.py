"""Offline checks of the public disclosure stream in an archive package (ADR 0045; DISC-24, DISC-25, REC-9).

Pure Python like `zhifa.records.verify`, which runs these checks after its own whenever the package is of the
disclosure stream (or `--as-of` is given). The base verifier has already checked every entry's leaf hash, its
inclusion proof against the signed checkpoint, and every referenced file under data/blobs/ against the SHA-256 and
size its entry records. A published snapshot is such a file: each entry of the stream refers to the canonical JSON
bytes of the snapshot it publishes, corrects, withdraws or lets expire. This module adds what only the disclosure
stream means:

- a snapshot file that fails (changed, missing) is named as the snapshot it is: public id, version, kind;
- the stream's own chain: each entry names the sequence number of the stream's previous entry (`prev`), so an entry
  left out of the package (removed from the history) shows as a broken link;
- each entry's `snapshot_sha256` is the file it refers to;
- `--as-of YYYY-MM-DD`: what was public at the end of that day (Beijing time): every record whose last entry by
  then is a publish or correct, with the title read from its verified snapshot file.

Ledger payload of an entry (kind "disclosure.<action>"), which holds no personal data and no snapshot text:
{"action", "public_id", "kind", "version", "agency", "source", "snapshot_sha256", "prev"}; entries written by the
upgrade's backfill add "backfill": true and "effective_at" (the time of the event they record, used by --as-of).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

STREAM = "disclosure:public"
KIND_PREFIX = "disclosure."
ACTIONS = ("publish", "correct", "withdraw", "expire")
SHOWN = frozenset({"publish", "correct"})
SNAPSHOT_CONTENT_TYPE = "application/json"
_ENTRIES = "data/entries.jsonl"
_BLOBS = "data/blobs"
_SHANGHAI = ZoneInfo("Asia/Shanghai")


class Reporter(Protocol):
    """What this module needs of `zhifa.records.verify.Report`."""

    notes: list[str]

    def fail(self, zh: str, en: str, **where: Any) -> None: ...

    def failed_blobs(self) -> set[str]: ...


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    time: datetime
    action: str
    public_id: str
    kind: str
    version: int
    source: str
    sha256: str
    prev: int | None
    blobs: tuple[str, ...]

    def label(self) -> str:
        return f"公示快照 {self.public_id} 第 {self.version} 版（{self.kind}）"


@dataclass(frozen=True)
class PublicItem:
    public_id: str
    kind: str
    version: int
    title: str
    since: datetime
    sha256: str


def _parse_time(text: Any) -> datetime | None:
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def read_entries(root: Path) -> list[HistoryEntry]:
    """The disclosure entries of the package in sequence order (lines the base verifier rejects are skipped)."""
    path = root / _ENTRIES
    if not path.is_file():
        return []
    found = []
    with path.open(encoding="utf-8", errors="replace") as f:
        for raw in f:
            try:
                line = json.loads(raw)
                content = json.loads(line["canonical"])
                payload = content["payload"]
                if not str(content.get("kind", "")).startswith(KIND_PREFIX):
                    continue
                # A backfilled entry (written at the upgrade for an earlier event) carries the event's own time.
                at = _parse_time(payload.get("effective_at") or content.get("time"))
                prev = payload.get("prev")
                blobs = tuple(str(b.get("sha256", "")) for b in content.get("blobs") or [] if isinstance(b, dict))
                found.append(HistoryEntry(
                    seq=int(line["seq"]), time=at or datetime.min.replace(tzinfo=UTC), action=str(payload["action"]),
                    public_id=str(payload["public_id"]), kind=str(payload["kind"]), version=int(payload["version"]),
                    source=str(payload.get("source", payload["public_id"])), sha256=str(payload["snapshot_sha256"]),
                    prev=prev if isinstance(prev, int) else None, blobs=blobs,
                ))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
    return sorted(found, key=lambda e: e.seq)


def _check_chain(report: Reporter, entries: list[HistoryEntry]) -> None:
    previous: int | None = None
    for entry in entries:
        if entry.prev != previous:
            if entry.prev is not None and (previous is None or entry.prev > previous):
                report.fail(
                    f"公示历史缺少第 {entry.prev} 条（本条所指的前一条公示记录不在包中：记录被删除或漏导出）",
                    f"disclosure entry seq {entry.prev} is missing (the previous entry this one names is not in the "
                    "package: removed or left out)", seq=entry.seq, path=_ENTRIES,
                )
            else:
                report.fail(
                    f"公示历史链接错误：本条指向第 {entry.prev} 条，而包中前一条是第 {previous} 条",
                    f"disclosure chain broken: this entry names seq {entry.prev}, the previous one in the package is "
                    f"{previous}", seq=entry.seq, path=_ENTRIES,
                )
        previous = entry.seq
        if entry.action not in ACTIONS:
            report.fail(f"未知的公示操作 {entry.action!r}", f"unknown disclosure action {entry.action!r}",
                        seq=entry.seq, path=_ENTRIES)
        if entry.sha256 not in entry.blobs:
            report.fail(f"{entry.label()}：记录的快照哈希与其引用的文件不一致",
                        f"snapshot {entry.public_id} v{entry.version}: snapshot_sha256 is not the file it refers to",
                        seq=entry.seq, path=_ENTRIES)


def _check_snapshots(report: Reporter, entries: list[HistoryEntry]) -> None:
    """Name each snapshot whose file the base verifier found changed or missing."""
    failed = report.failed_blobs()
    named: set[str] = set()
    for entry in entries:
        if entry.sha256 in failed and entry.sha256 not in named:
            named.add(entry.sha256)
            report.fail(
                f"{entry.label()} 的内容与账本记录的哈希不符或文件缺失：公示内容被改动或删除",
                f"published snapshot {entry.public_id} version {entry.version} ({entry.kind}) does not match the "
                "ledger's hash or is missing: the published content was altered or removed",
                seq=entry.seq, path=f"{_BLOBS}/{entry.sha256}",
            )


def public_as_of(root: Path, entries: list[HistoryEntry], day: date) -> list[PublicItem]:
    """What was public at the end of `day` (Beijing time): per record (kind and source), its last entry by then,
    if that entry publishes or corrects."""
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=_SHANGHAI)
    state: dict[tuple[str, str], HistoryEntry | None] = {}
    since: dict[tuple[str, str], datetime] = {}
    # In the order things happened: a backfilled entry comes after later ones in the ledger, with its own time.
    for entry in sorted(entries, key=lambda e: (e.time, e.seq)):
        if entry.time >= end:
            continue
        key = (entry.kind, entry.source)
        if entry.action in SHOWN:
            if state.get(key) is None:
                since[key] = entry.time
            state[key] = entry
        else:
            state[key] = None
    items = []
    for key, last in state.items():
        if last is None:
            continue
        items.append(PublicItem(last.public_id, last.kind, last.version, _title(root, last.sha256), since[key],
                                last.sha256))
    return sorted(items, key=lambda i: (i.kind, i.title, i.public_id))


def _title(root: Path, sha: str) -> str:
    try:
        document = json.loads((root / _BLOBS / sha).read_bytes())
        return str(document.get("title", ""))
    except (OSError, ValueError, AttributeError):
        return "（快照文件不可读）"


def check_history(report: Reporter, root: Path, as_of: date | None = None) -> list[PublicItem] | None:
    """Run the disclosure checks; with `as_of`, also list what was public then (as notes) and return it."""
    entries = read_entries(root)
    _check_chain(report, entries)
    _check_snapshots(report, entries)
    report.notes.append(f"公示历史：{len(entries)} 条公示记录 / disclosure history: {len(entries)} entries")
    if as_of is None:
        return None
    items = public_as_of(root, entries, as_of)
    report.notes.append(f"{as_of.isoformat()} 日终（北京时间）公开的信息共 {len(items)} 条 / public at the end of "
                        f"{as_of.isoformat()} (Beijing time): {len(items)}")
    for item in items:
        report.notes.append(
            f"  {item.kind} {item.public_id} 第 {item.version} 版 《{item.title}》 自 "
            f"{item.since.astimezone(_SHANGHAI):%Y-%m-%d %H:%M} 起公开，快照 sha256 {item.sha256}"
        )
    return items
