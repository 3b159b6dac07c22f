"""Backup and restore of the database and the evidence blobs, with a fixity manifest (reliability.md A8, FC-6).

A backup is a directory `zhifa-backup-<UTC time>/`:
    database.sqlite3 | database.dump   SQLite online-backup copy (consistent while writes go on), or `pg_dump -Fc`
                                       taken in an exported REPEATABLE READ snapshot
    blobs/ab/cd/<sha256>               every blob of the storage backend (ADR 0026), copied (local backend: or
                                       hard-linked with link_blobs=True) after the database, so every blob the
                                       database refers to is present
    cosigned/<size>.txt                witness-cosigned checkpoints (DATA_DIR/cosigned)
    manifest.json                      format, time, database vendor, the ledger's size and root in that database
                                       snapshot, the log's public key, and SHA-256 and size of every file
    manifest-sha256.txt                the same hashes as `sha256sum -c` reads them
It is written under a hidden `.partial` name and renamed when complete, so a half-written backup never looks whole.
The log's signing key is NOT in the backup: keep ZHIFA_LEDGER_KEY_FILE (and its backup) apart from the data.

A restore first checks every file against the manifest (nothing is touched if one is changed, missing or extra), then
replaces the database, adds missing blobs (never overwriting one), and puts the ledger into refusal while it
re-verifies it (`rollback.verify_ledger`). Only a ledger that verifies and matches the manifest gets its writes back;
then the start-up rollback check against the witness runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from zhifa.common.files import fsync_dir
from zhifa.common.storage import SHA256_RE, BlobConflict
from zhifa.records import ledger, merkle
from zhifa.records.blobstore import default_store
from zhifa.records.models import LedgerHead
from zhifa.records.rollback import (
    RollbackStatus,
    VerifyReport,
    check_against_witness,
    cosigned_dir,
    log_key_available,
    refuse_writes,
    set_witnessed_size,
    verify_ledger,
    writes_refused,
)

FORMAT = "zhifa-backup/1"
MANIFEST = "manifest.json"
SUMS = "manifest-sha256.txt"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
_CHUNK = 1 << 20


class BackupError(Exception):
    """The backup cannot be made or restored; nothing was changed unless the message says so."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    ledger_size: int
    ledger_root: bytes
    files: int
    total_bytes: int


@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    verify: VerifyReport | None = None
    problems: list[str] = field(default_factory=list)
    rollback: RollbackStatus | None = None
    writes_refused: bool = True  # the ledger's state when the restore finished

    @property
    def ok(self) -> bool:
        return not self.problems


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _copy_file(src: Path, dst: Path, *, link: bool = False) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if link:
        try:
            os.link(src, dst)
            return
        except OSError:  # another file system, or links not allowed: copy
            pass
    with open(src, "rb") as fin, open(dst, "xb") as fout:
        shutil.copyfileobj(fin, fout, _CHUNK)
        fout.flush()
        os.fsync(fout.fileno())
    shutil.copystat(src, dst)


