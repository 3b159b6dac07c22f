"""The ledger in the database: gapless appends, proofs equal the pure module's and cost O(log n) rows in one query,
append-only triggers (reliability.md TP-6), canonical bytes, rollback, and concurrent appends from four processes
on SQLite and PostgreSQL (no gap, no fork, the recomputed root is the signed one)."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import DatabaseError, connection, transaction

from zhifa.records import ledger, merkle, signednote, verify
from zhifa.records.checkpoints import checkpoint_create
from zhifa.records.models import Checkpoint, LedgerEntry, LedgerNode
from zhifa.registry.testing import make_user

PROJECT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def ledger_files(settings, tmp_path):
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "keys" / "ledger.pem"
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"


def append(i: int = 0, stream: str = "test:ledger", **payload: Any) -> LedgerEntry:
    return ledger.ledger_append(
        kind="test.event", stream=stream, agency_id=None, actor=None, payload=payload or {"i": i}
    )


def all_leaves() -> list[bytes]:
    return [bytes(h) for h in LedgerEntry.objects.order_by("seq").values_list("leaf_hash", flat=True)]


def test_appends_are_gapless_and_hash_their_canonical_bytes(db) -> None:
    start, _root = ledger.tree_head()
    rows = [append(i, stream=f"s{i % 3}") for i in range(25)]
    assert [r.seq for r in rows] == list(range(start, start + 25))
    stored = list(LedgerEntry.objects.order_by("seq").values_list("seq", "canonical", "leaf_hash"))
    assert [s for s, _c, _l in stored] == list(range(start + 25))
    for seq, canonical, leaf in stored:
        assert bytes(leaf) == merkle.leaf_hash(bytes(canonical)) == hashlib.sha256(b"\x00" + bytes(canonical)).digest()
        assert json.loads(bytes(canonical))["seq"] == seq
    assert ledger.tree_head() == (start + 25, merkle.root(all_leaves()))


def test_database_proofs_equal_the_pure_module(db) -> None:
    for i in range(37):
        append(i)
    leaves = all_leaves()
    n = len(leaves)
    for size in range(0, n + 1):
        assert ledger.root_at(size) == merkle.root(leaves[:size])
    for size in range(1, n + 1):
        for index in range(size):
            proof = ledger.inclusion_proof(index, size)
            assert proof == merkle.inclusion_proof(leaves, index, size)
            assert merkle.verify_inclusion(leaves[index], index, size, proof, merkle.root(leaves[:size]))
        for old in range(0, size + 1):
            proof = ledger.consistency_proof(old, size)
            assert proof == merkle.consistency_proof(leaves, old, size)
            assert merkle.verify_consistency(old, size, merkle.root(leaves[:old]), merkle.root(leaves[:size]), proof)


def test_proofs_cost_one_query_and_log_n_rows(db, django_assert_max_num_queries) -> None:
    for i in range(300):
        append(i)
    n = ledger.tree_head()[0]
    leaves = all_leaves()
    bound = 2 * math.ceil(math.log2(n)) + 1
    for index, size in [(0, n), (n - 1, n), (n // 2, n), (137, 211), (5, 6)]:
        with django_assert_max_num_queries(2):
            proof = ledger.inclusion_proof(index, size)
        assert proof == merkle.inclusion_proof(leaves, index, size)
        rows = {b for r in merkle.inclusion_ranges(index, size) for b in merkle.perfect_blocks(*r)}
        assert len(rows) <= bound
    for old, size in [(1, n), (n - 1, n), (100, 255), (129, 257 if n >= 257 else n)]:
        with django_assert_max_num_queries(2):
            proof = ledger.consistency_proof(old, size)
        assert proof == merkle.consistency_proof(leaves, old, size)
        rows = {b for r in merkle.consistency_ranges(old, size) for b in merkle.perfect_blocks(*r)}
        assert len(rows) <= 2 * bound
    with django_assert_max_num_queries(2):
        assert ledger.root_at(n) == merkle.root(leaves)


def test_canonical_bytes_are_stable_and_keep_chinese(db) -> None:
    a = ledger.canonical_bytes({"b": 1, "a": {"y": "执法", "x": [1, "二"]}})
    b = ledger.canonical_bytes({"a": {"x": [1, "二"], "y": "执法"}, "b": 1})
    assert a == b == '{"a":{"x":[1,"二"],"y":"执法"},"b":1}'.encode()
    assert "执法".encode() in a and b"\\u" not in a
    assert verify.canonical_bytes({"a": {"x": [1, "二"], "y": "执法"}, "b": 1}) == a  # the verifier's copy agrees
    with pytest.raises(ValueError):
        ledger.canonical_bytes({"x": float("nan")})
    user = make_user(None, username="wang")
    row = ledger.ledger_append(kind="test.event", stream="test:中文", agency_id=None, actor=user,
                               payload={"意见": "同意立案", "金额": "1000.00"})
    canonical = bytes(LedgerEntry.objects.get(seq=row.seq).canonical)
    assert canonical == row.canonical
    content = json.loads(canonical)
    assert ledger.canonical_bytes(content) == canonical == verify.canonical_bytes(content)
    assert "同意立案".encode() in canonical and "测试wang".encode() in canonical
    assert list(content) == sorted(content)
    assert content["time"].endswith("Z") and content["stream"] == "test:中文"


def test_rolled_back_append_leaves_no_trace(db) -> None:
    append(0)
    before = ledger.tree_head()
    nodes = LedgerNode.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        append(1)
        assert ledger.tree_head()[0] == before[0] + 1
        raise RuntimeError("the service failed after appending")
    assert ledger.tree_head() == before
    assert not LedgerEntry.objects.filter(seq=before[0]).exists()
    assert LedgerNode.objects.count() == nodes
    assert append(2).seq == before[0]  # the number is reused: no gap


TABLES = ["records_ledgerentry", "records_ledgernode", "records_checkpoint"]


def _refused(sql: str, params: list[Any] | None = None) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params or [])


def test_triggers_refuse_update_and_delete(db) -> None:
    """TP-6: raw SQL as a DBA would type it, and the ORM's bulk paths, are refused on every ledger table."""
    for i in range(4):
        append(i)
    checkpoint_create()
    snapshot = [list(LedgerEntry.objects.values_list("seq", "canonical", "leaf_hash").order_by("seq")),
                list(LedgerNode.objects.values_list("key", "hash").order_by("key")),
                list(Checkpoint.objects.values_list("size", "note").order_by("size"))]
    _refused("UPDATE records_ledgerentry SET canonical = %s WHERE seq = 1", [b"{}"])
    _refused("UPDATE records_ledgerentry SET kind = 'x'")
    _refused("DELETE FROM records_ledgerentry WHERE seq = 2")
    _refused("DELETE FROM records_ledgerentry")
    _refused("UPDATE records_ledgernode SET hash = %s", [b"\x00" * 32])
    _refused("DELETE FROM records_ledgernode")
    _refused("UPDATE records_checkpoint SET note = 'forged'")
    _refused("DELETE FROM records_checkpoint")
    if connection.vendor == "postgresql":
        for table in TABLES:
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
                cur.execute(f"TRUNCATE {table} CASCADE")
    orm_attempts = [
        lambda: LedgerEntry.objects.filter(seq=1).update(kind="x"),
        lambda: LedgerEntry.objects.filter(seq=1).delete(),
        lambda: LedgerEntry.objects.all().delete(),
        lambda: LedgerNode.objects.update(hash=b"\x00" * 32),
        lambda: LedgerNode.objects.all().delete(),
        lambda: Checkpoint.objects.update(note="forged"),
        lambda: Checkpoint.objects.all().delete(),
    ]
    for attempt in orm_attempts:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    row = LedgerEntry.objects.get(seq=1)
    row.kind = "changed"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        row.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.bulk_update([row], ["kind"])
    assert snapshot == [list(LedgerEntry.objects.values_list("seq", "canonical", "leaf_hash").order_by("seq")),
                        list(LedgerNode.objects.values_list("key", "hash").order_by("key")),
                        list(Checkpoint.objects.values_list("size", "note").order_by("size"))]


