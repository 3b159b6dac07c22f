"""Full re-verification of the ledger in the database: every leaf from its canonical bytes, every stored perfect
subtree, the head's root and frontier, and the newest checkpoint. Used after a restore, by `zhifa ledger verify`,
and by bench/ledger.py. Reads the tables with a plain cursor in batches (the ORM would cost more than the hashing).

The leaves are read and hashed in chunks of `CHUNK` entries, each chunk a perfect subtree whose stored nodes it
checks; the chunks' top hashes combine into the root like leaves (ADR 0037). A large ledger's chunks go to forked
worker processes, one per core. That path only answers "all is well": at the first disagreement of any kind the
one-entry-at-a-time verification (`_verify_one_process`) runs and writes the report, so its messages (which
entry, which node) are the same whichever path found the fault.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, connections

from zhifa.records import merkle
from zhifa.records.ledger import LEVEL_SHIFT, node_key, tree_head
from zhifa.records.models import Checkpoint

logger = logging.getLogger(__name__)

_BATCH = 10_000
CHUNK = 1 << 16  # leaves per worker task: a perfect subtree, so chunk tops combine like leaves


@dataclass
class LedgerReport:
    size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def hash_leaves(entries: Iterable[Any]) -> list[bytes]:
    """SHA-256(0x00 ‖ entry) of each canonical entry (bytes or a buffer). Python's per-hash overhead, not SHA-256,
    is what a million small hashes cost, so the loops below are the forms that measured fastest (ADR 0037): a
    comprehension calling `.digest()` directly (not `map` with `methodcaller`), OpenSSL's SHA-256 (not the
    built-in `_sha256`)."""
    sha256 = hashlib.sha256
    return [sha256(b"\x00" + entry).digest() for entry in entries]


def _levels_up(level_hashes: list[bytes]) -> list[bytes]:
    """The perfect parents of one level (an odd last node has no perfect parent: `zip` stops at the shorter).
    Copying a hash object that has taken the 0x01 prefix is cheaper than building each 65-byte input."""
    prefixed = hashlib.sha256(b"\x01")
    copy = prefixed.copy
    parents: list[bytes] = []
    append = parents.append
    for left, right in zip(level_hashes[0::2], level_hashes[1::2], strict=False):  # (0,1), (2,3), …
        h = copy()
        h.update(left)
        h.update(right)
        append(h.digest())
    return parents


def perfect_levels(leaves: list[bytes]) -> list[list[bytes]]:
    """All levels of perfect subtrees above the leaves (level 0 = the leaves)."""
    levels = [leaves]
    while len(levels[-1]) > 1:
        levels.append(_levels_up(levels[-1]))
    return levels


def root_from_levels(levels: list[list[bytes]]) -> bytes:
    """RFC 6962 root: fold the right-edge perfect subtrees (the odd last node of each level), highest first."""
    if not levels[0]:
        return merkle.EMPTY_ROOT
    edge = [level[-1] for level in levels if len(level) % 2 == 1]
    return merkle.fold_blocks(list(reversed(edge)))


def _prefix_root(levels: list[list[bytes]], size: int) -> bytes:
    if size == 0:
        return merkle.EMPTY_ROOT
    return merkle.fold_blocks([levels[level][index] for level, index in merkle.perfect_blocks(0, size)])


def verify_ledger(*, check_nodes: bool = True, workers: int | None = None) -> LedgerReport:
    """Recompute every leaf, the root (and with `check_nodes` every stored subtree) and compare them with the
    head and the newest checkpoint. `workers`: processes to use, one by default. Forked workers are opt-in
    (bench/ledger.py --workers): their test hung once under CI (a forked child waiting forever), so no caller uses
    them until that is understood; the one-process chunked path meets the issue's target alone (ADR 0037)."""
    if workers is None:
        workers = 1
    fast: LedgerReport | None = None
    if workers > 1 and _can_fork():
        try:
            with _pool(workers) as mapper:
                fast = _verify_chunked(check_nodes=check_nodes, mapper=mapper)
        except Exception:  # the one-process verification below is the authority; it raises what is really wrong
            logger.exception("ledger verification on %d processes failed; verifying in one process", workers)
    else:
        fast = _verify_chunked(check_nodes=check_nodes, mapper=map)
    if fast is not None:
        return fast
    return _verify_one_process(check_nodes=check_nodes)  # something disagrees: find it and name it