def _regular_files(root: Path) -> Iterator[Path]:
    """Regular files under `root`, sorted; symbolic links are not followed (a blob store has none)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _pg_tool(name: str) -> str:
    """A PostgreSQL client program: the newest /usr/lib/postgresql/<version>/bin first (pg_dump must not be older
    than the server), then PATH."""
    base = Path("/usr/lib/postgresql")
    if base.is_dir():
        versions = sorted((p for p in base.iterdir() if p.name.isdigit()), key=lambda p: int(p.name), reverse=True)
        for version in versions:
            candidate = version / "bin" / name
            if candidate.exists():
                return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"找不到 PostgreSQL 工具 {name}。")
    return found


def _pg_args() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _head_in_sqlite_file(path: Path) -> tuple[int, bytes]:
    """Ledger size and root inside a SQLite database file, from its stored perfect subtrees."""
    con = sqlite3.connect(path)
    try:
        row = con.execute("SELECT size FROM records_ledgerhead WHERE id = 1").fetchone()
        size = int(row[0]) if row else 0
        if size == 0:
            return 0, merkle.EMPTY_ROOT
        blocks = merkle.perfect_blocks(0, size)
        keys = [ledger.node_key(level, index) for level, index in blocks]
        found = dict(con.execute(
            f"SELECT key, hash FROM records_ledgernode WHERE key IN ({','.join('?' * len(keys))})", keys
        ).fetchall())
        if len(found) != len(keys):
            raise BackupError("备份中的账本缺少子树哈希，无法计算根哈希。")
        return size, merkle.fold_blocks([bytes(found[k]) for k in keys])
    finally:
        con.close()


def _backup_sqlite(target: Path) -> tuple[int, bytes]:
    """Copy the database with SQLite's online backup API: one read transaction, so a consistent snapshot even while
    other connections write (copying the file could yield a corrupt copy). Never inside a transaction of this
    connection: SQLite's backup step then answers "locked" on every try and Python's `backup` retries forever (what
    made a backup called from a test wrapped in a transaction hang)."""
    if connection.in_atomic_block:
        raise BackupError("不能在事务中备份。")
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        connection.connection.backup(destination)
        destination.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        check = destination.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        destination.close()
    if check != "ok":
        raise BackupError(f"备份副本未通过 integrity_check：{check}")
    os.chmod(target, 0o600)
    with open(target, "rb") as f:
        os.fsync(f.fileno())
    return _head_in_sqlite_file(target)


def _backup_postgres(target: Path) -> tuple[int, bytes]:
    """`pg_dump -Fc` in a snapshot exported from our own REPEATABLE READ transaction, in which we also read the
    ledger head: the manifest's size and root are exactly those of the dump."""
    if connection.in_atomic_block:
        raise BackupError("不能在事务中备份。")
    args, env = _pg_args()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        size, root = ledger.tree_head()
        result = subprocess.run(
            [_pg_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", "--file", str(target), *args,
             "--dbname", str(connection.settings_dict["NAME"])],
            env=env, capture_output=True, text=True, check=False,
        )
    if result.returncode != 0:
        raise BackupError(f"pg_dump 失败：{result.stderr.strip()}")
    os.chmod(target, 0o600)
    return size, root


def _log_vkey_or_none() -> str | None:
    if not log_key_available():
        return None
    from zhifa.records.checkpoints import public_key

    return public_key()


