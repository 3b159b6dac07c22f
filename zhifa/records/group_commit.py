"""Group commit of ledger entries written outside any transaction of the caller: the 调阅 log's path (ADR 0035).

Every staff read appends one access entry and may send nothing until that entry is durable (REC-12, reliability.md
AC-6, FC-5). Committed one by one, concurrent reads queue on the database's one writer lock, each paying its own
`BEGIN IMMEDIATE` and its own durable commit (a WAL fsync with synchronous=FULL). Here concurrent requests of one
process share one transaction instead, leader/follower style, with no thread of its own:

* A request queues its entries. If no commit is in flight it becomes the leader: it takes everything queued (its
  own entries and those of requests that arrived meanwhile), appends them in one transaction on its own database
  connection (`ledger_append_many`: consecutive sequence numbers, the hash chain and subtrees exactly as one append
  at a time would write them), commits, and wakes every request of the batch.
* A request that arrives while a commit is in flight waits. When the leader is done it hands the lead to the first
  request still queued, which commits the next batch; so nobody waits longer than the batch in flight plus its own.
* Each request returns only once the commit of its own batch has returned: never weaker than its own transaction.
  If the batch fails (the database refuses, the disk is full, the ledger refuses to write), every request of the
  batch gets the error and must refuse its read (fail-closed), and nothing of the batch is in the ledger.

Several processes (two waitress servers, the worker) each batch their own requests; between them the database's
lock (SQLite) or the head row's lock (PostgreSQL) serialises the batches as it serialised single appends.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence

from django.db import transaction

from zhifa.records.ledger import NewEntry, ledger_append_many
from zhifa.records.models import LedgerEntry

log = logging.getLogger(__name__)

Writer = Callable[[Sequence[NewEntry]], list[LedgerEntry]]


class BatchFailed(Exception):
    """The batch holding this request's entries was not committed; `__cause__` is what went wrong."""


def write_batch(entries: Sequence[NewEntry]) -> list[LedgerEntry]:
    """The leader's write: one transaction, committed (durably) before it returns."""
    with transaction.atomic():
        return ledger_append_many(entries)


class _Request:
    __slots__ = ("entries", "done", "lead", "rows", "error")

    def __init__(self, entries: Sequence[NewEntry]) -> None:
        self.entries = list(entries)
        self.done = threading.Event()  # set when the batch is over, or when this request is handed the lead
        self.lead = False
        self.rows: list[LedgerEntry] = []
        self.error: BaseException | None = None


class GroupCommit:
    """One per process (`group`); `write` is replaceable for tests."""

    def __init__(self, write: Writer = write_batch) -> None:
        self._write = write
        self._lock = threading.Lock()
        self._queue: list[_Request] = []
        self._busy = False  # a leader is writing (or has been handed the lead and is about to)
        self.batches = 0  # statistics, for tests and benchmarks
        self.largest = 0

    def append(self, entries: Sequence[NewEntry]) -> list[LedgerEntry]:
        """Make `entries` durable together with those of concurrent callers; return their rows (in order) or
        raise BatchFailed. The caller must not be inside a transaction (its leader writes on the caller's
        connection, in a transaction of its own)."""
        me = _Request(entries)
        with self._lock:
            self._queue.append(me)
            if not self._busy:
                self._busy = me.lead = True
        if not me.lead:
            me.done.wait()  # bounded by the batch in flight: its statements end by busy_timeout at the latest
        if me.lead:  # set before the wait ended if this request was handed the lead
            self._commit_queued()
        if me.error is not None:
            raise BatchFailed(str(me.error)) from me.error
        return me.rows

    def _commit_queued(self) -> None:
        with self._lock:
            batch, self._queue = self._queue, []
        try:
            rows = self._write([e for request in batch for e in request.entries])
        except BaseException as exc:  # noqa: BLE001 - every request of the batch must hear of it, whatever it is
            if not isinstance(exc, Exception):
                log.error("group commit interrupted: %r", exc)
            for request in batch:
                request.error = exc
        else:
            at = 0
            for request in batch:
                request.rows = rows[at:at + len(request.entries)]
                at += len(request.entries)
            self.batches += 1
            self.largest = max(self.largest, len(batch))
        finally:
            with self._lock:
                successor = self._queue[0] if self._queue else None
                if successor is None:
                    self._busy = False
                else:
                    successor.lead = True
            for request in batch:
                request.done.set()
            if successor is not None:
                successor.done.set()

    def _forget(self) -> None:
        """In a forked child: no leader of the parent exists here."""
        self._lock = threading.Lock()
        self._queue = []
        self._busy = False


group = GroupCommit()
os.register_at_fork(after_in_child=group._forget)
