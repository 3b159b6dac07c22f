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

from django.db import connection, transaction
from django.utils import timezone

from zhifa.common.errors import ServiceUnavailable
from zhifa.records import merkle
from zhifa.records.models import LedgerEntry, LedgerHead, LedgerNode

LEVEL_SHIFT = 40  # node key = level << 40 | index: up to 2^40 leaves
# The schema version of the entries written now (ADR 0029): the envelope's "v". Entries written before versioning
# have no "v" and read as version 0; readers (`zhifa.records.entries`) and the verifiers accept both.
ENTRY_SCHEMA_VERSION = 1


class LedgerError(ServiceUnavailable):
    """The ledger refuses to write (for example a restored backup shorter than the witnessed log)."""


def node_key(level: int, index: int) -> int:
    return (level << LEVEL_SHIFT) | index


def encode_frontier(frontier: Sequence[tuple[int, bytes]]) -> bytes:
    return b"".join(bytes([level]) + h for level, h in frontier)


def decode_frontier(raw: bytes | memoryview) -> list[tuple[int, bytes]]:
    raw = bytes(raw)
    return [(raw[i], raw[i + 1 : i + 33]) for i in range(0, len(raw), 33)]


def frontier_push(frontier: list[tuple[int, bytes]], seq: int, leaf: bytes) -> list[tuple[int, bytes]]:
    """Add leaf `seq` to `frontier` (the tree's right edge: its perfect subtrees as (level, hash), largest first),
    folding equal-sized subtrees together. Returns the stored nodes this creates, as (node_key, hash): the leaf and
    each new perfect subtree."""
    nodes = [(node_key(0, seq), leaf)]
    frontier.append((0, leaf))
    index = seq
    while len(frontier) >= 2 and frontier[-1][0] == frontier[-2][0]:
        (level, right), (_lvl, left) = frontier.pop(), frontier.pop()
        combined = merkle.node_hash(left, right)
        index //= 2
        frontier.append((level + 1, combined))
        nodes.append((node_key(level + 1, index), combined))
    return nodes


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
    sm3: str = ""  # SM mode only (ADR 0020); absent from the entry otherwise, so the default format is unchanged

    def as_dict(self) -> dict[str, Any]:
        ref: dict[str, Any] = {"sha256": self.sha256, "size": self.size, "content_type": self.content_type}
        if self.sm3:
            ref["sm3"] = self.sm3
        return ref


class _Sql:
    """The append's five statements. On SQLite they go straight to the sqlite3 connection inside Django's
    transaction (the append is the system's hot path; Django's cursor wrapper doubled its cost, see bench/README.md);
    on PostgreSQL through Django's cursor, with a row lock on the head."""

    head = "SELECT size, frontier, witnessed_size FROM records_ledgerhead WHERE id = %s"
    create_head = "INSERT INTO records_ledgerhead (id, size, frontier, witnessed_size) VALUES (1, 0, %s, 0)"
    insert_entry = ("INSERT INTO records_ledgerentry (seq, kind, stream, agency_id, recorded_at, canonical, leaf_hash) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s)")
    insert_node = "INSERT INTO records_ledgernode (key, hash) VALUES (%s, %s)"
    update_head = "UPDATE records_ledgerhead SET size = %s, frontier = %s WHERE id = 1"

    _sqlite: _Sql | None = None
    _postgres: _Sql | None = None

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        if postgres:
            self.head = self.head.replace("%s", "1") + " FOR UPDATE"
        else:  # on SQLite the IMMEDIATE transaction already holds the database write lock
            for name in ("head", "create_head", "insert_entry", "insert_node", "update_head"):
                setattr(self, name, getattr(self, name).replace("%s", "?"))
            self.head = self.head.replace("?", "1")

    @classmethod
    def for_connection(cls) -> _Sql:
        if connection.vendor == "postgresql":
            cls._postgres = cls._postgres or cls(True)
            return cls._postgres
        cls._sqlite = cls._sqlite or cls(False)
        return cls._sqlite

    def run(self, statement: str, params: Sequence[Any] = ()) -> Any:
        if self.postgres:
            cursor = connection.cursor()
            cursor.execute(statement, params)
            return cursor
        # Driver errors become Django's (DatabaseError, IntegrityError...), as through a Django cursor: callers such
        # as the access log catch those to fail closed with a 503 (reliability.md FC-5).
        with connection.wrap_database_errors:
            return connection.connection.execute(statement, params)

    def run_many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if self.postgres:
            with connection.cursor() as cursor:
                cursor.executemany(statement, rows)
        else:
            with connection.wrap_database_errors:
                connection.connection.executemany(statement, rows)

    @staticmethod
    def timestamp(value: datetime) -> Any:
        return connection.ops.adapt_datetimefield_value(value)