def _verify_one_process(*, check_nodes: bool) -> LedgerReport:
    report = LedgerReport()
    leaves: list[bytes] = []
    # Whole batches at C speed. The stored leaf hashes are only read when something is wrong, to name the entry.
    with connection.cursor() as cur:
        cur.execute("SELECT seq, canonical FROM records_ledgerentry ORDER BY seq")
        while rows := cur.fetchmany(_BATCH):
            first = len(leaves)
            if rows[0][0] != first or rows[-1][0] != first + len(rows) - 1:
                seqs = [r[0] for r in rows]
                missing = next((first + i for i, seq in enumerate(seqs) if seq != first + i), first + len(rows))
                report.problems.append(f"序号不连续：缺少第 {missing} 条（gap at seq {missing}）")
                return report
            leaves.extend(hash_leaves(r[1] for r in rows))
    levels = perfect_levels(leaves)
    report.size = len(leaves)
    report.root = root_from_levels(levels)
    head_size, head_root = tree_head()
    if head_size != report.size:
        report.problems.append(f"账本头记录的长度 {head_size} 与实际条数 {report.size} 不符（head size mismatch）")
    if head_root != report.root:
        report.problems.append("账本头的根哈希与重新计算的结果不符（head root mismatch）")
    if check_nodes:
        _check_nodes(levels, report)
    if report.problems:
        _name_changed_entries(leaves, report)
    checkpoint = Checkpoint.objects.filter(size__lte=report.size).order_by("-size").first()
    if checkpoint is not None and bytes(checkpoint.root) != _prefix_root(levels, checkpoint.size):
        report.problems.append(
            f"大小为 {checkpoint.size} 的签名检查点与账本内容不符（checkpoint {checkpoint.size} root mismatch）"
        )
    return report


def _name_changed_entries(leaves: list[bytes], report: LedgerReport) -> None:
    """Name every entry whose content no longer matches the leaf hash stored when it was appended."""
    with connection.cursor() as cur:
        cur.execute("SELECT seq, leaf_hash FROM records_ledgerentry ORDER BY seq")
        while rows := cur.fetchmany(_BATCH):
            for seq, stored in rows:
                if seq < len(leaves) and bytes(stored) != leaves[seq]:
                    report.problems.insert(0, f"第 {seq} 条记录的内容与叶哈希不符（entry {seq}: leaf hash mismatch）")


def _check_nodes(levels: list[list[bytes]], report: LedgerReport, *, first_level: int = 0) -> None:
    with connection.cursor() as cur:
        for level, current in enumerate(levels, start=first_level):
            low, high = level << LEVEL_SHIFT, (level + 1) << LEVEL_SHIFT
            cur.execute(
                "SELECT key, hash FROM records_ledgernode WHERE key >= %s AND key < %s ORDER BY key", [low, high]
            )
            rows = cur.fetchall()
            keys = [r[0] for r in rows]
            stored = [bytes(r[1]) for r in rows]
            if keys == list(range(low, low + len(current))) and stored == current:
                continue
            for position, (key, value) in enumerate(zip(keys, stored, strict=False)):
                if key != low + position or position >= len(current) or value != current[position]:
                    report.problems.append(f"第 {level} 层第 {position} 个子树哈希有误（node {level}/{position}）")
                    return
            report.problems.append(f"第 {level} 层缺少子树哈希（level {level}: {len(keys)} of {len(current)} stored）")
            return