def create_backup(output_dir: Path | None = None, *, link_blobs: bool = False) -> BackupInfo:
    """Write a backup directory under `output_dir` (default DATA_DIR/backups) and return what it holds."""
    output_dir = Path(output_dir) if output_dir else Path(settings.DATA_DIR) / "backups"
    output_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    started = datetime.now(UTC)
    final = output_dir / f"zhifa-backup-{started.strftime('%Y%m%dT%H%M%S%fZ')}"
    if final.exists():
        raise BackupError(f"{final} 已存在。")
    work = output_dir / f".{final.name}.partial"
    work.mkdir(mode=0o700)
    try:
        vendor = connection.vendor
        if vendor == "sqlite":
            database_file = SQLITE_FILE
            size, root = _backup_sqlite(work / database_file)
        elif vendor == "postgresql":
            database_file = PG_FILE
            size, root = _backup_postgres(work / database_file)
        else:  # pragma: no cover
            raise BackupError(f"不支持的数据库：{vendor}")
        # Blobs after the database: every blob the snapshot refers to was written before its row committed.
        # They come through the storage port (ADR 0026), whichever backend holds them; only blob names are copied.
        store = default_store()
        for _where, sha in store.walk():
            if sha is not None:
                dst = work / "blobs" / _blob_rel(sha)
                dst.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                store.backend.copy_to(sha, dst, link=link_blobs)
        copies: list[tuple[Path, Path, bool]] = []
        if cosigned_dir().is_dir():
            copies += [(p, work / "cosigned" / p.relative_to(cosigned_dir()), False)
                       for p in _regular_files(cosigned_dir())]
        for src, dst, link in copies:
            _copy_file(src, dst, link=link)
        files: dict[str, dict[str, Any]] = {}
        for path in _regular_files(work):
            rel = path.relative_to(work).as_posix()
            files[rel] = {"sha256": _sha256_file(path), "size": path.stat().st_size}
        manifest = {
            "format": FORMAT,
            "created_at": started.isoformat().replace("+00:00", "Z"),
            "database": {"vendor": vendor, "file": database_file},
            "ledger": {
                "origin": settings.ZHIFA_LEDGER_ORIGIN, "size": size, "root": root.hex(),
                "log_key": _log_vkey_or_none(),
            },
            "files": files,
        }
        _write_synced(work / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
        sums = "".join(f"{entry['sha256']}  {rel}\n" for rel, entry in sorted(files.items()))
        _write_synced(work / SUMS, sums.encode())
        for directory in sorted({p.parent for p in work.rglob("*")} | {work}, key=lambda p: len(p.parts),
                                reverse=True):
            fsync_dir(directory)
        os.rename(work, final)
        fsync_dir(output_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    total = sum(entry["size"] for entry in files.values())
    return BackupInfo(final, size, root, len(files), total)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(path, 0o600)


# --- Restore -----------------------------------------------------------------------------------------------------


def read_manifest(backup_dir: Path) -> dict[str, Any]:
    path = Path(backup_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{backup_dir} 不是备份目录（缺少 {MANIFEST}）。") from exc
    except ValueError as exc:
        raise BackupError(f"{path} 无法解析：{exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不支持的备份格式：{manifest.get('format')!r}")
    return manifest


def check_backup_files(backup_dir: Path, manifest: dict[str, Any]) -> list[str]:
    """Fixity of the backup: every listed file present with its size and SHA-256, and no unlisted file."""
    backup_dir = Path(backup_dir)
    problems = []
    listed = manifest["files"]
    for rel, entry in sorted(listed.items()):
        path = backup_dir / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            problems.append(f"清单中的路径不安全：{rel}")
        elif path.is_symlink():
            problems.append(f"是符号链接：{rel}")
        elif not path.is_file():
            problems.append(f"缺失：{rel}")
        elif path.stat().st_size != entry["size"] or _sha256_file(path) != entry["sha256"]:
            problems.append(f"已改变：{rel}")
    for path in _regular_files(backup_dir):
        rel = path.relative_to(backup_dir).as_posix()
        if rel not in listed and rel not in (MANIFEST, SUMS):
            problems.append(f"清单外的文件：{rel}")
    return problems


def _has_tables() -> bool:
    with connection.cursor() as cursor:
        return bool(connection.introspection.table_names(cursor))


def _restore_sqlite(path: Path) -> None:
    """Copy the backup into the configured database through the backup API (which locks and rewrites the
    destination properly even in WAL mode, unlike copying the file over it), then check its integrity."""
    if connection.in_atomic_block:
        raise BackupError("不能在事务中恢复。")
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        connection.ensure_connection()
        source.backup(connection.connection)
    except sqlite3.Error as exc:
        raise BackupError(f"复制备份数据库时出错（文件可能已损坏）：{exc}") from exc
    finally:
        source.close()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA integrity_check")
        check = cursor.fetchone()[0]
    if check != "ok":
        raise BackupError(f"恢复后的数据库未通过 integrity_check：{check}")


def _restore_postgres(path: Path) -> None:
    args, env = _pg_args()
    connection.close()
    result = subprocess.run(
        [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
         *args, "--dbname", str(connection.settings_dict["NAME"]), str(path)],
        env=env, capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore 失败（数据库未改变）：{result.stderr.strip()}")


def _blob_rel(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def _restore_blobs(source: Path, problems: list[str]) -> int:
    """Store the backup's blobs through the storage port: a missing one is added, an existing one must be intact
    (it is never overwritten)."""
    added = 0
    if not source.is_dir():
        return 0
    store = default_store()
    for src in _regular_files(source):
        sha = src.name
        if not SHA256_RE.match(sha) or src.relative_to(source).as_posix() != _blob_rel(sha):
            problems.append(f"备份中的文件不是证据文件，未恢复：{src}")
            continue
        try:
            added += int(store.backend.put(sha, src, src.stat().st_size, link=False))
        except BlobConflict:
            problems.append(f"现有文件与备份不同，未覆盖：{store.location(sha)}")
    return added


def _restore_tree(source: Path, target: Path, problems: list[str]) -> int:
    """Add the files of `source` missing under `target`; an existing file must be identical (never overwritten)."""
    added = 0
    if not source.is_dir():
        return 0
    for src in _regular_files(source):
        dst = target / src.relative_to(source)
        if dst.exists():
            if _sha256_file(dst) != _sha256_file(src):
                problems.append(f"现有文件与备份不同，未覆盖：{dst}")
            continue
        _copy_file(src, dst)
        added += 1
    return added


def restore_backup(backup_dir: Path, *, force: bool = False, log_vkey: str | None = None) -> RestoreReport:
    """Restore a backup into the configured database and blob directory, then verify the ledger.

    Raises BackupError (nothing changed) if the backup fails its manifest, is for another database vendor, or the
    database already has tables and `force` is not set. Otherwise returns a report; if it is not `ok`, the ledger
    is left refusing writes."""
    backup_dir = Path(backup_dir)
    manifest = read_manifest(backup_dir)
    problems = check_backup_files(backup_dir, manifest)
    if problems:
        raise BackupError("备份未通过校验，未做任何恢复：\n" + "\n".join(problems))
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(f"备份来自 {vendor} 数据库，当前配置的是 {connection.vendor}。")
    if manifest["ledger"]["origin"] != settings.ZHIFA_LEDGER_ORIGIN:
        raise BackupError(f"备份属于账本 {manifest['ledger']['origin']}，当前配置的是 {settings.ZHIFA_LEDGER_ORIGIN}。")
    if _has_tables() and not force:
        raise BackupError("目标数据库已有数据：确认应用已停止、要覆盖现有数据后，加 --force 重试。")
    database = backup_dir / manifest["database"]["file"]
    if vendor == "sqlite":
        from zhifa.records.dbcheck import sqlite_problems

        damaged = sqlite_problems(str(database), full=True)  # defect 11: in words, before anything is touched
        if damaged:
            raise BackupError("备份中的数据库文件已损坏，未做任何恢复：\n" + "\n".join(damaged))
        _restore_sqlite(database)
    else:
        _restore_postgres(database)

    # From here on the database is the backup's. Refuse writes until it has been verified.
    report = RestoreReport(manifest=manifest)
    restored_witnessed = LedgerHead.objects.filter(pk=1).values_list("witnessed_size", flat=True).first() or 0
    head_size, _root = ledger.tree_head()
    refuse_writes(head_size + 1)
    _restore_blobs(backup_dir / "blobs", report.problems)
    _restore_tree(backup_dir / "cosigned", cosigned_dir(), report.problems)

    manifest_key = manifest["ledger"].get("log_key")
    if log_vkey is None and not log_key_available() and manifest_key:
        report.problems.append("本机没有账本签名密钥：请先恢复密钥文件（ZHIFA_LEDGER_KEY_FILE），或用 --log-key 指定公钥。")
    elif manifest_key and (log_vkey or _log_vkey_or_none()) not in (None, manifest_key):
        report.problems.append("备份记录的账本公钥与本机使用的公钥不同。")
    report.verify = verify_ledger(log_vkey)
    report.problems += report.verify.problems
    expected = (manifest["ledger"]["size"], manifest["ledger"]["root"])
    if (report.verify.size, report.verify.root.hex()) != expected:
        report.problems.append(
            f"恢复后的账本（{report.verify.size}）与备份清单记录的账本（{expected[0]}）不符。"
        )
    if report.ok:
        set_witnessed_size(restored_witnessed)
        report.rollback = check_against_witness()
    report.writes_refused = writes_refused()
    return report
