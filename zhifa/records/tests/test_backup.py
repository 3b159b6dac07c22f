"""Backup and restore (reliability.md A8, FC-6): a backup taken while writes go on restores to a ledger that verifies
and is a prefix of the live log; a backup whose files or ledger were tampered with is refused."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from zhifa.records import merkle
from zhifa.records.backup import (
    MANIFEST,
    SQLITE_FILE,
    SUMS,
    BackupError,
    check_backup_files,
    create_backup,
    read_manifest,
    restore_backup,
)
from zhifa.records.checkpoints import checkpoint_create
from zhifa.records.ledger import LedgerError, tree_head
from zhifa.records.rollback import RestoreRefused, record_restore, refuse_writes, writes_refused
from zhifa.records.tests.test_rollback import append, site  # noqa: F401

REPO = Path(__file__).resolve().parents[3]
sqlite_only = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="SQLite file-level test")


def _rewrite_manifest(backup: Path) -> None:
    """What an attacker who edits a backup also does: recompute the manifest's hashes."""
    manifest = json.loads((backup / MANIFEST).read_text())
    for rel, entry in manifest["files"].items():
        data = (backup / rel).read_bytes()
        entry.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    (backup / MANIFEST).write_text(json.dumps(manifest))
    (backup / SUMS).write_text("".join(f"{e['sha256']}  {r}\n" for r, e in sorted(manifest["files"].items())))


def _blob(root: Path, content: bytes) -> Path:
    digest = hashlib.sha256(content).hexdigest()
    path = root / "data" / "blobs" / digest[:2] / digest[2:4] / digest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.mark.usefixtures("ledger_db", "site")
def test_backup_holds_database_blobs_and_a_manifest(tmp_path: Path) -> None:
    append(9)
    checkpoint_create()
    blob = _blob(tmp_path, b"photo bytes")
    info = create_backup(tmp_path / "backups")
    assert info.path.name.startswith("zhifa-backup-") and not list((tmp_path / "backups").glob(".*"))
    manifest = read_manifest(info.path)
    size, root = tree_head()
    assert manifest["ledger"]["size"] == size == 9 and manifest["ledger"]["root"] == root.hex()
    assert manifest["ledger"]["log_key"]
    assert f"blobs/{blob.relative_to(tmp_path / 'data' / 'blobs').as_posix()}" in manifest["files"]
    assert check_backup_files(info.path, manifest) == []
    # sha256sum -c can check the backup without zhifa
    result = subprocess.run(["sha256sum", "-c", "--quiet", SUMS], cwd=info.path, capture_output=True, check=False)
    assert result.returncode == 0, result.stdout
    assert oct((info.path / manifest["database"]["file"]).stat().st_mode & 0o777) == "0o600"


@pytest.mark.usefixtures("ledger_db", "site")
def test_restore_checks_the_manifest_before_touching_anything(tmp_path: Path) -> None:
    append(4)
    blob = _blob(tmp_path, b"evidence")
    info = create_backup(tmp_path / "backups")
    copy = info.path / "blobs" / blob.relative_to(tmp_path / "data" / "blobs")
    copy.write_bytes(b"Evidence")  # flipped
    (info.path / "extra.txt").write_text("dropped in")
    append(2)
    with pytest.raises(BackupError) as exc:
        restore_backup(info.path, force=True)
    assert "已改变" in str(exc.value) and "清单外的文件：extra.txt" in str(exc.value)
    assert tree_head()[0] == 6  # nothing was restored
    (info.path / "extra.txt").unlink()
    copy.unlink()
    with pytest.raises(BackupError, match="缺失"):
        restore_backup(info.path, force=True)


@pytest.mark.usefixtures("ledger_db", "site")
def test_restore_needs_force_over_existing_data(tmp_path: Path) -> None:
    append(2)
    info = create_backup(tmp_path / "backups")
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(info.path))


@pytest.mark.usefixtures("ledger_db", "site")
def test_restore_brings_back_missing_blobs_and_never_overwrites(tmp_path: Path) -> None:
    append(3)
    kept, lost = _blob(tmp_path, b"kept"), _blob(tmp_path, b"lost")
    info = create_backup(tmp_path / "backups")
    lost.unlink()
    report = restore_backup(info.path, force=True)
    assert report.ok, report.problems
    assert lost.read_bytes() == b"lost"
    os.chmod(kept, 0o644)
    kept.write_bytes(b"changed on disk")
    report = restore_backup(info.path, force=True)
    assert not report.ok and any("未覆盖" in p for p in report.problems)
    assert kept.read_bytes() == b"changed on disk"  # the restore reports it; fixity decides what to do
    assert writes_refused()


