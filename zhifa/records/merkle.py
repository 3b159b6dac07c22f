"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification. Pure Python, no Django.

leaf = SHA-256(0x00 ‖ data), node = SHA-256(0x01 ‖ left ‖ right), MTH(D[n]) splits at the largest power of two
below n. Proofs are lists of subtree hashes; `inclusion_ranges` and `consistency_ranges` name the leaf ranges those
subtrees cover, so a store that keeps perfect-subtree hashes (the ledger) can build the same proofs with
O(log n) reads (`perfect_blocks`). Verifiers return False for anything invalid or malformed; they never raise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Range = tuple[int, int]  # leaves [start, end)
Block = tuple[int, int]  # perfect subtree (level, index): leaves [index·2^level, (index+1)·2^level)


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of the leaves. Pairing level by level and promoting an odd last node equals RFC 6962's split rule."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def perfect_blocks(start: int, end: int) -> list[Block]:
    """The perfect subtrees whose hashes make up MTH(D[start:end]), left to right.

    Valid for the ranges proofs use (start aligned to the largest power of two of the split); folding the block
    hashes from the right with `node_hash` gives the range's hash.
    """
    blocks: list[Block] = []
    while end - start > 0:
        n = end - start
        if n & (n - 1) == 0:
            size = n
        else:
            size = _split(n)
        if start % size:
            raise ValueError(f"range [{start}, {end}) is not aligned")
        blocks.append((size.bit_length() - 1, start // size))
        start += size
    return blocks


def fold_blocks(hashes: Sequence[bytes]) -> bytes:
    """Combine perfect-subtree hashes (left to right) into the hash of the range they cover."""
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges of PATH(index, D[size]) (RFC 6962 §2.1.1), in proof order."""
    if not 0 <= index < size:
        raise ValueError("index must be within the tree")
    path: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index - lo < k:
            path.append((lo + k, hi))
            hi = lo + k
        else:
            path.append((lo, lo + k))
            lo = lo + k
    path.reverse()
    return path


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The ranges of PROOF(old_size, D[new_size]) (RFC 6962 §2.1.2), in proof order."""
    if not 0 <= old_size <= new_size:
        raise ValueError("old_size must not exceed new_size")
    if old_size in (0, new_size):
        return []
    proof: list[Range] = []
    m, lo, hi, complete = old_size, 0, new_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append((lo + k, hi))
            hi = lo + k
        else:
            proof.append((lo, lo + k))
            m, lo, complete = m - k, lo + k, False
    if not complete:
        proof.append((lo, hi))
    proof.reverse()
    return proof


def _range_hasher(leaf_hashes: Sequence[bytes]) -> Callable[[Range], bytes]:
    return lambda r: root(leaf_hashes[r[0] : r[1]])


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, tree_size: int) -> list[bytes]:
    if tree_size > len(leaf_hashes):
        raise ValueError("tree_size exceeds the number of leaves")
    return [_range_hasher(leaf_hashes)(r) for r in inclusion_ranges(index, tree_size)]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    if new_size > len(leaf_hashes):
        raise ValueError("new_size exceeds the number of leaves")
    return [_range_hasher(leaf_hashes)(r) for r in consistency_ranges(old_size, new_size)]


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def verify_inclusion(leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root_hash: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    try:
        if not (_is_hash(leaf) and _is_hash(root_hash) and _is_size(index) and _is_size(tree_size)):
            return False
        if index >= tree_size or not all(_is_hash(p) for p in proof):
            return False
        fn, sn, r = index, tree_size - 1, leaf
        for p in proof:
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                r = node_hash(p, r)
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
            else:
                r = node_hash(r, p)
            fn >>= 1
            sn >>= 1
        return sn == 0 and r == root_hash
    except (TypeError, ValueError):
        return False


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2, plus the trivial cases: equal sizes need an empty proof and equal roots; a tree is
    consistent with the empty tree (whose root is SHA-256 of nothing) through an empty proof."""
    try:
        if not (_is_size(old_size) and _is_size(new_size) and _is_hash(old_root) and _is_hash(new_root)):
            return False
        if old_size > new_size or not all(_is_hash(p) for p in proof):
            return False
        if old_size == new_size:
            return len(proof) == 0 and old_root == new_root
        if old_size == 0:
            return len(proof) == 0 and old_root == EMPTY_ROOT
        path = list(proof)
        if not path:
            return False
        if old_size & (old_size - 1) == 0:
            path.insert(0, old_root)
        fn, sn = old_size - 1, new_size - 1
        while fn & 1:
            fn >>= 1
            sn >>= 1
        fr = sr = path[0]
        for c in path[1:]:
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                fr = node_hash(c, fr)
                sr = node_hash(c, sr)
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
            else:
                sr = node_hash(sr, c)
            fn >>= 1
            sn >>= 1
        return fr == old_root and sr == new_root and sn == 0
    except (TypeError, ValueError):
        return False
