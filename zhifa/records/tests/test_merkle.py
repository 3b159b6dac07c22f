"""RFC 6962 Merkle module against the shared test vectors, every mutation of a valid proof, random trees
(hypothesis) and a naive recursive MTH written here (architecture rule 5, reliability.md TP-4).

The vectors are public data from C2SP (BSD-2-Clause), copied into tests/data/rfc6962/ with their LICENSE and README
so that the suite runs on a clone with nothing beside it (issue 9).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhifa.records import merkle

VECTORS = Path(__file__).resolve().parent / "data" / "rfc6962"
RANDOM_HASH = hashlib.sha256(b"some other hash").digest()


def b64(text: str) -> bytes:
    return base64.b64decode(text)


@cache
def load(name: str) -> list[dict[str, Any]]:
    return json.loads((VECTORS / name).read_text())


def vector_leaves() -> list[bytes]:
    return [merkle.leaf_hash(v["leaf_data"].encode()) for v in load("merkle_tree.json")]


# --- a naive, independent RFC 6962 §2.1 MTH -------------------------------------------------------------------


def naive_mth(data: Sequence[bytes]) -> bytes:
    n = len(data)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(data[:k]) + naive_mth(data[k:])).digest()


def naive_path(m: int, data: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) straight from RFC 6962 §2.1.1."""
    n = len(data)
    if n <= 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return naive_path(m, data[:k]) + [naive_mth(data[k:])]
    return naive_path(m - k, data[k:]) + [naive_mth(data[:k])]