@sqlite_only
@pytest.mark.usefixtures("ledger_db", "site")
def test_restore_of_a_tampered_ledger_is_refused(tmp_path: Path) -> None:
    """Flip one byte of one entry's canonical bytes in the backup copy (after dropping the trigger), fix up the
    manifest: the restore goes through, verification fails, and writes stay refused."""
    append(8)
    checkpoint_create()
    info = create_backup(tmp_path / "backups")
    db = sqlite3.connect(info.path / SQLITE_FILE)
    db.execute("DROP TRIGGER records_ledgerentry_no_update")
    canonical = bytearray(db.execute("SELECT canonical FROM records_ledgerentry WHERE seq = 3").fetchone()[0])
    canonical[-3] ^= 0x01
    db.execute("UPDATE records_ledgerentry SET canonical = ? WHERE seq = 3", [bytes(canonical)])
    db.commit()
    db.close()
    _rewrite_manifest(info.path)
    report = restore_backup(info.path, force=True)
    assert not report.ok
    assert any("第 3 条" in p for p in report.problems), report.problems
    with pytest.raises(LedgerError, match="拒绝写入"):
        append(1)
    with pytest.raises(RestoreRefused, match="校验未通过"):
        record_restore(operator="张三", reason="想绕过")
    with pytest.raises(CommandError, match="校验未通过"):
        call_command("restore", "--verify")


@pytest.mark.usefixtures("ledger_db", "site")
def test_restore_of_a_rewritten_ledger_is_refused(tmp_path: Path) -> None:
    """Any database: a DBA rewrote an entry (trigger bypassed) before the backup was taken."""
    append(8)
    checkpoint_create()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER records_ledgerentry_no_update")
        else:
            cursor.execute("ALTER TABLE records_ledgerentry DISABLE TRIGGER records_ledgerentry_no_change")
        cursor.execute("SELECT canonical FROM records_ledgerentry WHERE seq = 5")
        canonical = bytes(cursor.fetchone()[0]).replace(b'"i":5', b'"i":6')
        cursor.execute("UPDATE records_ledgerentry SET canonical = %s WHERE seq = 5", [canonical])
    info = create_backup(tmp_path / "backups")
    report = restore_backup(info.path, force=True)
    assert not report.ok and any("第 5 条" in p for p in report.problems)
    assert writes_refused()


