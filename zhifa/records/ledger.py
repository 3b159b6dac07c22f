"""The ledger: one global, gapless, append-only RFC 6962 log of canonical entries (architecture rule 5).

`ledger_append` is the only writer. It runs inside the caller's transaction, so an event commits or rolls back
together with the change it records. Every append locks the single `LedgerHead` row (on SQLite the IMMEDIATE
transaction already holds the database write lock), so concurrent appends from several processes serialise:
no fork, no gap. Each append stores its leaf and every perfect subtree it completes, so proofs read O(log n)
rows in one query (`_node_hashes`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhifa.records import merkle
from zhifa.records.models import LedgerEntry, LedgerHead, LedgerNode

LEVEL_SHIFT = 40  # node key = level << 40 | index: up to 2^40 leaves


class LedgerError(Exception):
    """The ledger refuses to write (for example a restored backup shorter than the witnessed log)."""


def node_key(level: int, index: int) -> int:
    return (level << LEVEL_SHIFT) | index


def canonical_bytes(entry: Mapping[str, Any]) -> bytes:
    """Canonical JSON: sorted keys, no insignificant white space, UTF-8, no NaN. The exact bytes are stored."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def actor_snapshot(actor: Any) -> dict[str, Any] | None:
    """Who acted, as it was at the time (history survives a renamed or removed user)."""
    if actor is None:
        return None
    roles = sorted(getattr(actor, "role_codes", ()))
    return {
        "id": str(getattr(actor, "public_id", "")),
        "username": actor.username,
        "name": getattr(actor, "full_name", "") or actor.username,
        "agency_id": getattr(actor, "agency_id", None),
        "roles": roles,
    }


@dataclass(frozen=True)
class BlobRef:
    sha256: str
    size: int
    content_type: str

    def as_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size, "content_type": self.content_type}


def _head_for_update() -> LedgerHead:
    head = LedgerHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # first append ever (the migration normally creates the row)
        LedgerHead.objects.get_or_create(pk=1, defaults={"root": merkle.EMPTY_ROOT})
        head = LedgerHead.objects.select_for_update().get(pk=1)
    return head


def ledger_append(
    *,
    kind: str,
    stream: str,
    agency_id: int | None,
    actor: Any,
    payload: Mapping[str, Any],
    blobs: Sequence[BlobRef] = (),
    at: datetime | None = None,
) -> LedgerEntry:
    """Append one entry in the caller's transaction and return it (with its sequence number and leaf hash)."""
    recorded_at = at or timezone.now()
    with transaction.atomic():
        head = _head_for_update()
        if head.size < head.witnessed_size:
            raise LedgerError(
                f"账本长度 {head.size} 小于见证方已签署的长度 {head.witnessed_size}：疑似从旧备份恢复，已拒绝写入。"
            )
        seq = head.size
        entry = {
            "seq": seq,
            "kind": kind,
            "stream": stream,
            "agency_id": agency_id,
            "actor": actor_snapshot(actor),
            "time": recorded_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "payload": dict(payload),
            "blobs": [b.as_dict() for b in blobs],
        }
        data = canonical_bytes(entry)
        leaf = merkle.leaf_hash(data)
        row = LedgerEntry.objects.create(
            seq=seq, kind=kind, stream=stream, agency_id=agency_id, recorded_at=recorded_at, canonical=data,
            leaf_hash=leaf,
        )
        frontier = [(int(level), bytes.fromhex(h)) for level, h in head.frontier]
        nodes = [LedgerNode(key=node_key(0, seq), hash=leaf)]
        frontier.append((0, leaf))
        index = seq
        while len(frontier) >= 2 and frontier[-1][0] == frontier[-2][0]:
            (level, right), (_lvl, left) = frontier.pop(), frontier.pop()
            combined = merkle.node_hash(left, right)
            index //= 2
            frontier.append((level + 1, combined))
            nodes.append(LedgerNode(key=node_key(level + 1, index), hash=combined))
        LedgerNode.objects.bulk_create(nodes)
        head.size = seq + 1
        head.root = merkle.fold_blocks([h for _level, h in frontier])
        head.frontier = [[level, h.hex()] for level, h in frontier]
        head.save(update_fields=["size", "root", "frontier"])
    return row


def tree_head() -> tuple[int, bytes]:
    head = LedgerHead.objects.filter(pk=1).first()
    if head is None:
        return 0, merkle.EMPTY_ROOT
    return head.size, bytes(head.root)


def _node_hashes(blocks: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    wanted = list(dict.fromkeys(blocks))
    keys = {node_key(level, index): (level, index) for level, index in wanted}
    found = {keys[k]: bytes(h) for k, h in LedgerNode.objects.filter(key__in=list(keys)).values_list("key", "hash")}
    missing = [b for b in wanted if b not in found]
    if missing:
        raise LedgerError(f"账本缺少子树哈希 {missing[:3]}：账本数据不完整或已被篡改。")
    return found


def _range_hashes(ranges: Sequence[merkle.Range]) -> list[bytes]:
    plans = [merkle.perfect_blocks(start, end) for start, end in ranges]
    nodes = _node_hashes(block for plan in plans for block in plan)
    return [merkle.fold_blocks([nodes[b] for b in plan]) for plan in plans]


def root_at(size: int) -> bytes:
    """The root of the first `size` entries, from stored perfect subtrees (O(log n) rows)."""
    if size == 0:
        return merkle.EMPTY_ROOT
    return _range_hashes([(0, size)])[0]


def inclusion_proof(seq: int, size: int) -> list[bytes]:
    return _range_hashes(merkle.inclusion_ranges(seq, size))


def consistency_proof(old_size: int, new_size: int) -> list[bytes]:
    return _range_hashes(merkle.consistency_ranges(old_size, new_size))