def naive_consistency(m: int, data: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) straight from RFC 6962 §2.1.2."""

    def subproof(m: int, d: Sequence[bytes], complete: bool) -> list[bytes]:
        n = len(d)
        if m == n:
            return [] if complete else [naive_mth(d)]
        k = 1
        while k * 2 < n:
            k *= 2
        if m <= k:
            return subproof(m, d[:k], complete) + [naive_mth(d[k:])]
        return subproof(m - k, d[k:], False) + [naive_mth(d[:k])]

    if m == 0 or m == len(data):
        return []
    return subproof(m, data, True)


# --- the shared vectors ---------------------------------------------------------------------------------------


def test_vectors_are_present() -> None:
    assert len(load("merkle_tree.json")) >= 16
    assert load("inclusion-valid.json") and load("consistency-valid.json")


def test_tree_root_after_each_append() -> None:
    leaves: list[bytes] = []
    for v in load("merkle_tree.json"):
        leaf = merkle.leaf_hash(v["leaf_data"].encode())
        assert leaf == b64(v["leaf_hash"])
        leaves.append(leaf)
        assert merkle.root(leaves) == b64(v["root_hash"])
        assert naive_mth([x["leaf_data"].encode() for x in load("merkle_tree.json")[: len(leaves)]]) == b64(
            v["root_hash"]
        )


def test_empty_tree_root() -> None:
    assert merkle.root([]) == merkle.EMPTY_ROOT == naive_mth([])
    assert merkle.EMPTY_ROOT == b64("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")


@pytest.mark.parametrize("case", load("inclusion-valid.json"), ids=lambda c: f"{c['leaf_index']}-of-{c['tree_size']}")
def test_inclusion_vector(case: dict[str, Any]) -> None:
    leaves = vector_leaves()
    index, size = case["leaf_index"], case["tree_size"]
    path = [b64(h) for h in case["inclusion_path"]]
    assert leaves[index] == b64(case["leaf_hash"])
    assert merkle.root(leaves[:size]) == b64(case["root_hash"])
    assert merkle.inclusion_proof(leaves, index, size) == path
    assert merkle.verify_inclusion(b64(case["leaf_hash"]), index, size, path, b64(case["root_hash"])) is True


@pytest.mark.parametrize("case", load("consistency-valid.json"), ids=lambda c: f"{c['old_size']}-to-{c['new_size']}")
def test_consistency_vector(case: dict[str, Any]) -> None:
    leaves = vector_leaves()
    old, new = case["old_size"], case["new_size"]
    path = [b64(h) for h in case["consistency_path"]]
    assert merkle.root(leaves[:old]) == b64(case["old_root"])
    assert merkle.root(leaves[:new]) == b64(case["new_root"])
    assert merkle.consistency_proof(leaves, old, new) == path
    assert merkle.verify_consistency(old, new, b64(case["old_root"]), b64(case["new_root"]), path) is True


# --- mutations (transparency-dev/merkle style) ----------------------------------------------------------------


def flip(h: bytes, byte: int = 0, bit: int = 3) -> bytes:
    b = bytearray(h)
    b[byte] ^= 1 << bit
    return bytes(b)


def inclusion_shape(index: int, size: int) -> tuple[bool, ...] | None:
    """Left/right position of each proof element (True: sibling on the left). Two claims with the same shape make
    the verifier compute the same function of (leaf, proof); a different shape must be rejected."""
    if not 0 <= index < size:
        return None
    return tuple(end <= index for _start, end in merkle.inclusion_ranges(index, size))


def consistency_shape(old: int, new: int) -> tuple[object, ...] | None:
    """What the consistency verifier computes: the seed (old root or first proof element) and whether each further
    element goes left (it is part of the old tree too) or right."""
    if not 0 < old < new:
        return None
    ranges = merkle.consistency_ranges(old, new)
    seeded_by_old_root = old & (old - 1) == 0
    rest = ranges if seeded_by_old_root else ranges[1:]
    return (seeded_by_old_root, len(ranges), tuple(end <= old for _start, end in rest))


def inclusion_mutations(
    leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes, preceding_root: bytes
) -> Iterator[tuple[str, tuple[Any, ...], bool]]:
    """(description, arguments for verify_inclusion, expected result)."""

    def claim(i: int, n: int) -> bool:
        return inclusion_shape(i, n) is not None and inclusion_shape(i, n) == inclusion_shape(index, size)

    for name, i in (("index-1", index - 1), ("index+1", index + 1), ("index^2", index ^ 2)):
        yield name, (leaf, i, size, proof, root), claim(i, size)
    for name, n in (("size*2", size * 2), ("size/2", size // 2), ("size+1", size + 1), ("size-1", size - 1)):
        yield name, (leaf, index, n, proof, root), claim(index, n)
    yield "wrong leaf", (merkle.leaf_hash(b"WrongLeaf"), index, size, proof, root), False
    yield "leaf bit flipped", (flip(leaf), index, size, proof, root), False
    yield "empty root", (leaf, index, size, proof, merkle.EMPTY_ROOT), root == merkle.EMPTY_ROOT
    yield "random root", (leaf, index, size, proof, RANDOM_HASH), False
    yield "root bit flipped", (leaf, index, size, proof, flip(root, 31, 0)), False
    if preceding_root != root:
        yield "preceding root", (leaf, index, size, proof, preceding_root), False
    yield "trailing garbage", (leaf, index, size, [*proof, b""], root), False
    yield "trailing random hash", (leaf, index, size, [*proof, RANDOM_HASH], root), False
    yield "trailing root", (leaf, index, size, [*proof, root], root), False
    yield "preceding garbage", (leaf, index, size, [b"", *proof], root), False
    yield "preceding random hash", (leaf, index, size, [RANDOM_HASH, *proof], root), False
    yield "preceding root element", (leaf, index, size, [root, *proof], root), False
    for k in range(len(proof)):
        for byte, bit in ((0, 3), (31, 7), (16, 0)):
            wrong = list(proof)
            wrong[k] = flip(proof[k], byte, bit)
            yield f"proof[{k}] byte {byte} bit {bit}", (leaf, index, size, wrong, root), False
        yield f"proof[{k}] removed", (leaf, index, size, proof[:k] + proof[k + 1 :], root), False
        yield f"proof[{k}] duplicated", (leaf, index, size, proof[: k + 1] + proof[k:], root), False
        yield f"proof[{k}] truncated to 31 bytes", (leaf, index, size, [*proof[:k], proof[k][:31], *proof[k + 1 :]],
                                                   root), False
    if len(proof) > 1:
        yield "inserted component", (leaf, index, size, [proof[0], RANDOM_HASH, *proof[1:]], root), False
        yield "swapped components", (leaf, index, size, [proof[1], proof[0], *proof[2:]], root), False
    if proof:
        yield "empty proof", (leaf, index, size, [], root), False
    # Not hashes, not integers: False, never an exception.
    garbage: Any
    for garbage in (None, "a string", 42, b"short", b"", bytearray(leaf), leaf.hex()):
        yield f"leaf={garbage!r:.20}", (garbage, index, size, proof, root), False
        yield f"root={garbage!r:.20}", (leaf, index, size, proof, garbage), False
        yield f"proof element={garbage!r:.20}", (leaf, index, size, [*proof, garbage], root), False
    for garbage in (None, "0", 1.0, -1, True, [index], 2**64 + index):
        yield f"index={garbage!r:.20}", (leaf, garbage, size, proof, root), False
    for garbage in (None, "1", float(size), -size, [size], 2**64):
        yield f"size={garbage!r:.20}", (leaf, index, garbage, proof, root), False
    for garbage in (None, 5, "proof", {"a": 1}):
        yield f"proof={garbage!r:.20}", (leaf, index, size, garbage, root), False
    if proof:  # the proof's bytes run together: iterating yields ints, not hashes
        yield "proof as one bytes value", (leaf, index, size, b"".join(proof), root), False


def consistency_mutations(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes], preceding_root: bytes
) -> Iterator[tuple[str, tuple[Any, ...], bool]]:
    def claim(m: int, n: int) -> bool:
        return consistency_shape(m, n) is not None and consistency_shape(m, n) == consistency_shape(old, new)

    for name, m in (("old-1", old - 1), ("old+1", old + 1), ("old^2", old ^ 2), ("old*2", old * 2),
                    ("old/2", old // 2)):
        if m != old:
            yield name, (m, new, old_root, new_root, proof), claim(m, new)
    for name, n in (("new-1", new - 1), ("new+1", new + 1), ("new*2", new * 2), ("new/2", new // 2)):
        if n != new:
            yield name, (old, n, old_root, new_root, proof), claim(old, n)
    yield "old > new", (new, old, new_root, old_root, proof), False
    yield "old > new, same roots", (new, old, old_root, new_root, proof), False
    yield "wrong old root", (old, new, RANDOM_HASH, new_root, proof), False
    yield "wrong new root", (old, new, old_root, RANDOM_HASH, proof), False
    yield "empty old root", (old, new, merkle.EMPTY_ROOT, new_root, proof), False
    yield "empty new root", (old, new, old_root, merkle.EMPTY_ROOT, proof), False
    yield "swapped roots", (old, new, new_root, old_root, proof), False
    if preceding_root not in (old_root, new_root):
        yield "preceding root as new root", (old, new, old_root, preceding_root, proof), False
    yield "empty proof", (old, new, old_root, new_root, []), False
    yield "trailing garbage", (old, new, old_root, new_root, [*proof, b""]), False
    yield "trailing old root", (old, new, old_root, new_root, [*proof, old_root]), False
    yield "trailing new root", (old, new, old_root, new_root, [*proof, new_root]), False
    yield "preceding garbage", (old, new, old_root, new_root, [b"", *proof]), False
    yield "preceding old root", (old, new, old_root, new_root, [old_root, *proof]), False
    yield "preceding new root", (old, new, old_root, new_root, [new_root, *proof]), False
    yield "preceding proof[0]", (old, new, old_root, new_root, [proof[0], *proof]), False
    for k in range(len(proof)):
        for byte, bit in ((0, 3), (31, 7), (16, 0)):
            wrong = list(proof)
            wrong[k] = flip(proof[k], byte, bit)
            yield f"proof[{k}] byte {byte} bit {bit}", (old, new, old_root, new_root, wrong), False
        yield f"proof[{k}] removed", (old, new, old_root, new_root, proof[:k] + proof[k + 1 :]), False
    if len(proof) > 1:
        yield "inserted component", (old, new, old_root, new_root, [proof[0], RANDOM_HASH, *proof[1:]]), False
    yield "equal sizes, non-empty proof", (new, new, new_root, new_root, proof), False
    yield "equal sizes, one garbage element", (new, new, new_root, new_root, [RANDOM_HASH]), False
    yield "from empty tree, non-empty proof", (0, new, merkle.EMPTY_ROOT, new_root, proof), False
    yield "from empty tree, wrong empty root", (0, new, RANDOM_HASH, new_root, []), False
    garbage: Any
    for garbage in (None, "a string", 42, b"short", b"", old_root.hex()):
        yield f"old root={garbage!r:.20}", (old, new, garbage, new_root, proof), False
        yield f"new root={garbage!r:.20}", (old, new, old_root, garbage, proof), False
        yield f"proof element={garbage!r:.20}", (old, new, old_root, new_root, [*proof, garbage]), False
    for garbage in (None, "1", float(old), -1, True, 2**64):
        yield f"old size={garbage!r:.20}", (garbage, new, old_root, new_root, proof), False
        yield f"new size={garbage!r:.20}", (old, garbage, old_root, new_root, proof), False
    for garbage in (None, 5, "proof", b"".join(proof), {"a": 1}):
        yield f"proof={garbage!r:.20}", (old, new, old_root, new_root, garbage), False


def check_inclusion_mutations(leaves: list[bytes], index: int, size: int) -> None:
    proof = merkle.inclusion_proof(leaves, index, size)
    root = merkle.root(leaves[:size])
    assert merkle.verify_inclusion(leaves[index], index, size, proof, root) is True
    preceding = merkle.root(leaves[: size - 1])
    for name, args, expected in inclusion_mutations(leaves[index], index, size, proof, root, preceding):
        assert merkle.verify_inclusion(*args) is expected, (name, index, size)


def check_consistency_mutations(leaves: list[bytes], old: int, new: int) -> None:
    proof = merkle.consistency_proof(leaves, old, new)
    old_root, new_root = merkle.root(leaves[:old]), merkle.root(leaves[:new])
    assert merkle.verify_consistency(old, new, old_root, new_root, proof) is True
    preceding = merkle.root(leaves[: new - 1])
    for name, args, expected in consistency_mutations(old, new, old_root, new_root, proof, preceding):
        assert merkle.verify_consistency(*args) is expected, (name, old, new)


@pytest.mark.parametrize("case", load("inclusion-valid.json"), ids=lambda c: f"{c['leaf_index']}-of-{c['tree_size']}")
def test_inclusion_vector_mutations_rejected(case: dict[str, Any]) -> None:
    check_inclusion_mutations(vector_leaves(), case["leaf_index"], case["tree_size"])


@pytest.mark.parametrize("case", [c for c in load("consistency-valid.json") if 0 < c["old_size"] < c["new_size"]],
                         ids=lambda c: f"{c['old_size']}-to-{c['new_size']}")
def test_consistency_vector_mutations_rejected(case: dict[str, Any]) -> None:
    check_consistency_mutations(vector_leaves(), case["old_size"], case["new_size"])


def test_every_proof_in_the_vector_tree_and_its_mutations() -> None:
    """All (index, size) and (old, new) pairs of the 16-leaf vector tree: generated proofs equal RFC 6962's
    recursive definition, verify, and every mutation is rejected (unless it is provably the same claim)."""
    leaves = vector_leaves()
    data = [v["leaf_data"].encode() for v in load("merkle_tree.json")]
    for size in range(1, len(leaves) + 1):
        for index in range(size):
            assert merkle.inclusion_proof(leaves, index, size) == naive_path(index, data[:size])
            check_inclusion_mutations(leaves, index, size)
        for old in range(1, size):
            assert merkle.consistency_proof(leaves, old, size) == naive_consistency(old, data[:size])
            check_consistency_mutations(leaves, old, size)


def test_same_shape_claims_are_the_only_accepted_mutations() -> None:
    """The size ±1 mutations that the verifier accepts are exactly those whose proof has the same shape, e.g.
    leaf 0 of 3 and leaf 0 of 4: the proof binds (leaf, index) to the root, and the signed checkpoint binds the
    root to its size. Make sure the mutation tables above do exercise both outcomes."""
    leaves = vector_leaves()
    proof = merkle.inclusion_proof(leaves, 0, 3)
    root3 = merkle.root(leaves[:3])
    assert merkle.verify_inclusion(leaves[0], 0, 4, proof, root3) is True
    assert merkle.verify_inclusion(leaves[0], 0, 5, proof, root3) is False
    assert merkle.verify_consistency(2, 4, merkle.root(leaves[:2]), merkle.root(leaves[:3]), [leaves[2]]) is True


def test_trivial_consistency_cases() -> None:
    leaves = vector_leaves()
    r5 = merkle.root(leaves[:5])
    assert merkle.verify_consistency(5, 5, r5, r5, []) is True
    assert merkle.verify_consistency(5, 5, r5, merkle.root(leaves[:4]), []) is False
    assert merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, r5, []) is True
    assert merkle.verify_consistency(0, 0, merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, []) is True
    assert merkle.verify_consistency(6, 5, r5, r5, []) is False


def test_proof_generation_refuses_impossible_requests() -> None:
    leaves = vector_leaves()
    for bad in ((-1, 4), (4, 4), (0, 0)):
        with pytest.raises(ValueError):
            merkle.inclusion_ranges(*bad)
    with pytest.raises(ValueError):
        merkle.consistency_ranges(5, 4)
    with pytest.raises(ValueError):
        merkle.inclusion_proof(leaves, 0, len(leaves) + 1)
    with pytest.raises(ValueError):
        merkle.consistency_proof(leaves, 1, len(leaves) + 1)


def test_perfect_blocks_fold_to_the_range_hash() -> None:
    leaves = vector_leaves()
    for size in range(1, 17):
        for index in range(size):
            for start, end in merkle.inclusion_ranges(index, size):
                blocks = merkle.perfect_blocks(start, end)
                hashes = [merkle.root(leaves[i << lvl : (i + 1) << lvl]) for lvl, i in blocks]
                assert merkle.fold_blocks(hashes) == merkle.root(leaves[start:end])


# --- hypothesis: random trees ---------------------------------------------------------------------------------

@st.composite
def leaf_data(draw: st.DrawFn, min_size: int = 1) -> list[bytes]:
    """Up to 300 distinct leaves (sizes spread evenly, so large trees are as common as small ones)."""
    n = draw(st.integers(min_size, 300))
    salt = draw(st.binary(max_size=8))
    return [salt + i.to_bytes(2, "big") for i in range(n)]



@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=leaf_data(), draw=st.data())
def test_random_trees_every_proof_verifies(data: list[bytes], draw: st.DataObject) -> None:
    leaves = [merkle.leaf_hash(d) for d in data]
    n = len(leaves)
    root = merkle.root(leaves)
    assert root == naive_mth(data)
    for index in range(n):
        proof = merkle.inclusion_proof(leaves, index, n)
        assert merkle.verify_inclusion(leaves[index], index, n, proof, root)
    for old in range(0, n + 1):
        proof = merkle.consistency_proof(leaves, old, n)
        assert merkle.verify_consistency(old, n, merkle.root(leaves[:old]), root, proof)
    size = draw.draw(st.integers(1, n))
    index = draw.draw(st.integers(0, size - 1))
    assert merkle.inclusion_proof(leaves, index, size) == naive_path(index, data[:size])
    old = draw.draw(st.integers(0, size))
    assert merkle.consistency_proof(leaves, old, size) == naive_consistency(old, data[:size])


@settings(max_examples=40, deadline=None)
@given(data=leaf_data(), draw=st.data())
def test_random_tree_mutations_rejected(data: list[bytes], draw: st.DataObject) -> None:
    leaves = [merkle.leaf_hash(d) for d in data]
    size = draw.draw(st.integers(1, len(leaves)))
    check_inclusion_mutations(leaves, draw.draw(st.integers(0, size - 1)), size)
    if size > 1:
        check_consistency_mutations(leaves, draw.draw(st.integers(1, size - 1)), size)


@settings(max_examples=60, deadline=None)
@given(data=leaf_data(min_size=2), draw=st.data())
def test_interior_node_presented_as_leaf_fails(data: list[bytes], draw: st.DataObject) -> None:
    """Domain separation: the children l‖r of an interior node, submitted as leaf data, never verify as a leaf,
    although the same proof does verify the node's own hash at that position of the collapsed tree."""
    leaves = [merkle.leaf_hash(d) for d in data]
    n = len(leaves)
    root = merkle.root(leaves)
    collapsed = [merkle.node_hash(leaves[i], leaves[i + 1]) for i in range(0, n - 1, 2)]
    if n % 2:
        collapsed.append(leaves[-1])
    assert merkle.root(collapsed) == root
    j = draw.draw(st.integers(0, n // 2 - 1))
    proof = merkle.inclusion_proof(collapsed, j, len(collapsed))
    # Without domain separation the interior hash would pass for a leaf hash: the proof is real.
    assert merkle.verify_inclusion(collapsed[j], j, len(collapsed), proof, root)
    forged = merkle.leaf_hash(leaves[2 * j] + leaves[2 * j + 1])
    assert forged != collapsed[j]
    assert not merkle.verify_inclusion(forged, j, len(collapsed), proof, root)
    for i in (2 * j, 2 * j + 1):
        assert not merkle.verify_inclusion(forged, i, n, merkle.inclusion_proof(leaves, i, n), root)
    # And a leaf never verifies as the node above it.
    assert not merkle.verify_inclusion(merkle.node_hash(b"\x00" * 32, b"\x00" * 32), j, len(collapsed), proof, root)