# -------------------------------------------------------------------------------------------------------------------
# Every core: chunks of CHUNK leaves in forked worker processes
# -------------------------------------------------------------------------------------------------------------------

Block = tuple[int, int]
Mapper = Callable[[Callable[["_Chunk"], "_ChunkResult"], list["_Chunk"]], Iterable["_ChunkResult"]]


@dataclass(frozen=True)
class _Chunk:
    start: int
    end: int
    levels: int  # the chunk's height: log2 of the chunk size; its stored nodes below this level are its own
    last: bool
    check_nodes: bool
    wanted: tuple[Block, ...]  # blocks below the chunk's height inside it whose hashes the parent needs


@dataclass
class _ChunkResult:
    start: int
    ok: bool
    top: bytes | None = None  # the chunk's perfect subtree hash (a full chunk)
    blocks: dict[Block, bytes] = field(default_factory=dict)


def _can_fork() -> bool:
    """Forking copies only the calling thread, so only a single-threaded process forks (a server with threads
    verifies in one process). Worker processes need the data committed and on disk: not inside a transaction, not
    an in-memory SQLite database (tests)."""
    if threading.active_count() != 1 or "fork" not in multiprocessing.get_all_start_methods():
        return False
    if connection.in_atomic_block:
        return False
    return not (connection.vendor == "sqlite" and getattr(connection, "is_in_memory_db", lambda: True)())


def _idle_cores() -> int:
    """Every core when the machine has one to spare besides ours (1-minute load average at most cores - 1, as
    `make -l` decides); else one process: on a saturated machine worker processes only add their start-up."""
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        return 1
    return cores if load <= cores - 1 else 1


_INHERITED: list[Any] = []  # the parent's database connections, as a forked child sees them: never used, never closed


def _child_init() -> None:
    """In a forked worker: forget the parent's connections without closing them (closing would end the parent's
    PostgreSQL session, whose socket the child shares) so that Django opens the worker's own."""
    for conn in connections.all(initialized_only=True):
        _INHERITED.append(conn.connection)
        conn.connection = None


def _in_child(task: _Chunk) -> _ChunkResult:
    try:
        return verify_chunk(task)
    finally:
        connection.close()


@contextlib.contextmanager
def _pool(workers: int) -> Iterator[Mapper]:
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_child_init)
    try:
        yield lambda _fn, tasks: pool.imap_unordered(_in_child, tasks)
    finally:
        pool.terminate()  # also when a chunk disagreed and the rest are not wanted any more
        pool.join()


def verify_chunk(task: _Chunk) -> _ChunkResult:
    """Read and hash leaves [start, end) and compare the stored subtrees below the chunk's height inside them.
    `ok` False means something disagrees (the one-process verification will say what)."""
    failed = _ChunkResult(task.start, ok=False)
    with connection.cursor() as cur:
        entries = _read_entries(cur, task.start, task.end)
        if entries is None:
            return failed
        levels = perfect_levels(hash_leaves(entries))
        if task.check_nodes and not _chunk_nodes_match(cur, levels, task):
            return failed
    blocks = {(level, index): levels[level][index - (task.start >> level)] for level, index in task.wanted}
    top = levels[task.levels][0] if len(levels) > task.levels else None
    return _ChunkResult(task.start, ok=True, top=top, blocks=blocks)


