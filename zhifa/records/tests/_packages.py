"""Helpers for the archive, verifier and tamper tests: a small ledger with evidence blobs, exporting a package,
and what a DBA (or an attacker holding the package) would do to the data. Not collected by pytest."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bagit
from django.db import connection

from zhifa.records import ledger, merkle
from zhifa.records.archive import ExportResult, archive_export
from zhifa.records.blobstore import default_store
from zhifa.records.models import LedgerEntry, LedgerHead, LedgerNode

STREAM = "case:测试-001"
OTHER = "access:1"


@contextlib.contextmanager
def dba_unguarded(*tables: str) -> Iterator[None]:
    """Switch off the append-only triggers of `tables`, as a DBA with DDL rights would, and switch them back on."""
    with connection.cursor() as cur:
        saved: list[str] = []
        if connection.vendor == "sqlite":
            for table in tables:
                cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
                for name, sql in cur.fetchall():
                    saved.append(sql)
                    cur.execute(f'DROP TRIGGER "{name}"')
        else:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses while deferred FK checks are pending
            for table in tables:
                cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        try:
            yield
        finally:
            if connection.vendor == "sqlite":
                for sql in saved:
                    cur.execute(sql)
            else:
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for table in tables:
                    cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
                cur.execute("SET CONSTRAINTS ALL DEFERRED")


def put_blob(data: bytes, content_type: str = "image/jpeg") -> ledger.BlobRef:
    """Store `data` in the blob folder as the evidence store does (ab/cd/<sha256>)."""
    sha = hashlib.sha256(data).hexdigest()
    path = default_store().path_for(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(data)
    return ledger.BlobRef(sha, len(data), content_type)


def append(stream: str = STREAM, *, actor: Any = None, blobs: list[ledger.BlobRef] | None = None,
           **payload: Any) -> LedgerEntry:
    return ledger.ledger_append(
        kind="evidence.added" if blobs else "case.note", stream=stream, agency_id=None, actor=actor,
        payload=payload or {"说明": "现场检查笔录"}, blobs=blobs or [],
    )


def build_ledger(actor: Any = None, *, rounds: int = 6) -> dict[str, Any]:
    """Entries of STREAM (some with blobs, one blob referenced twice) interleaved with another stream's."""
    photo = put_blob(b"\xff\xd8\xff" + "现场照片".encode() * 400)
    video = put_blob(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40, "video/mp4")
    seqs: list[int] = []
    for i in range(rounds):
        append(OTHER, object_id=f"x{i}", action="view")
        if i == 1:
            entry = append(actor=actor, blobs=[photo], original_filename="现场照片.jpg", 采集人员="张三")
        elif i == 3:
            entry = append(actor=actor, blobs=[video, photo], 说明="执法记录仪视频与照片")
        else:
            entry = append(actor=actor, 步骤=f"第{i}步", 说明="立案审批")
        seqs.append(entry.seq)
    append(OTHER, object_id="last", action="view")
    return {"seqs": seqs, "photo": photo, "video": video}


def export(out: Path, stream: str = STREAM, **kwargs: Any) -> ExportResult:
    return archive_export(stream=stream, output=out, **kwargs)


def remanifest(package: Path) -> None:
    """What someone editing a package would do next: recompute every manifest so BagIt fixity passes again."""
    bagit.Bag(str(package)).save(manifests=True)


def entry_lines(package: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (package / "data/entries.jsonl").read_text("utf-8").splitlines()]


def truncate_tail(new_size: int) -> None:
    """Delete every entry from `new_size` on, with its subtree hashes and the checkpoints above it, and set the head
    back, so the ledger looks like a shorter, healthy log (appends continue from `new_size`)."""
    size, _root = ledger.tree_head()
    with dba_unguarded("records_ledgerentry", "records_ledgernode", "records_checkpoint"):
        LedgerEntry.objects.filter(seq__gte=new_size).delete()
        doomed = []
        for key in LedgerNode.objects.values_list("key", flat=True):
            level, index = key >> ledger.LEVEL_SHIFT, key & ((1 << ledger.LEVEL_SHIFT) - 1)
            if (index + 1) << level > new_size:
                doomed.append(key)
        LedgerNode.objects.filter(key__in=doomed).delete()
        from zhifa.records.models import Checkpoint

        Checkpoint.objects.filter(size__gt=new_size).delete()
    blocks = merkle.perfect_blocks(0, new_size)
    hashes = dict(LedgerNode.objects.filter(key__in=[ledger.node_key(lv, i) for lv, i in blocks]).values_list(
        "key", "hash"))
    frontier = [(lv, bytes(hashes[ledger.node_key(lv, i)])) for lv, i in blocks]
    LedgerHead.objects.filter(pk=1).update(size=new_size, frontier=ledger.encode_frontier(frontier))
    assert size > new_size


def rewrite_tree() -> None:
    """After rows were changed: recompute every stored subtree hash and the head from the current leaves (a
    thorough insider covering their tracks)."""
    leaves = [bytes(h) for h in LedgerEntry.objects.order_by("seq").values_list("leaf_hash", flat=True)]
    nodes: list[LedgerNode] = []
    level, row = 0, leaves
    while row:
        nodes += [LedgerNode(key=ledger.node_key(level, i), hash=h) for i, h in enumerate(row)]
        row = [merkle.node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
        level += 1
    with dba_unguarded("records_ledgernode"):
        LedgerNode.objects.all().delete()
    LedgerNode.objects.bulk_create(nodes)
    blocks = merkle.perfect_blocks(0, len(leaves))
    by_key = {n.key: n.hash for n in nodes}
    frontier = [(lv, bytes(by_key[ledger.node_key(lv, i)])) for lv, i in blocks]
    LedgerHead.objects.filter(pk=1).update(size=len(leaves), frontier=ledger.encode_frontier(frontier))
