"""Tampering is caught by the offline verifier and named exactly (reliability.md TP-1, TP-2, TP-3 in part, TP-6,
FC-8 "exported BagIt bag fails validation").

A DBA edits rows (after dropping the append-only triggers, and putting them back), an insider with the signing key
rewrites the tree and re-signs, someone edits a package after export (and recomputes the BagIt manifests so fixity
passes again), or the blob store is damaged before export. The auditor's defence is the verifier plus a checkpoint
kept outside the system (`c0`): what only such a checkpoint can catch is shown passing without it."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import bagit
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from zhifa.records import ledger, merkle, signednote, verify
from zhifa.records.blobstore import default_store
from zhifa.records.checkpoints import checkpoint_create, public_key
from zhifa.records.models import Checkpoint, LedgerEntry
from zhifa.records.tests._packages import (
    OTHER,
    STREAM,
    append,
    build_ledger,
    dba_unguarded,
    entry_lines,
    export,
    remanifest,
    rewrite_tree,
    truncate_tail,
)
from zhifa.registry.testing import make_user


@pytest.fixture(autouse=True)
def ledger_files(settings, tmp_path):
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "keys" / "ledger.pem"
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"


@pytest.fixture
def world(db, tmp_path):
    """A ledger, its first package, and the auditor's off-box copy of that package's checkpoint."""
    built = build_ledger(make_user(None, username="li"))
    first = tmp_path / "pkg0"
    result = export(first)
    c0 = tmp_path / "auditor-checkpoint.txt"
    c0.write_text((first / "data" / "checkpoint.txt").read_text())
    assert verify.verify_package(first, key=public_key()).ok
    return {**built, "pkg0": first, "c0": c0, "size0": result.checkpoint_size, "tmp": tmp_path}


def check(package: Path, **kwargs: str) -> verify.Report:
    return verify.verify_package(package, key=public_key(), **kwargs)


def assert_named(report: verify.Report, *, seqs: set[int] | None = None, blobs: set[str] | None = None,
                 paths: set[str] | None = None) -> None:
    """The report failed, and its failures name exactly these entries / blobs (and at least these files)."""
    assert not report.ok
    if seqs is not None:
        assert report.failed_seqs() == seqs, report.lines()
        for seq in seqs:
            assert any(f"seq {seq}" in line for line in report.lines())
    if blobs is not None:
        assert report.failed_blobs() == blobs, report.lines()
    if paths is not None:
        assert paths <= report.failed_paths(), report.lines()
    for failure in report.failures:  # every line says what failed in Chinese and in English
        line = failure.line("失败 FAIL")
        assert " / " in line and any("\u4e00" <= ch <= "\u9fff" for ch in failure.zh) and failure.en.isascii()


def set_canonical(seq: int, data: bytes, *, leaf_too: bool = False) -> None:
    with dba_unguarded("records_ledgerentry"), connection.cursor() as cur:
        cur.execute("UPDATE records_ledgerentry SET canonical = %s WHERE seq = %s", [data, seq])
        if leaf_too:
            cur.execute("UPDATE records_ledgerentry SET leaf_hash = %s WHERE seq = %s", [merkle.leaf_hash(data), seq])
    # The triggers are back.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE records_ledgerentry SET canonical = %s WHERE seq = %s", [data, seq])


def forged(seq: int) -> bytes:
    """The row as a DBA would rewrite it: another actor name and another decision, still canonical JSON."""
    content = json.loads(bytes(LedgerEntry.objects.get(seq=seq).canonical))
    content["actor"]["name"] = "王五"
    content["payload"]["说明"] = "不予立案"
    return ledger.canonical_bytes(content)


# --- TP-1: a DBA edits an old row ----------------------------------------------------------------------------------


def test_tp1_update_of_an_old_row_is_named_by_its_seq(world) -> None:
    k = world["seqs"][2]
    set_canonical(k, forged(k))
    append(OTHER, object_id="after")  # life goes on: the next export signs a new, larger checkpoint
    out = world["tmp"] / "pkg1"
    export(out)
    assert_named(check(out), seqs={k}, paths={"data/entries.jsonl:3", "data/proofs.json"})
    assert_named(check(out, checkpoint=str(world["c0"])), seqs={k})
    assert check(world["pkg0"]).ok  # the package taken before the edit still verifies: it is the evidence


def test_tp1_update_of_row_and_leaf_hash_is_still_named(world) -> None:
    k = world["seqs"][0]
    set_canonical(k, forged(k), leaf_too=True)
    out = world["tmp"] / "pkg1"
    export(out)
    report = check(out, checkpoint=str(world["c0"]))
    # The stored subtrees still hold the old leaf: the inclusion proof fails at k, and the leaves no longer hash
    # to the signed root.
    assert_named(report, seqs={k}, paths={"data/proofs.json", "data/leaves.txt"})


def test_tp3_insider_who_rewrites_the_tree_and_resigns_is_caught_by_the_offbox_checkpoint(world) -> None:
    k = world["seqs"][1]
    set_canonical(k, forged(k), leaf_too=True)
    rewrite_tree()
    with dba_unguarded("records_checkpoint"):
        Checkpoint.objects.all().delete()
    checkpoint_create()  # signed with the log's own key
    out = world["tmp"] / "pkg1"
    export(out)
    assert check(out).ok  # internally consistent: only a checkpoint kept elsewhere can tell
    report = check(out, checkpoint=str(world["c0"]))
    assert_named(report, seqs=set(), paths={str(world["c0"])})
    assert any("分叉" in f.zh or "改写" in f.zh for f in report.failures)


# --- TP-2: deleted rows ---------------------------------------------------------------------------------------------


def test_tp2_deleted_middle_row_is_named_as_a_gap(world) -> None:
    k = world["seqs"][3]
    with dba_unguarded("records_ledgerentry"):
        LedgerEntry.objects.filter(seq=k).delete()
    out = world["tmp"] / "pkg1"
    export(out)
    assert k not in [e["seq"] for e in entry_lines(out)]
    report = check(out, checkpoint=str(world["c0"]))
    assert_named(report, seqs={k}, paths={"data/leaves.txt"})
    assert any(f"缺少第 {k} 条" in f.zh for f in report.failures)


def test_tp2_truncated_tail_is_caught_only_against_an_earlier_larger_checkpoint(world) -> None:
    n = world["size0"]
    truncate_tail(n - 3)
    assert ledger.tree_head()[0] == n - 3
    out = world["tmp"] / "pkg1"
    result = export(out)
    assert result.checkpoint_size == n - 3
    assert check(out).ok  # on its own the shorter log looks healthy
    report = check(out, checkpoint=str(world["c0"]))
    assert_named(report, seqs=set(), paths={str(world["c0"])})
    assert any("缩小了 3 条" in f.zh and "shrank by 3" in f.en for f in report.failures)
    # New appends after the truncation fork the log: once it is longer again, the old checkpoint no longer matches
    # its prefix.
    for i in range(6):
        append(OTHER, object_id=f"fork{i}")
    out2 = world["tmp"] / "pkg2"
    export(out2)
    assert check(out2).ok
    report = check(out2, checkpoint=str(world["c0"]))
    assert_named(report, seqs=set(), paths={str(world["c0"])})
    assert any(f"前 {n} 条" in f.zh for f in report.failures)


# --- a package edited after export ---------------------------------------------------------------------------------


def test_flipped_byte_in_a_blob_inside_the_bag_names_the_blob(world) -> None:
    pkg, photo = world["pkg0"], world["photo"].sha256
    blob = pkg / "data" / "blobs" / photo
    raw = bytearray(blob.read_bytes())
    raw[100] ^= 0x01
    blob.write_bytes(bytes(raw))
    rel = f"data/blobs/{photo}"
    report = check(pkg)
    assert_named(report, seqs=set(), blobs={photo}, paths={rel})
    assert any("sha256 校验值" in f.zh and f.path == rel for f in report.failures)  # BagIt fixity
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(pkg)).validate()
    remanifest(pkg)  # fixity passes again, the ledger's SHA-256 does not
    bagit.Bag(str(pkg)).validate()
    assert_named(check(pkg), seqs=set(), blobs={photo}, paths={rel})


def test_unexpected_file_in_the_payload_is_named(world) -> None:
    pkg = world["pkg0"]
    (pkg / "data" / "补充说明.txt").write_text("后来加的")
    stray = "ab" * 32
    (pkg / "data" / "blobs" / stray).write_bytes(b"not referenced")
    report = check(pkg)
    assert_named(report, seqs=set(), blobs=set(), paths={"data/补充说明.txt", f"data/blobs/{stray}"})
    assert any("多出" in f.zh and f.path == "data/补充说明.txt" for f in report.failures)  # BagIt completeness
    remanifest(pkg)
    assert_named(check(pkg), seqs=set(), blobs=set(), paths={"data/补充说明.txt", f"data/blobs/{stray}"})


def test_tampered_checkpoint_signature_fails(world) -> None:
    pkg = world["pkg0"]
    path = pkg / "data" / "checkpoint.txt"
    body, _sep, sig_line = path.read_text().partition("\n\n")
    prefix, b64 = sig_line.strip().rsplit(" ", 1)
    raw = bytearray(base64.b64decode(b64))
    raw[-1] ^= 0x80
    path.write_text(f"{body}\n\n{prefix} {base64.b64encode(bytes(raw)).decode()}\n")
    remanifest(pkg)
    report = check(pkg)
    assert_named(report, seqs=set(), paths={"data/checkpoint.txt"})
    assert any("签名" in f.zh for f in report.failures)


def test_package_resigned_with_another_key_fails_against_the_pinned_key(world) -> None:
    pkg = world["pkg0"]
    k = world["seqs"][4]
    lines = entry_lines(pkg)
    forger = signednote.Signer("zhifa.local/ledger", Ed25519PrivateKey.generate())
    # Rewrite one entry, rebuild every proof and leaf for the changed tree, sign it with the forger's key and ship
    # the forger's public key in the package.
    leaves = [bytes.fromhex(line.split()[1]) for line in (pkg / "data/leaves.txt").read_text().splitlines()]
    for line in lines:
        if line["seq"] == k:
            content = json.loads(line["canonical"])
            content["payload"]["说明"] = "改过的内容"
            line["canonical"] = ledger.canonical_bytes(content).decode()
            line["leaf_hash"] = merkle.leaf_hash(line["canonical"].encode()).hex()
            leaves[k] = bytes.fromhex(line["leaf_hash"])
    (pkg / "data/entries.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
    (pkg / "data/leaves.txt").write_text("".join(f"{i} {h.hex()}\n" for i, h in enumerate(leaves)))
    root = merkle.root(leaves)
    proofs = json.loads((pkg / "data/proofs.json").read_text())
    proofs["root_hash"] = base64.b64encode(root).decode()
    proofs["inclusion"] = {
        str(x["seq"]): [base64.b64encode(h).decode() for h in merkle.inclusion_proof(leaves, x["seq"], len(leaves))]
        for x in lines
    }
    (pkg / "data/proofs.json").write_text(json.dumps(proofs))
    note = signednote.sign_note(signednote.checkpoint_body("zhifa.local/ledger", len(leaves), root), forger)
    (pkg / "data/checkpoint.txt").write_text(note)
    (pkg / "data/public-key.txt").write_text(forger.verifier_key() + "\n")
    remanifest(pkg)
    unpinned = verify.verify_package(pkg)
    assert unpinned.ok and unpinned.warnings  # only the packaged key: consistent, but proves nothing about origin
    report = check(pkg)  # the pinned key of the real log
    assert_named(report, seqs=set(), paths={"data/checkpoint.txt"})
    assert any(w.path == "data/public-key.txt" for w in report.warnings)
    assert_named(check(pkg, checkpoint=str(world["c0"])), seqs=set(), paths={"data/checkpoint.txt", str(world["c0"])})


def test_entry_or_proof_edited_in_the_package_is_named(world) -> None:
    pkg = world["pkg0"]
    k, j = world["seqs"][1], world["seqs"][5]
    lines = entry_lines(pkg)
    for line in lines:
        if line["seq"] == k:
            line["canonical"] = line["canonical"].replace("张三", "李四")
            line["leaf_hash"] = merkle.leaf_hash(line["canonical"].encode()).hex()  # consistent with itself
    (pkg / "data/entries.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
    proofs = json.loads((pkg / "data/proofs.json").read_text())
    h = bytearray(base64.b64decode(proofs["inclusion"][str(j)][0]))
    h[5] ^= 0x10
    proofs["inclusion"][str(j)][0] = base64.b64encode(bytes(h)).decode()
    (pkg / "data/proofs.json").write_text(json.dumps(proofs))
    remanifest(pkg)
    assert_named(check(pkg), seqs={k, j}, paths={"data/proofs.json", "data/leaves.txt"})


# --- FC-8: the blob store is damaged before export -----------------------------------------------------------------


def test_damaged_or_missing_store_blob_makes_the_exported_bag_fail(world) -> None:
    store = default_store()
    photo, video = world["photo"].sha256, world["video"].sha256
    path = store.path_for(photo)
    raw = bytearray(path.read_bytes())
    raw[7] ^= 0x04
    path.write_bytes(bytes(raw))
    store.path_for(video).unlink()
    out = world["tmp"] / "pkg1"
    stderr = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("archive", "export", STREAM, "--output", str(out), stdout=io.StringIO(), stderr=stderr)
    assert info.value.returncode == 1
    assert photo in stderr.getvalue() and video in stderr.getvalue() and "损坏" in stderr.getvalue()
    with pytest.raises(bagit.BagValidationError) as bad:  # any BagIt tool sees it
        bagit.Bag(str(out)).validate()
    assert f"data/blobs/{video}" in str([str(d) for d in bad.value.details])
    assert_named(check(out), seqs=set(), blobs={photo, video}, paths={f"data/blobs/{photo}", f"data/blobs/{video}"})


def test_non_utf8_bytes_written_into_a_row_are_exported_and_named(world) -> None:
    k = world["seqs"][0]
    set_canonical(k, bytes(LedgerEntry.objects.get(seq=k).canonical).replace(b"}", b"\xff}", 1))
    out = world["tmp"] / "pkg1"
    result = export(out)
    assert any(str(k) in p for p in result.problems)
    line = next(x for x in entry_lines(out) if x["seq"] == k)
    assert "canonical_base64" in line
    assert_named(check(out), seqs={k})


def test_symlinked_blob_is_refused(world) -> None:
    """A package must carry its files: a blob replaced by a link (to the original elsewhere) is named."""
    pkg, photo = world["pkg0"], world["photo"].sha256
    blob = pkg / "data" / "blobs" / photo
    outside = world["tmp"] / "elsewhere.bin"
    outside.write_bytes(blob.read_bytes())
    blob.unlink()
    blob.symlink_to(outside)
    report = check(pkg)
    assert_named(report, seqs=set(), blobs=set(), paths={f"data/blobs/{photo}"})
    assert any("unsafe" in f.en for f in report.failures)  # bagit refuses to load a manifest path leaving the bag