# --- four processes appending at once ---------------------------------------------------------------------------

WORKERS = 4
PER_WORKER = 2000


def _run_concurrent(env: dict[str, str], tmp: Path) -> dict[str, Any]:
    """Migrate a fresh database, start WORKERS append processes at the same instant, then dump the ledger."""
    subprocess.run([sys.executable, "-m", "zhifa.cli", "migrate", "--verbosity", "0"], env=env, cwd=PROJECT,
                   check=True, timeout=300)
    start_at = time.time() + 3.0  # every worker has imported Django and connected by then
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "zhifa.records.tests._append_worker", "append", "--worker", str(w),
             "--count", str(PER_WORKER), "--start-at", str(start_at)],
            env=env, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for w in range(WORKERS)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
        results.append(json.loads(out))
    elapsed = time.time() - start_at
    dump = tmp / "dump.json"
    subprocess.run([sys.executable, "-m", "zhifa.records.tests._append_worker", "dump", str(dump)], env=env,
                   cwd=PROJECT, check=True, timeout=300)
    return {"workers": results, "elapsed": elapsed, **json.loads(dump.read_text("utf-8"))}


def _check_concurrent(data: dict[str, Any]) -> None:
    total = WORKERS * PER_WORKER
    seen: set[int] = set()
    timeouts = sum(r["lock_timeouts"] for r in data["workers"])
    if timeouts:  # not a ledger fault, but worth seeing: a writer waited longer than busy_timeout
        warnings.warn(f"{data['vendor']}: {timeouts} append transaction(s) hit the lock timeout and were retried",
                      stacklevel=2)
    for result in data["workers"]:
        assert result["appended"] == PER_WORKER
        assert result["seqs"] == sorted(result["seqs"])  # each process sees its own appends in order
        seen.update(result["seqs"])
    assert seen == set(range(total))  # every append got its own number: no fork, no lost append
    entries = data["entries"]
    assert [seq for seq, _c, _l in entries] == list(range(total))  # gapless
    leaves = []
    done = set()
    for seq, canonical_b64, leaf_hex in entries:
        canonical = base64.b64decode(canonical_b64)
        leaf = merkle.leaf_hash(canonical)
        assert leaf.hex() == leaf_hex, seq
        content = json.loads(canonical)
        assert content["seq"] == seq
        done.add((content["payload"]["worker"], content["payload"]["i"]))
        leaves.append(leaf)
    assert done == {(w, i) for w in range(WORKERS) for i in range(PER_WORKER)}
    root = merkle.root(leaves)
    assert data["head_size"] == total and bytes.fromhex(data["head_root"]) == root
    checkpoint = signednote.parse_note(data["checkpoint"])
    assert (checkpoint.size, checkpoint.root) == (total, root)
    assert signednote.verify_signature(checkpoint, verify.parse_vkey(data["public_key"]))


