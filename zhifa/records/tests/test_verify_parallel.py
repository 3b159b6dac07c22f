"""Ledger re-verification on every core (ADR 0037, issue 11 point 5): the chunked path gives the one-process
path's root and size on a sound ledger, and answers "not sound" to a planted fault of each kind — a changed entry
(TP-1), a changed stored subtree, a changed head, a changed checkpoint, a missing entry (TP-2) — after which
`verify_ledger` falls back to the one-process report that names the fault. Forked workers are opt-in and untested
here: their test hung once under CI (ADR 0037), so `verify_ledger` uses one process by default."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from zhifa.records import merkle, verify_db
from zhifa.records.ledger import encode_frontier, ledger_append, node_key
from zhifa.records.models import Checkpoint, LedgerHead
from zhifa.records.tests._packages import dba_unguarded

pytestmark = pytest.mark.django_db



def append(n: int) -> None:
    for i in range(n):
        with transaction.atomic():
            ledger_append(kind="test.entry", stream="test", agency_id=None, actor=None, payload={"i": i})


def chunked(chunk: int, check_nodes: bool = True) -> verify_db.LedgerReport | None:
    return verify_db._verify_chunked(check_nodes=check_nodes, mapper=map, chunk=chunk)


@pytest.mark.parametrize("size", [1, 2, 7, 8, 37, 64])
def test_chunked_path_agrees_with_the_one_process_path(size: int) -> None:
    append(size)
    one = verify_db._verify_one_process(check_nodes=True)
    assert one.ok
    for chunk in (2, 4, 8, 16, 128):
        for check_nodes in (True, False):
            report = chunked(chunk, check_nodes)
            assert report is not None and report.ok, (chunk, check_nodes)
            assert (report.size, report.root) == (one.size, one.root) == (size, one.root)


def test_chunked_path_checks_the_newest_checkpoint() -> None:
    append(21)
    one = verify_db._verify_one_process(check_nodes=True)
    Checkpoint.objects.create(size=13, root=merkle.root(_leaves()[:13]), note="test")
    assert one.ok and verify_db._verify_one_process(check_nodes=True).ok and chunked(4) is not None
    with dba_unguarded("records_checkpoint"), connection.cursor() as cur:
        cur.execute("UPDATE records_checkpoint SET root = %s WHERE size = 13", [b"\x07" * 32])
    assert chunked(4) is None
    assert not verify_db.verify_ledger(workers=1).ok


def _leaves() -> list[bytes]:
    with connection.cursor() as cur:
        cur.execute("SELECT leaf_hash FROM records_ledgerentry ORDER BY seq")
        return [bytes(r[0]) for r in cur.fetchall()]


def test_tp1_a_changed_entry_is_caught_by_the_chunks_and_named_by_the_report() -> None:
    append(37)
    with dba_unguarded("records_ledgerentry"), connection.cursor() as cur:
        cur.execute("UPDATE records_ledgerentry SET canonical = %s WHERE seq = 22", [b'{"forged":true}'])
    for chunk in (2, 8, 64):
        assert chunked(chunk, check_nodes=False) is None
        assert chunked(chunk, check_nodes=True) is None
    report = verify_db.verify_ledger(workers=1)
    assert not report.ok and "entry 22: leaf hash mismatch" in report.problems[0]


@pytest.mark.parametrize("level,index", [(0, 5), (1, 17), (3, 3), (5, 0)])
def test_a_changed_stored_subtree_is_caught(level: int, index: int) -> None:
    append(64)
    with dba_unguarded("records_ledgernode"), connection.cursor() as cur:
        cur.execute("UPDATE records_ledgernode SET hash = %s WHERE key = %s", [b"\x09" * 32, node_key(level, index)])
    for chunk in (2, 8, 16, 64):
        assert chunked(chunk, check_nodes=True) is None, chunk
    assert f"node {level}/{index}" in " ".join(verify_db.verify_ledger(workers=1).problems)


def test_a_missing_or_extra_stored_subtree_is_caught() -> None:
    append(37)
    with dba_unguarded("records_ledgernode"), connection.cursor() as cur:
        cur.execute("DELETE FROM records_ledgernode WHERE key = %s", [node_key(2, 4)])
    assert chunked(8) is None and chunked(2) is None
    with dba_unguarded("records_ledgernode"), connection.cursor() as cur:
        cur.execute("INSERT INTO records_ledgernode (key, hash) VALUES (%s, %s)", [node_key(2, 4), b"\x01" * 32])
        cur.execute("INSERT INTO records_ledgernode (key, hash) VALUES (%s, %s)", [node_key(1, 40), b"\x01" * 32])
    assert chunked(8) is None and chunked(64) is None


def test_a_changed_head_is_caught() -> None:
    append(37)
    head = LedgerHead.objects.get(pk=1)
    LedgerHead.objects.filter(pk=1).update(frontier=encode_frontier([(5, b"\x03" * 32), (2, b"\x04" * 32)]))
    assert chunked(8) is None and chunked(64) is None
    assert "head root mismatch" in " ".join(verify_db.verify_ledger(workers=1).problems)
    LedgerHead.objects.filter(pk=1).update(frontier=head.frontier, size=36)
    assert chunked(8) is None


def test_tp2_a_missing_entry_is_caught() -> None:
    append(37)
    with dba_unguarded("records_ledgerentry"), connection.cursor() as cur:
        cur.execute("DELETE FROM records_ledgerentry WHERE seq = 9")
    assert chunked(8) is None and chunked(2) is None
    assert "gap at seq 9" in verify_db.verify_ledger(workers=1).problems[0]


def test_leaf_hashing_matches_merkle() -> None:
    data = [b"", b"a", "执法".encode(), memoryview(b"view")]
    assert verify_db.hash_leaves(data) == [merkle.leaf_hash(bytes(d)) for d in data]


def test_tp1_an_entry_holding_a_newline_or_merged_with_the_next_is_caught() -> None:
    """On SQLite a chunk is read as one newline-joined blob: a tampered entry with a raw newline, or two entries
    merged into one row with the second deleted (same joined bytes), must still fail."""
    append(37)
    with connection.cursor() as cur:
        cur.execute("SELECT canonical FROM records_ledgerentry WHERE seq IN (5, 6) ORDER BY seq")
        five, six = (bytes(r[0]) for r in cur.fetchall())
    with dba_unguarded("records_ledgerentry"), connection.cursor() as cur:
        cur.execute("UPDATE records_ledgerentry SET canonical = %s WHERE seq = 5", [five + b"\n"])
    assert chunked(8) is None and chunked(64) is None
    assert "entry 5: leaf hash mismatch" in verify_db.verify_ledger(workers=1).problems[0]
    with dba_unguarded("records_ledgerentry"), connection.cursor() as cur:
        cur.execute("UPDATE records_ledgerentry SET canonical = %s WHERE seq = 5", [five + b"\n" + six])
        cur.execute("DELETE FROM records_ledgerentry WHERE seq = 6")
    assert chunked(8) is None and chunked(64) is None
    assert not verify_db.verify_ledger(workers=1).ok
