"""Full re-verification of the ledger in the database: every leaf from its canonical bytes, every stored perfect
subtree, the head's root and frontier, and the newest checkpoint. Used after a restore, by `zhifa ledger verify`,
and by bench/ledger.py. Reads the tables with a plain cursor in batches (the ORM would cost more than the hashing).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db import connection

from zhifa.records import merkle
from zhifa.records.ledger import LEVEL_SHIFT, tree_head
from zhifa.records.models import Checkpoint

_BATCH = 10_000


@dataclass
class LedgerReport:
    size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _levels_up(level_hashes: list[bytes]) -> list[bytes]:
    """The perfect parents of one level (an odd last node has no perfect parent)."""
    sha256 = hashlib.sha256
    pairs = zip(*[iter(level_hashes)] * 2, strict=False)  # (0,1), (2,3), …; a lone last node is left out
    return [sha256(b"\x01" + left + right).digest() for left, right in pairs]


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


def verify_ledger(*, check_nodes: bool = True) -> LedgerReport:
    report = LedgerReport()
    sha256 = hashlib.sha256
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
            leaves.extend([sha256(b"\x00" + r[1]).digest() for r in rows])
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


def _check_nodes(levels: list[list[bytes]], report: LedgerReport) -> None:
    with connection.cursor() as cur:
        for level, current in enumerate(levels):
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