def _worker_env(tmp: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"DJANGO_SETTINGS_MODULE": "zhifa.settings.test", "ZHIFA_DATA_DIR": str(tmp / "data"),
                "PYTHONPATH": str(PROJECT)})
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def test_concurrent_appends_sqlite(tmp_path) -> None:
    """4 processes × 2,000 appends on one SQLite file (WAL, IMMEDIATE transactions)."""
    data = _run_concurrent(_worker_env(tmp_path, None), tmp_path)
    assert data["vendor"] == "sqlite"
    _check_concurrent(data)


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://", "pgsql://")) else None


@pytest.mark.skipif(_postgres_url() is None, reason="DATABASE_URL does not point to PostgreSQL")
def test_concurrent_appends_postgresql(tmp_path) -> None:
    """4 processes × 2,000 appends on a fresh PostgreSQL database (row lock on the ledger head)."""
    import psycopg

    url = _postgres_url()
    assert url is not None
    parts = urlsplit(url)
    name = f"zhifa_concurrency_{uuid.uuid4().hex[:12]}"
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        data = _run_concurrent(_worker_env(tmp_path, urlunsplit((parts.scheme, parts.netloc, f"/{name}",
                                                                 parts.query, ""))), tmp_path)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert data["vendor"] == "postgresql"
    _check_concurrent(data)
