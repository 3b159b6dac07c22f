"""The 调阅 group commit (ADR 0035; REC-12, reliability.md AC-6, FC-5): concurrent reads share one transaction, each
waits for the commit of its own batch, and a failed batch refuses every read in it.

The kill -9 test with a real server is test_access_crash.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import DatabaseError, connection

from zhifa.records import access, group_commit, ledger
from zhifa.records.access import ACCESS_KIND, AccessLogUnavailable, record_access
from zhifa.records.group_commit import BatchFailed, GroupCommit
from zhifa.records.ledger import NewEntry
from zhifa.records.models import LedgerEntry, LedgerNode
from zhifa.records.verify_db import verify_ledger
from zhifa.registry.testing import make_agency, make_user

N = 8


def entry(i: int) -> NewEntry:
    return NewEntry(kind="test.event", stream="test:group", agency_id=None, actor=None, payload={"i": i})


def run_threads(count: int, target: Any) -> list[Any]:
    """Run target(i) in `count` threads; return what each returned or raised."""
    out: list[Any] = [None] * count

    def run(i: int) -> None:
        try:
            out[i] = target(i)
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads), "a request never returned"
    return out


class HeldWriter:
    """A writer whose first batch waits until `release` is set, so the other requests queue meanwhile."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.batches: list[list[int]] = []
        self.writing = threading.Event()
        self.release = threading.Event()

    def __call__(self, entries: Sequence[NewEntry]) -> list[Any]:
        self.batches.append([e.payload.get("i", -1) for e in entries])
        if len(self.batches) == 1:
            self.writing.set()
            self.release.wait(10)
        if self.fail:
            raise DatabaseError("disk I/O error")
        return [SimpleNamespace(seq=100 + e.payload.get("i", 0)) for e in entries]


def queued(group: GroupCommit) -> int:
    with group._lock:
        return len(group._queue)


def fire(group: GroupCommit, writer: HeldWriter, call: Any) -> list[Any]:
    """Request 0 leads and is held in its write; requests 1..N-1 arrive meanwhile; then the write goes on."""
    results: list[Any] = [None] * N
    first = threading.Thread(target=lambda: results.__setitem__(0, _catch(call, 0)))
    first.start()
    assert writer.writing.wait(5)
    rest = threading.Thread(target=lambda: results.__setitem__(slice(1, N), run_threads(N - 1, lambda i: call(i + 1))))
    rest.start()
    deadline = time.monotonic() + 5
    while queued(group) < N - 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert queued(group) == N - 1  # all waiting for the batch in flight
    writer.release.set()
    first.join(10)
    rest.join(10)
    return results


def _catch(call: Any, i: int) -> Any:
    try:
        return call(i)
    except Exception as exc:  # noqa: BLE001
        return exc


def test_requests_arriving_during_a_commit_join_the_next_batch_and_get_their_own_rows() -> None:
    writer = HeldWriter()
    group = GroupCommit(write=writer)
    results = fire(group, writer, lambda i: group.append([entry(i)]))
    assert writer.batches[0] == [0]
    assert sorted(writer.batches[1]) == list(range(1, N))  # one transaction, one commit for the seven others
    assert len(writer.batches) == 2 and group.batches == 2 and group.largest == N - 1
    for i, rows in enumerate(results):
        assert [r.seq for r in rows] == [100 + i]  # each request returns after its own entry's commit
    assert group.append([entry(99)])[0].seq == 199  # and the group goes on


def test_a_failed_batch_commit_refuses_every_waiting_read(monkeypatch) -> None:
    """FC-5: if the batch cannot be committed, every request in it gets AccessLogUnavailable (a 503), none data."""
    writer = HeldWriter(fail=True)
    group = GroupCommit(write=writer)
    monkeypatch.setattr(group_commit, "group", group)
    officer = SimpleNamespace(public_id="u", username="officer", full_name="", agency_id=1, role_codes=["officer"])

    def read(i: int) -> None:
        record_access(user=officer, agency_id=1, object_kind="case", object_id=f"case-{i}", action="view")

    results = fire(group, writer, read)
    assert len(writer.batches) == 2
    assert all(isinstance(r, AccessLogUnavailable) for r in results), results
    assert all(isinstance(r.__cause__, BatchFailed) and isinstance(r.__cause__.__cause__, DatabaseError)
               for r in results)
    writer.fail = False  # the next read after the database is back is served
    read(0)


def test_any_error_of_the_leader_fails_the_batch_and_frees_the_group() -> None:
    def broken(entries: Sequence[NewEntry]) -> list[Any]:
        raise RuntimeError("bug")

    group = GroupCommit(write=broken)
    with pytest.raises(BatchFailed):
        group.append([entry(1)])
    assert not group._busy and not group._queue


def test_batch_appends_write_the_same_chain_as_single_appends(db, settings, tmp_path) -> None:
    """ledger_append_many: consecutive seqs, every leaf and stored subtree as one append at a time writes them."""
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "ledger.pem"
    first = ledger.ledger_append(kind="test.event", stream="test:group", agency_id=None, actor=None, payload={"i": 0})
    rows = ledger.ledger_append_many([entry(i) for i in range(1, 12)])
    last = ledger.ledger_append(kind="test.event", stream="test:group", agency_id=None, actor=None, payload={"i": 12})
    assert [first.seq, *[r.seq for r in rows], last.seq] == list(range(first.seq, first.seq + 13))
    report = verify_ledger()
    assert report.problems == [] and report.size == last.seq + 1
    assert LedgerNode.objects.count() == 2 * report.size - bin(report.size).count("1")  # every perfect subtree


@pytest.mark.usefixtures("ledger_db")
def test_concurrent_reads_outside_a_transaction_become_n_entries_with_a_correct_chain(settings, tmp_path) -> None:
    """REC-12: N concurrent 调阅 through the real group commit: N access entries, gapless, the ledger verifies."""
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "ledger.pem"
    agency = make_agency("并发调阅测试局")
    officer = make_user(agency, "officer", username="group.officer")
    group = GroupCommit()
    start = threading.Barrier(N)
    before = LedgerEntry.objects.filter(kind=ACCESS_KIND).count()

    def read(i: int) -> None:
        try:
            start.wait(5)
            assert not connection.in_atomic_block
            access.record_access(user=officer, agency_id=agency.pk, object_kind="case", object_id=f"c{i}",
                                 action="view")
        finally:
            connection.close()

    original = group_commit.group
    group_commit.group = group
    try:
        results = run_threads(N, read)
    finally:
        group_commit.group = original
    assert results == [None] * N
    payloads = [e.canonical for e in LedgerEntry.objects.filter(kind=ACCESS_KIND).order_by("seq")][before:]
    assert sorted(bytes(p).decode().split('"object_id":"')[1].split('"')[0] for p in payloads) == sorted(
        f"c{i}" for i in range(N))
    assert group.batches <= N
    report = verify_ledger()
    assert report.problems == []
