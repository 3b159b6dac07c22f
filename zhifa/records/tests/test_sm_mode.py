"""SM mode: SM3 beside SHA-256, SM2 co-signatures on checkpoints, interoperable with the OpenSSL command line
(issue 9 defect 15; reliability.md TP-7; ADR 0020). The default mode (ZHIFA_SM_MODE off) stays byte-for-byte as it was.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from zhifa.accounts.roles import Role
from zhifa.records import checkpoints, ledger, signednote, sm, verify
from zhifa.records import evidence as ev
from zhifa.records.blobstore import default_store, upload_limit
from zhifa.records.models import BlobSm3, Evidence, IntegrityStatus, LedgerEntry
from zhifa.records.tests._packages import STREAM, build_ledger, dba_unguarded, export
from zhifa.records.tests.test_evidence import JPEG, PNG
from zhifa.records.tests.test_uploads import api_prefix, token_client

PROJECT = Path(__file__).resolve().parents[3]
OPENSSL = shutil.which("openssl")
DISTID_OPT = "distid:1234567812345678"
# GB/T 32905-2016 appendix A, example 1 and 2.
SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
SM3_ABCD16 = "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


@pytest.fixture(autouse=True)
def sm_files(settings, tmp_path):
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "keys" / "ledger.pem"
    settings.ZHIFA_SM2_KEY_FILE = tmp_path / "keys" / "ledger-sm2.pem"
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"
    settings.ZHIFA_UPLOAD_MAX_BYTES = 256 * 1024
    checkpoints._signer.cache_clear()
    checkpoints._sm2_key.cache_clear()
    yield
    checkpoints._signer.cache_clear()
    checkpoints._sm2_key.cache_clear()


@pytest.fixture
def sm_on(settings):
    settings.ZHIFA_SM_MODE = True


def openssl(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    assert OPENSSL, "openssl command line not found"
    return subprocess.run([OPENSSL, *args], input=data, capture_output=True, timeout=60)


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env["PYTHONPATH"] = str(PROJECT)
    return env


# ---------------------------------------------------------------------------------------------------------------
# SM3 (TP-7)
# ---------------------------------------------------------------------------------------------------------------


def test_sm3_matches_the_gbt_32905_vectors_in_both_implementations() -> None:
    """issue 9 defect 15, TP-7: sm3("abc") and sm3("abcd" × 16) equal GB/T 32905-2016 appendix A, through OpenSSL
    (hashlib) and through the pure-Python fallback (gmalg), streamed in pieces too."""
    assert sm.SM3_VECTORS == {b"abc": SM3_ABC, b"abcd" * 16: SM3_ABCD16}
    for pure in (False, True):
        for message, expected in sm.SM3_VECTORS.items():
            h = sm.sm3_new(pure=pure)
            for i in range(0, len(message), 7):
                h.update(message[i:i + 7])
            assert h.hexdigest() == expected
    assert sm.sm3_hex(b"abc") == SM3_ABC
    assert openssl("dgst", "-sm3", "-r", data=b"abc").stdout.decode().split()[0] == SM3_ABC


# ---------------------------------------------------------------------------------------------------------------
# SM2 against the OpenSSL command line (TP-7)
# ---------------------------------------------------------------------------------------------------------------


def test_sm2_signatures_interoperate_with_openssl_both_ways(tmp_path) -> None:
    """issue 9 defect 15, TP-7: a gmalg signature verifies with `openssl pkeyutl -verify -rawin -digest sm3
    -pkeyopt distid:1234567812345678`; an OpenSSL signature verifies with ours; our PKCS#8 key file is what
    OpenSSL writes (OpenSSL signs with it) and OpenSSL's key file loads here; a changed message or a
    non-canonical signature fails."""
    message = "zhifa.local/ledger\n42\n检查点正文\n".encode()
    (tmp_path / "msg").write_bytes(message)
    ours = sm.Sm2Key.generate()
    (tmp_path / "ours.pem").write_bytes(ours.pkcs8_pem())
    (tmp_path / "ours.pub.pem").write_bytes(ours.public_pem())
    (tmp_path / "ours.sig").write_bytes(ours.sign(message))
    check = openssl("pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "ours.pub.pem"), "-rawin", "-digest",
                    "sm3", "-pkeyopt", DISTID_OPT, "-in", str(tmp_path / "msg"), "-sigfile", str(tmp_path / "ours.sig"))
    assert check.returncode == 0 and b"Signature Verified Successfully" in check.stdout, check.stderr
    derived = openssl("pkey", "-in", str(tmp_path / "ours.pem"), "-pubout")
    assert derived.returncode == 0 and derived.stdout == ours.public_pem()
    # OpenSSL signs with our key file and with a key it generated itself; we verify both.
    assert openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out",
                   str(tmp_path / "theirs.pem")).returncode == 0
    for key_file in ("ours.pem", "theirs.pem"):
        signed = openssl("pkeyutl", "-sign", "-inkey", str(tmp_path / key_file), "-rawin", "-digest", "sm3",
                         "-pkeyopt", DISTID_OPT, "-in", str(tmp_path / "msg"))
        assert signed.returncode == 0, signed.stderr
        key = sm.Sm2Key.from_pem((tmp_path / key_file).read_bytes())
        public = openssl("pkey", "-in", str(tmp_path / key_file), "-pubout").stdout
        assert sm.load_public(public) == key.public
        assert sm.verify(key.public, message, signed.stdout)
        assert not sm.verify(key.public, message + b"x", signed.stdout)
    # A signature whose DER is padded (a malleable encoding) is refused even though r and s are right.
    sig = ours.sign(message)
    assert not sm.verify(ours.public, message, sig + b"\x00")
    tampered = openssl("pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "ours.pub.pem"), "-rawin",
                       "-digest", "sm3", "-pkeyopt", DISTID_OPT, "-in", str(tmp_path / "ours.pem"), "-sigfile",
                       str(tmp_path / "ours.sig"))
    assert tampered.returncode != 0


# ---------------------------------------------------------------------------------------------------------------
# Checkpoints: SM2 co-signature, offline verification without a network (TP-7)
# ---------------------------------------------------------------------------------------------------------------


def test_default_mode_is_unchanged(db) -> None:
    """issue 9 defect 15: with ZHIFA_SM_MODE off, checkpoints carry the one Ed25519 line, blob refs and blob rows
    carry no SM3, and no SM2 key file is created."""
    from django.conf import settings

    ledger.ledger_append(kind="case.note", stream=STREAM, agency_id=None, actor=None, payload={"x": 1},
                         blobs=[ledger.BlobRef("ab" * 32, 3, "image/jpeg")])
    cp = checkpoints.checkpoint_create()
    assert cp.note.count(signednote.DASH) == 1 and checkpoints.sm2_public_key() == ""
    assert b"sm3" not in bytes(LedgerEntry.objects.get().canonical)
    assert not Path(settings.ZHIFA_SM2_KEY_FILE).exists()


def test_checkpoint_carries_an_sm2_cosignature_that_openssl_verifies(db, sm_on, tmp_path, client) -> None:
    """issue 9 defect 15, TP-7: in SM mode a checkpoint has the Ed25519 line first (primary) and an SM2 line
    second; the SM2 signature verifies under the pinned SM2 key, in our code and with OpenSSL over the note text;
    the key file is 0600; a note with a flipped SM2 signature fails while its Ed25519 line still passes."""
    from django.conf import settings

    ledger.ledger_append(kind="case.note", stream=STREAM, agency_id=None, actor=None, payload={"x": 1})
    cp = checkpoints.checkpoint_create()
    lines = cp.note.split("\n\n", 1)[1].splitlines()
    assert len(lines) == 2 and all(line.startswith(signednote.DASH + " zhifa.local/ledger ") for line in lines)
    note = signednote.parse_note(cp.note)
    ed = signednote.Verifier.parse(checkpoints.public_key())
    sm2 = verify.parse_vkey(checkpoints.sm2_public_key())
    assert sm2.alg == signednote.ALG_SM2 and ed.alg == signednote.ALG_ED25519
    assert note.signatures[0][1][:4] == ed.id and note.signatures[1][1][:4] == sm2.id
    assert signednote.verify_signature(note, ed) and signednote.verify_signature(note, sm2)
    assert oct(Path(settings.ZHIFA_SM2_KEY_FILE).stat().st_mode & 0o777) == "0o600"
    # The same bytes through OpenSSL: the note text, the DER after the 4-byte key id, the PEM public key.
    (tmp_path / "body").write_text(note.body)
    (tmp_path / "sig").write_bytes(note.signatures[1][1][4:])
    (tmp_path / "pub.pem").write_bytes(checkpoints.sm2_key().public_pem())
    done = openssl("pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "pub.pem"), "-rawin", "-digest", "sm3",
                   "-pkeyopt", DISTID_OPT, "-in", str(tmp_path / "body"), "-sigfile", str(tmp_path / "sig"))
    assert done.returncode == 0, done.stdout + done.stderr
    raw = bytearray(note.signatures[1][1])
    raw[-1] ^= 1
    forged = cp.note.replace(lines[1], f"{signednote.DASH} zhifa.local/ledger {base64.b64encode(bytes(raw)).decode()}")
    forged_note = signednote.parse_note(forged)
    assert signednote.verify_signature(forged_note, ed) and not signednote.verify_signature(forged_note, sm2)
    assert ev._verify_signature(cp)
    page = client.get("/transparency/").content.decode()
    assert checkpoints.sm2_public_key() in page and "BEGIN PUBLIC KEY" in page


def test_offline_verifier_checks_the_sm2_cosignature_and_sm3_without_a_network(db, sm_on, tmp_path) -> None:
    """issue 9 defect 15, TP-7: an archive package exported in SM mode carries the SM2 key; the offline verifier,
    run with networking removed (`unshare -n`) and no Django, checks the SM2 co-signature (pinned with --sm2-key)
    and each blob's SM3; a package whose SM2 line is forged, or verified against another pinned SM2 key, fails."""
    build_ledger(rounds=4)
    photo = store_photo()
    out = tmp_path / "pkg"
    export(out, stream=photo.stream)
    assert (out / verify.SM2_PUBLIC_KEY).read_text().strip() == checkpoints.sm2_public_key()
    cmd = [sys.executable, "-m", "zhifa.records.verify", str(out), "--key", checkpoints.public_key(),
           "--sm2-key", checkpoints.sm2_public_key()]
    unshare = shutil.which("unshare")
    isolated = [unshare, "-n", *cmd] if unshare else cmd
    done = subprocess.run(isolated, cwd=tmp_path, env=offline_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SM2 co-signature verifies" in done.stdout and "VERIFIED" in done.stdout
    if unshare:  # the namespace really had no network: only a loopback interface, and it is down
        probe = subprocess.run([unshare, "-n", sys.executable, "-c",
                                "import socket; s = socket.socket(); s.settimeout(2); s.connect(('127.0.0.1', 9))"],
                               capture_output=True, text=True, timeout=30)
        assert probe.returncode != 0 and ("unreachable" in probe.stderr or "refused" in probe.stderr.lower())
    other = signednote.sm2_vkey("zhifa.local/ledger", sm.Sm2Key.generate().public)
    wrong = verify.verify_package(out, key=checkpoints.public_key(), sm2_key=other)
    assert not wrong.ok and any("SM2" in line for line in wrong.lines())
    # Forge the SM2 line in the package: Ed25519 still verifies, the SM2 check fails.
    text = (out / verify.CHECKPOINT).read_text()
    head, _sep, sigs = text.partition("\n\n")
    ed_line, sm2_line = sigs.splitlines()
    name, b64 = sm2_line[2:].rsplit(" ", 1)
    raw = bytearray(base64.b64decode(b64))
    raw[-2] ^= 0x40
    (out / verify.CHECKPOINT).write_text(f"{head}\n\n{ed_line}\n{signednote.DASH} {name} "
                                         f"{base64.b64encode(bytes(raw)).decode()}\n")
    forged = verify.verify_package(out, key=checkpoints.public_key(), sm2_key=checkpoints.sm2_public_key())
    assert not forged.ok and any("SM2" in line for line in forged.lines())


def test_offline_verifier_reports_an_sm3_that_differs_from_the_ledger(db, sm_on, tmp_path) -> None:
    """issue 9 defect 15: the verifier recomputes SM3 for blobs whose ledger entry records one."""
    photo = store_photo()
    out = tmp_path / "pkg"
    export(out, stream=photo.stream)
    report = verify.verify_package(out, key=checkpoints.public_key())
    assert report.ok, report.lines()
    lines = (out / "data/entries.jsonl").read_text()
    assert photo.sm3 and photo.sm3 in lines  # inside the entry's canonical JSON (blob ref)
    fake = sm.sm3_hex(b"something else")
    (out / "data/entries.jsonl").write_text(lines.replace(photo.sm3, fake))
    tampered = verify.verify_package(out, key=checkpoints.public_key())
    assert any("SM3" in line for line in tampered.lines())


# ---------------------------------------------------------------------------------------------------------------
# Evidence: SM3 stored, shown, checked by fixity
# ---------------------------------------------------------------------------------------------------------------


def store_photo(content: bytes = JPEG, user=None) -> Evidence:  # noqa: ANN001
    from zhifa.registry.testing import make_personas

    user = user or make_personas("S")[Role.OFFICER]
    store = default_store()
    writer = store.writer(limit=upload_limit())
    try:
        writer.write(content)
        staged = writer.finish()
        return ev.evidence_create(actor=user, stream="case:sm-1", staged=staged, original_filename="现场.jpg",
                                  capture=ev.capture_clean(captured_at=timezone.now() - timedelta(minutes=5)))
    finally:
        writer.discard()


def test_evidence_sm3_is_stored_recorded_shown_and_checked_by_fixity(db, sm_on, client, settings) -> None:
    """issue 9 defect 15: in SM mode the SM3 of an upload is stored beside its SHA-256 (an append-only row of its
    own and the ledger blob ref), shown on the evidence page and in the API, and fixity reports a blob whose SM3 no
    longer matches."""
    evidence = store_photo()
    assert evidence.sha256 == hashlib.sha256(JPEG).hexdigest() and evidence.sm3 == sm.sm3_hex(JPEG)
    entry = LedgerEntry.objects.get(kind="evidence.added")
    assert f'"sm3":"{sm.sm3_hex(JPEG)}"'.encode() in bytes(entry.canonical)
    client.force_login(evidence.uploaded_by)
    page = client.get(f"/staff/records/evidence/{evidence.public_id}/").content.decode()
    assert sm.sm3_hex(JPEG) in page and "SM3" in page
    api = api_prefix(settings)
    body = token_client(evidence.uploaded_by).get(f"{api}/evidence/{evidence.public_id}").json()
    assert body["sm3"] == sm.sm3_hex(JPEG) and body["sha256"] == evidence.sha256
    assert ev.fixity_check().problems == 0
    # The SM3 row is append-only like the blob row; a DBA who switches the triggers off can still change it.
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        BlobSm3.objects.filter(pk=evidence.sha256).update(sm3=sm.sm3_hex(PNG))
    with dba_unguarded("records_blobsm3"):
        BlobSm3.objects.filter(pk=evidence.sha256).update(sm3=sm.sm3_hex(PNG))  # recorded SM3 and file disagree
    report = ev.fixity_check()
    assert len(report.changed) == 1
    assert Evidence.objects.get(pk=evidence.pk).integrity_status == IntegrityStatus.CHANGED