def _read_entries(cur: Any, start: int, end: int) -> list[Any] | None:
    """The canonical bytes of entries [start, end) in seq order, or None when any is missing (seq is unique: as
    many rows as the range is wide means every seq is there).

    On SQLite the chunk comes as one blob joined by newlines and is split in C, half the cost of a row object per
    entry. Canonical JSON never holds a raw newline; a row that does (a tampered one) yields more pieces than rows
    and fails the count, and if the join came out of order the root would not match: either way the one-process
    verification then runs and names what is wrong."""
    width = end - start
    if connection.vendor == "sqlite":
        cur.execute(
            "SELECT COUNT(*), CAST(group_concat(canonical, char(10)) AS BLOB) FROM (SELECT canonical FROM "
            "records_ledgerentry WHERE seq >= %s AND seq < %s ORDER BY seq)", [start, end])
        count, joined = cur.fetchone()
        if count != width or joined is None:
            return None
        entries: list[Any] = bytes(joined).split(b"\n")
        return entries if len(entries) == width else None
    cur.execute("SELECT canonical FROM records_ledgerentry WHERE seq >= %s AND seq < %s ORDER BY seq", [start, end])
    entries = [entry for (entry,) in cur.fetchall()]
    return entries if len(entries) == width else None


def _chunk_nodes_match(cur: Any, levels: list[list[bytes]], task: _Chunk) -> bool:
    for level in range(task.levels):
        computed = levels[level] if level < len(levels) else []
        first = node_key(level, task.start >> level)
        cur.execute("SELECT hash FROM records_ledgernode WHERE key >= %s AND key < %s ORDER BY key",
                    [first, first + len(computed)])
        stored = cur.fetchall()  # keys are unique: as many rows as the range is wide means every key is there
        if [bytes(h) for (h,) in stored] != computed:
            return False
        if task.last:  # nothing stored beyond the tree's end
            cur.execute("SELECT 1 FROM records_ledgernode WHERE key >= %s AND key < %s LIMIT 1",
                        [first + len(computed), (level + 1) << LEVEL_SHIFT])
            if cur.fetchone() is not None:
                return False
    return True


def _verify_chunked(*, check_nodes: bool, mapper: Mapper, chunk: int = CHUNK) -> LedgerReport | None:
    """The report of a ledger that verifies, or None when anything disagrees (or changed meanwhile)."""
    if chunk & (chunk - 1) or chunk < 2:
        raise ValueError("chunk must be a power of two")
    height = chunk.bit_length() - 1
    with connection.cursor() as cur:
        cur.execute("SELECT MAX(seq) FROM records_ledgerentry")
        (last_seq,) = cur.fetchone()
    size = 0 if last_seq is None else last_seq + 1
    if size == 0:
        return None
    checkpoint = Checkpoint.objects.filter(size__lte=size).order_by("-size").first()
    needed = merkle.perfect_blocks(0, size)
    checkpoint_blocks = merkle.perfect_blocks(0, checkpoint.size) if checkpoint is not None and checkpoint.size else []
    low_blocks: dict[int, list[Block]] = {}
    for level, index in {*needed, *checkpoint_blocks}:
        if level < height:
            low_blocks.setdefault(((index << level) >> height) << height, []).append((level, index))
    tasks = [
        _Chunk(start, min(start + chunk, size), height, start + chunk >= size, check_nodes,
               tuple(low_blocks.get(start, ())))
        for start in range(0, size, chunk)
    ]
    tops: dict[int, bytes] = {}
    found: dict[Block, bytes] = {}
    for result in mapper(verify_chunk, tasks):
        if not result.ok:
            return None
        if result.top is not None:
            tops[result.start] = result.top
        found.update(result.blocks)
    upper = perfect_levels([tops[start] for start in sorted(tops)])  # level 0 here is the chunk height
    for level, index in {*needed, *checkpoint_blocks}:
        if level >= height:
            found[(level, index)] = upper[level - height][index]
    if check_nodes and tops:
        upper_report = LedgerReport()
        _check_nodes(upper, upper_report, first_level=height)
        if upper_report.problems:
            return None
    root = merkle.fold_blocks([found[b] for b in needed])
    if tree_head() != (size, root):
        return None
    if checkpoint is not None:
        expected = merkle.fold_blocks([found[b] for b in checkpoint_blocks]) if checkpoint.size else merkle.EMPTY_ROOT
        if bytes(checkpoint.root) != expected:
            return None
    return LedgerReport(size=size, root=root)