@pytest.mark.usefixtures("ledger_db", "site")
def test_restore_without_the_log_key_is_not_accepted(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    append(3)
    checkpoint_create()
    info = create_backup(tmp_path / "backups")
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "elsewhere" / "missing.pem"
    report = restore_backup(info.path, force=True)
    assert not report.ok and any("签名密钥" in p for p in report.problems)
    assert writes_refused()
    report = restore_backup(info.path, force=True, log_vkey=info_log_key(info.path))
    assert report.ok, report.problems
    assert not writes_refused()


def info_log_key(backup: Path) -> str:
    return read_manifest(backup)["ledger"]["log_key"]


@pytest.mark.usefixtures("ledger_db", "site")
def test_a_backup_of_a_refusing_ledger_restores_refusing(tmp_path: Path) -> None:
    """A sound ledger that was refusing writes when it was backed up is still refusing after the restore."""
    append(3)
    refuse_writes(10)
    info = create_backup(tmp_path / "backups")
    report = restore_backup(info.path, force=True)
    assert report.ok and report.writes_refused
    with pytest.raises(LedgerError):
        append(1)
    with pytest.raises(CommandError, match="拒绝写入状态"):
        call_command("restore", "--force", str(info.path))
    record_restore(operator="张三", reason="核实：备份前的拒绝已处理")
    append(1)


# --- FC-6: backup while another process appends, restore into a fresh data directory ----------------------------

_WRITER = """
import hashlib, os, sys, time
from pathlib import Path
import django
django.setup()
from django.db import transaction
from zhifa.records.blobstore import default_store
from zhifa.records.ledger import ledger_append
stop, started = Path(sys.argv[1]), Path(sys.argv[2])
n = 0
while not stop.exists():
    with transaction.atomic():
        ledger_append(kind="test.load", stream="load", agency_id=None, actor=None, payload={"n": n})
    n += 1
    if n % 25 == 0:
        data = os.urandom(1000)  # a blob stored through the storage port (ADR 0026)
        source = Path(os.environ["ZHIFA_DATA_DIR"]) / f"blob-{n}"
        source.write_bytes(data)
        default_store().backend.put(hashlib.sha256(data).hexdigest(), source, len(data), link=False)
    if n == 50:
        started.touch()
print(n)
"""

_HEAD = """
import base64, json, sys
import django
django.setup()
from zhifa.records import ledger, merkle
from zhifa.records.models import LedgerEntry
size, root = ledger.tree_head()
out = {"size": size, "root": base64.b64encode(root).decode(), "count": LedgerEntry.objects.count()}
if len(sys.argv) > 1:  # prove that (old size, old root) is a prefix of this log
    old, old_root = int(sys.argv[1]), base64.b64decode(sys.argv[2])
    proof = ledger.consistency_proof(old, size)
    out["consistent"] = merkle.verify_consistency(old, size, old_root, root, proof)
print(json.dumps(out))
"""


def _zhifa(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "zhifa.cli", *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def _python(env: dict[str, str], code: str, *args: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(params=["sqlite", "postgresql"])
def two_sites(request, tmp_path: Path) -> Iterator[tuple[dict[str, str], dict[str, str]]]:  # type: ignore[no-untyped-def]
    """Environments for a live site and a fresh one to restore into: SQLite files, or (with DATABASE_URL) two new
    PostgreSQL databases on the same server."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ZHIFA_", "DATABASE_URL"))}
    base.update(DJANGO_SETTINGS_MODULE="zhifa.settings.test", ZHIFA_LEDGER_KEY_FILE=str(tmp_path / "keys" / "l.pem"))
    live = {**base, "ZHIFA_DATA_DIR": str(tmp_path / "live")}
    restored = {**base, "ZHIFA_DATA_DIR": str(tmp_path / "restored")}
    if request.param == "sqlite":
        yield live, restored
        return
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.skip("DATABASE_URL is not set")
    import psycopg

    names = [f"zhifa_fc6_{os.getpid()}_live", f"zhifa_fc6_{os.getpid()}_restored"]
    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))  # the database in DATABASE_URL need not exist
    with psycopg.connect(admin_url, autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
    live["DATABASE_URL"], restored["DATABASE_URL"] = (urlunsplit(parts._replace(path=f"/{n}")) for n in names)
    try:
        yield live, restored
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_fc6_backup_during_writes_restores_to_a_prefix_of_the_live_log(tmp_path: Path, two_sites) -> None:  # type: ignore[no-untyped-def]
    live, restored = two_sites
    _zhifa(live, "migrate", "-v0")
    _zhifa(live, "checkpoint")
    stop, started = tmp_path / "stop", tmp_path / "started"
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(stop), str(started)], env=live, cwd=REPO, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not started.exists():
            assert writer.poll() is None, writer.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        _zhifa(live, "backup", "--output", str(tmp_path / "backups"))
        time.sleep(0.3)  # the writer keeps going after the snapshot
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    (backup,) = (tmp_path / "backups").iterdir()
    manifest = read_manifest(backup)
    assert check_backup_files(backup, manifest) == []
    if manifest["database"]["vendor"] == "sqlite":
        integrity = sqlite3.connect(backup / SQLITE_FILE).execute("PRAGMA integrity_check").fetchone()[0]
        assert integrity == "ok"

    result = _zhifa(restored, "restore", str(backup))
    assert "账本校验通过" in result.stdout
    head = _python(restored, _HEAD)
    # counts equal the snapshot's, and its ledger head is the manifest's
    assert head["size"] == head["count"] == manifest["ledger"]["size"] >= 50
    assert base64.b64decode(head["root"]).hex() == manifest["ledger"]["root"]  # type: ignore[arg-type]
    # the restored head is a prefix of the live log
    live_head = _python(live, _HEAD, str(head["size"]), str(head["root"]))
    assert live_head["size"] >= head["size"] and live_head["consistent"] is True
    assert int(out) == live_head["size"]
    blobs = [p for p in (tmp_path / "restored" / "blobs").rglob("*") if p.is_file()]
    assert len(blobs) == sum(1 for rel in manifest["files"] if rel.startswith("blobs/")) >= 2
    # and a forged root is not a prefix
    forged = base64.b64encode(merkle.leaf_hash(b"forged")).decode()
    assert _python(live, _HEAD, str(head["size"]), forged)["consistent"] is False
    # the restored site accepts writes
    _zhifa(restored, "checkpoint")


@sqlite_only
@pytest.mark.django_db
def test_backup_inside_a_transaction_is_refused_not_hung(tmp_path: Path) -> None:
    """SQLite's backup step answers "locked" forever while this connection holds a write transaction (Python's
    `backup` retries without end); the backup refuses at once instead, as on PostgreSQL."""
    append(1)
    with pytest.raises(BackupError, match="不能在事务中备份"):
        create_backup(tmp_path / "backups")
    assert not (tmp_path / "backups").exists() or not any((tmp_path / "backups").iterdir())
