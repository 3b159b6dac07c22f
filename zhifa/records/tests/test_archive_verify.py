"""Archive export (`zhifa archive export`) and the offline verifier (`zhifa verify`, `python -m
zhifa.records.verify`): the package layout, a clean pass with no database or Django, later checkpoints with
consistency proofs, and the verifier's behaviour on incomplete input. Tampering is in test_tamper.py."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import bagit
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command

from zhifa.records import archive, ledger, merkle, signednote, verify
from zhifa.records.checkpoints import checkpoint_create, public_key
from zhifa.records.models import LedgerEntry
from zhifa.records.tests._packages import OTHER, STREAM, append, build_ledger, entry_lines, export
from zhifa.registry.testing import make_user

PROJECT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def ledger_files(settings, tmp_path):
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "keys" / "ledger.pem"
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"


@pytest.fixture
def built(db):
    return build_ledger(make_user(None, username="li"))


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env["PYTHONPATH"] = str(PROJECT)
    return env


def test_export_writes_a_valid_bag_with_the_expected_layout(built, tmp_path) -> None:
    out = tmp_path / "pkg"
    stdout = io.StringIO()
    call_command("archive", "export", STREAM, "--output", str(out), stdout=stdout)
    assert "已导出归档包" in stdout.getvalue()
    bag = bagit.Bag(str(out))
    bag.validate()
    assert set(bag.algorithms) == {"sha256", "sha512"}
    data = out / "data"
    names = {p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file()}
    photo, video = built["photo"].sha256, built["video"].sha256
    assert names == {"entries.jsonl", "proofs.json", "checkpoint.txt", "public-key.txt", "leaves.txt", "index.html",
                     f"blobs/{photo}", f"blobs/{video}"}
    assert (data / "blobs" / photo).read_bytes() == (Path(ledger_blob_dir()) / photo[:2] / photo[2:4] / photo).read_bytes()

    lines = entry_lines(out)
    assert [e["seq"] for e in lines] == built["seqs"]
    for line in lines:
        row = LedgerEntry.objects.get(seq=line["seq"])
        assert line["canonical"].encode() == bytes(row.canonical)
        assert line["leaf_hash"] == bytes(row.leaf_hash).hex()

    checkpoint = signednote.parse_note((data / "checkpoint.txt").read_text())
    size, root = ledger.tree_head()
    assert (checkpoint.size, checkpoint.root) == (size, root)  # a fresh checkpoint: every entry is under it
    assert (data / "public-key.txt").read_text().strip() == public_key()
    proofs = json.loads((data / "proofs.json").read_text())
    assert proofs["tree_size"] == size and set(proofs["inclusion"]) == {str(s) for s in built["seqs"]}
    for seq in built["seqs"]:
        assert [base64.b64decode(h) for h in proofs["inclusion"][str(seq)]] == ledger.inclusion_proof(seq, size)
    leaves = [line.split() for line in (data / "leaves.txt").read_text().splitlines()]
    assert [int(s) for s, _h in leaves] == list(range(size))
    assert merkle.root([bytes.fromhex(h) for _s, h in leaves]) == root

    info = bag.info
    assert info["Zhifa-Stream"] == STREAM and info["Zhifa-Checkpoint-Size"] == str(size)
    assert "行政执法全过程记录归档包" in info["External-Description"]

    page = (data / "index.html").read_text()
    assert "行政执法全过程记录归档包" in page and STREAM in page and "测试li" in page
    assert f'href="blobs/{photo}"' in page and f'href="blobs/{video}"' in page and "现场照片.jpg" in page
    assert "证据入库" in page and "立案审批" in page
    assert "<script" not in page.lower() and "http://" not in page and "https://" not in page
    assert "src=" not in page and "<link" not in page


def ledger_blob_dir() -> str:
    from django.conf import settings

    return str(settings.ZHIFA_BLOB_DIR)


def test_zhifa_verify_passes_with_pinned_key_and_warns_without(built, tmp_path) -> None:
    out = tmp_path / "pkg"
    export(out)
    report = verify.verify_package(out, key=public_key())
    assert report.ok, report.lines()
    assert not report.warnings
    assert (report.entries, report.blobs) == (len(built["seqs"]), 2)

    key_file = tmp_path / "ledger.vkey"
    key_file.write_text(public_key() + "\n")
    stdout = io.StringIO()
    call_command("verify", str(out), "--key", str(key_file), stdout=stdout)
    assert "核验通过" in stdout.getvalue() and "VERIFIED" in stdout.getvalue()

    unpinned = verify.verify_package(out)
    assert unpinned.ok and len(unpinned.warnings) == 1
    assert "--key" in unpinned.warnings[0].zh and "包内" in unpinned.lines()[0]


def test_verify_module_needs_no_django_no_database_no_network(built, tmp_path) -> None:
    out = tmp_path / "pkg"
    export(out)
    vkey = public_key()
    cmd = ["env", "-u", "DJANGO_SETTINGS_MODULE", "-u", "DATABASE_URL", sys.executable, "-m", "zhifa.records.verify",
           str(out), "--key", vkey]
    done = subprocess.run(cmd, cwd=tmp_path, env=offline_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "核验通过" in done.stdout and "VERIFIED" in done.stdout
    probe = (
        "import sys; from zhifa.records import verify; r = verify.verify_package(sys.argv[1], key=sys.argv[2]); "
        "assert r.ok, r.lines(); "
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith(('django.', 'psycopg')));"
        "assert not loaded, loaded; print('clean')"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(out), vkey], cwd=tmp_path, env=offline_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "clean" in done.stdout, done.stderr
    # TP-7: the same with networking removed, where the kernel lets us make a network namespace.
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-rn", "true"], capture_output=True).returncode == 0:
        done = subprocess.run([unshare, "-rn", *cmd], cwd=tmp_path, env=offline_env(), capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr


def test_zhifa_verify_exit_codes(built, tmp_path) -> None:
    out = tmp_path / "pkg"
    export(out)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zhifa.settings.test", "ZHIFA_DATA_DIR": str(tmp_path / "d"),
           "PYTHONPATH": str(PROJECT)}
    ok = subprocess.run([sys.executable, "-m", "zhifa.cli", "verify", str(out), "--key", public_key()], env=env,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "核验通过" in ok.stdout, ok.stdout + ok.stderr
    (out / "data" / "entries.jsonl").write_text("")
    bad = subprocess.run([sys.executable, "-m", "zhifa.cli", "verify", str(out)], env=env, capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 1 and "核验失败" in bad.stderr and "data/entries.jsonl" in bad.stdout
    with pytest.raises(CommandError) as info:
        call_command("verify", str(out), stdout=io.StringIO())
    assert info.value.returncode == 1


def write_later(tmp_path: Path, old_size: int, name: str = "later.txt") -> Path:
    stdout = io.StringIO()
    call_command("archive", "proof", str(old_size), stdout=stdout)
    path = tmp_path / name
    path.write_text(stdout.getvalue())
    return path


def test_later_checkpoint_with_valid_consistency_proof_passes(built, tmp_path) -> None:
    out = tmp_path / "pkg"
    result = export(out)
    for i in range(9):
        append(OTHER, object_id=f"later{i}")
    later = write_later(tmp_path, result.checkpoint_size)
    text = later.read_text()
    note, block = verify.split_checkpoint_file(text)
    assert block is not None and block.startswith(f"consistency {result.checkpoint_size} {result.checkpoint_size + 9}")
    assert signednote.parse_note(note).size == result.checkpoint_size + 9
    report = verify.verify_package(out, key=public_key(), checkpoint=str(later))
    assert report.ok, report.lines()
    assert any("一致" in n for n in report.notes)
    stdout = io.StringIO()
    call_command("verify", str(out), "--key", public_key(), "--checkpoint", str(later), stdout=stdout)
    assert "核验通过" in stdout.getvalue()


def test_forged_consistency_proofs_fail(built, tmp_path) -> None:
    out = tmp_path / "pkg"
    result = export(out)
    for i in range(5):
        append(OTHER, object_id=f"later{i}")
    m = result.checkpoint_size
    note, block = verify.split_checkpoint_file(write_later(tmp_path, m).read_text())
    assert block is not None
    header, *hashes = block.strip().splitlines()
    flipped = bytearray(base64.b64decode(hashes[0]))
    flipped[0] ^= 1
    forgeries = {
        "flipped hash": [header, base64.b64encode(bytes(flipped)).decode(), *hashes[1:]],
        "missing hash": [header, *hashes[:-1]],
        "extra hash": [header, *hashes, hashes[0]],
        "wrong sizes": [f"consistency {m - 1} {m + 5}", *hashes],
        "empty proof": [header],
    }
    for name, lines in forgeries.items():
        path = tmp_path / f"forged-{name}.txt"
        path.write_text(note + "\n" + "\n".join(lines) + "\n")
        report = verify.verify_package(out, key=public_key(), checkpoint=str(path))
        assert not report.ok, name
        assert report.failed_paths() == {str(path)}, (name, report.lines())
    # A checkpoint of another size signed by someone else's key: the signature check names it.
    other = signednote.Signer("zhifa.local/ledger", Ed25519PrivateKey.generate())
    body = signednote.checkpoint_body("zhifa.local/ledger", m + 5, ledger.root_at(m + 5))
    path = tmp_path / "other-key.txt"
    path.write_text(signednote.sign_note(body, other) + "\n" + "\n".join([header, *hashes]) + "\n")
    report = verify.verify_package(out, key=public_key(), checkpoint=str(path))
    assert not report.ok and any("签名" in f.zh and f.path == str(path) for f in report.failures)


def test_earlier_and_equal_checkpoints(built, tmp_path) -> None:
    earlier = checkpoint_create()
    earlier_file = tmp_path / "earlier.txt"
    earlier_file.write_text(earlier.note)
    append(STREAM, 说明="补充")
    out = tmp_path / "pkg"
    result = export(out)
    assert result.checkpoint_size > earlier.size
    same = tmp_path / "same.txt"
    same.write_text((out / "data" / "checkpoint.txt").read_text())
    for path in (earlier_file, same):
        report = verify.verify_package(out, key=public_key(), checkpoint=str(path))
        assert report.ok, report.lines()
    # Without the whole-ledger leaves an earlier checkpoint needs a proof; with one it verifies.
    bare = tmp_path / "bare"
    export(bare, include_leaves=False)
    report = verify.verify_package(bare, key=public_key(), checkpoint=str(earlier_file))
    assert not report.ok and report.failed_paths() == {str(earlier_file)}
    proof = ledger.consistency_proof(earlier.size, result.checkpoint_size)
    with_proof = tmp_path / "earlier-with-proof.txt"
    with_proof.write_text(earlier.note + "\n" + verify.format_consistency(earlier.size, result.checkpoint_size, proof))
    report = verify.verify_package(bare, key=public_key(), checkpoint=str(with_proof))
    assert report.ok, report.lines()
    assert any("leaves.txt" in w.zh for w in report.warnings)


def test_export_all_streams_and_errors(built, tmp_path) -> None:
    out = tmp_path / "all"
    result = export(out, stream=archive.ALL_STREAMS)
    assert result.entries == ledger.tree_head()[0]
    assert verify.verify_package(out, key=public_key()).ok
    with pytest.raises(CommandError, match="已存在"):
        call_command("archive", "export", STREAM, "--output", str(out))
    with pytest.raises(CommandError, match="没有记录流"):
        call_command("archive", "export", "case:不存在", "--output", str(tmp_path / "none"))
    with pytest.raises(CommandError, match="超出"):
        call_command("archive", "proof", str(ledger.tree_head()[0] + 1), stdout=io.StringIO())
    assert not (tmp_path / "none").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no half-written package left


def test_default_output_is_under_the_data_folder(built, settings, tmp_path) -> None:
    settings.DATA_DIR = tmp_path / "var"
    stdout = io.StringIO()
    call_command("archive", "export", STREAM, stdout=stdout)
    made = list((tmp_path / "var" / "archives").iterdir())
    assert len(made) == 1 and made[0].name.startswith("case-") and str(made[0]) in stdout.getvalue()


def test_verifier_reports_missing_and_malformed_parts(built, tmp_path) -> None:
    assert verify.verify_package(tmp_path / "nowhere").failed_paths() == {str(tmp_path / "nowhere")}
    out = tmp_path / "pkg"
    export(out)
    (out / "data" / "proofs.json").write_text("{not json")
    (out / "data" / "checkpoint.txt").write_text("garbage")
    report = verify.verify_package(out, key=public_key())
    assert {"data/proofs.json", "data/checkpoint.txt"} <= report.failed_paths()
    shutil.rmtree(out / "data")
    report = verify.verify_package(out, key="not a key")
    assert not report.ok and any("--key" in f.zh for f in report.failures)


def test_verifier_key_parsing_accepts_plus_in_base64() -> None:
    """A vkey's base64 part often contains "+": only the first two "+" separate its fields."""
    for _ in range(200):
        signer = signednote.Signer("zhifa.local/ledger", Ed25519PrivateKey.generate())
        vkey = signer.verifier_key()
        if vkey.count("+") > 2:
            break
    parsed = verify.parse_vkey(vkey)
    assert parsed.public_raw == signer.public_raw and parsed.name == "zhifa.local/ledger"
    with pytest.raises(signednote.NoteError):
        verify.parse_vkey(vkey.replace("zhifa", "other", 1))  # the key id no longer matches
    body = signednote.checkpoint_body("zhifa.local/ledger", 3, b"\x01" * 32)
    assert signednote.verify_signature(signednote.parse_note(signednote.sign_note(body, signer)), parsed)