@dataclass(frozen=True)
class NewEntry:
    """One entry to append with `ledger_append_many`: what `ledger_append` takes, with the actor already turned
    into its snapshot (`actor_snapshot`), so the entry can be written by another thread (the 调阅 group commit)."""

    kind: str
    stream: str
    agency_id: int | None
    actor: dict[str, Any] | None
    payload: Mapping[str, Any]
    blobs: Sequence[BlobRef] = ()
    at: datetime | None = None


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
    """Append one entry in the caller's transaction and return it (with its sequence number and leaf hash).

    This is the hot path of the system (every transition, document, upload and 调阅 read), so it speaks SQL through
    the connection's cursor: five statements, no savepoint (savepoint=False joins the caller's transaction; if the
    append fails, the caller's transaction fails with it, as it must).
    """
    return ledger_append_many([NewEntry(kind=kind, stream=stream, agency_id=agency_id, actor=actor_snapshot(actor),
                                        payload=payload, blobs=blobs, at=at)])[0]


def ledger_append_many(entries: Sequence[NewEntry]) -> list[LedgerEntry]:
    """Append `entries`, in order, in the caller's transaction: consecutive sequence numbers, each leaf folded into
    the frontier in turn (the same entries, hashes and stored subtrees as one `ledger_append` per entry), with one
    head read, one insert of all entries, one of all nodes and one head update."""
    if not entries:
        return []
    with transaction.atomic(savepoint=False):
        sql = _Sql.for_connection()
        head = sql.run(sql.head).fetchone()
        if head is None:  # the migration creates the row; recreate it if someone removed it
            sql.run(sql.create_head, [b""])
            head = sql.run(sql.head).fetchone()
        size, frontier_raw, witnessed_size = head
        if size < witnessed_size:
            raise LedgerError(
                f"账本长度 {size} 小于见证方已签署的长度 {witnessed_size}：疑似从旧备份恢复，已拒绝写入。"
                "请核实后由运维人员登记签名的恢复记录。"
            )
        frontier = decode_frontier(frontier_raw)
        rows: list[LedgerEntry] = []
        entry_rows: list[list[Any]] = []
        node_rows: list[tuple[int, bytes]] = []
        for seq, new in enumerate(entries, start=size):
            recorded_at = new.at or timezone.now()
            entry = {
                "v": ENTRY_SCHEMA_VERSION,
                "seq": seq,
                "kind": new.kind,
                "stream": new.stream,
                "agency_id": new.agency_id,
                "actor": new.actor,
                "time": recorded_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                "payload": dict(new.payload),
                "blobs": [b.as_dict() for b in new.blobs],
            }
            data = canonical_bytes(entry)
            leaf = merkle.leaf_hash(data)
            node_rows += frontier_push(frontier, seq, leaf)
            entry_rows.append([seq, new.kind, new.stream, new.agency_id, sql.timestamp(recorded_at), data, leaf])
            row = LedgerEntry(seq=seq, kind=new.kind, stream=new.stream, agency_id=new.agency_id,
                              recorded_at=recorded_at, canonical=data, leaf_hash=leaf)
            row._state.adding = False
            row._state.db = connection.alias
            rows.append(row)
        if len(entry_rows) == 1:
            sql.run(sql.insert_entry, entry_rows[0])
        else:
            sql.run_many(sql.insert_entry, entry_rows)
        sql.run_many(sql.insert_node, node_rows)
        sql.run(sql.update_head, [size + len(entries), encode_frontier(frontier)])
    return rows


def tree_head() -> tuple[int, bytes]:
    head = LedgerHead.objects.filter(pk=1).first()
    if head is None:
        return 0, merkle.EMPTY_ROOT
    frontier = decode_frontier(head.frontier)
    return head.size, merkle.fold_blocks([h for _level, h in frontier]) if frontier else merkle.EMPTY_ROOT


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


def entry_leaf(seq: int) -> tuple[bytes, bytes]:
    """(canonical bytes, leaf hash) of the entry at `seq`: what another app may show of an entry whose content it
    knows to be public (the disclosure stream's proofs, ADR 0045), without reading payloads itself."""
    canonical, leaf = LedgerEntry.objects.filter(seq=seq).values_list("canonical", "leaf_hash").get()
    return bytes(canonical), bytes(leaf)


def inclusion_proof(seq: int, size: int) -> list[bytes]:
    return _range_hashes(merkle.inclusion_ranges(seq, size))


def consistency_proof(old_size: int, new_size: int) -> list[bytes]:
    return _range_hashes(merkle.consistency_ranges(old_size, new_size))
