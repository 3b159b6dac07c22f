"""Issue 9 defect 11 (a corrupt database starts), reliability.md FC-8 (SQLite b-tree part), ADR 0017: after bytes
are flipped in a b-tree page, start-up (`zhifa run`, `zhifa check --deploy`) refuses with a clear message and an
exit status that tells the supervisor not to restart, `zhifa restore --verify` reports the corruption in words, and
restoring a backup whose database is corrupt is refused before anything is touched — never a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from zhifa.records import dbcheck
from zhifa.records.backup import BackupError, create_backup, restore_backup
from zhifa.records.startup import EXIT_CORRUPT
from zhifa.records.tests.test_backup import _rewrite_manifest, sqlite_only
from zhifa.records.tests.test_rollback import append, site  # noqa: F401

REPO = Path(__file__).resolve().parents[3]


def corrupt_btree_page(path: Path, table: str = "django_migrations") -> None:
    """Flip the cell pointer array of `table`'s root b-tree page, as a failing disk or an attacker might."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", [table]).fetchone()[0]
    con.close()
    with open(path, "r+b") as f:
        offset = (root - 1) * page_size + (100 if root == 1 else 0)
        f.seek(offset + 8)
        chunk = bytearray(f.read(32))
        f.seek(offset + 8)
        f.write(bytes(b ^ 0xA5 for b in chunk))


def test_quick_check_names_the_damage(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, name TEXT)")
    con.executemany("INSERT INTO django_migrations (name) VALUES (?)", [(f"m{i:04d}",) for i in range(50)])
    con.commit()
    con.close()
    assert dbcheck.sqlite_problems(str(path)) == []
    corrupt_btree_page(path)
    problems = dbcheck.sqlite_problems(str(path))
    assert problems and all(p.startswith("数据库完整性检查未通过") for p in problems)
    assert dbcheck.sqlite_problems(str(tmp_path / "missing" / "nothing.sqlite3"))  # cannot open: words too


@sqlite_only
@pytest.mark.usefixtures("ledger_db")
def test_restoring_a_backup_with_a_corrupt_database_is_refused_in_words(site: Path) -> None:  # noqa: F811
    append(5)
    backup = create_backup(site / "backups")
    corrupt_btree_page(backup.path / "database.sqlite3")
    _rewrite_manifest(backup.path)  # the manifest agrees: only the database's own check can tell
    with pytest.raises(BackupError, match="备份中的数据库文件已损坏，未做任何恢复"):
        restore_backup(backup.path, force=True)


@pytest.fixture(scope="module")
def corrupt_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    data = tmp_path_factory.mktemp("corrupt") / "data"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zhifa.settings", "ZHIFA_DATA_DIR": str(data),
           "PYTHONPATH": str(REPO), "ZHIFA_LEDGER_KEY_FILE": str(data.parent / "keys" / "ledger.pem")}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "zhifa.cli", "migrate", "-v0"], env=env, check=True, timeout=300)
    corrupt_btree_page(data / "zhifa.sqlite3")
    return data, env


def zhifa(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zhifa.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def test_start_up_refuses_a_corrupt_database(corrupt_site: tuple[Path, dict[str, str]]) -> None:
    """Defect 11: `zhifa run` stops before migrating or serving, with exit status 78 (RestartPreventExitStatus)."""
    _data, env = corrupt_site
    result = zhifa(env, "run", "--bind", "127.0.0.1:8121", "--no-demo")
    assert result.returncode == EXIT_CORRUPT, result.stdout + result.stderr
    assert "数据库完整性检查未通过，拒绝启动" in result.stderr
    assert "Traceback" not in result.stderr
    check = zhifa(env, "check", "--deploy")
    assert check.returncode != 0 and "zhifa.E021" in check.stderr and "Traceback" not in check.stderr


def test_restore_verify_reports_corruption_in_words(corrupt_site: tuple[Path, dict[str, str]]) -> None:
    _data, env = corrupt_site
    result = zhifa(env, "restore", "--verify")
    assert result.returncode == 1
    assert "数据库文件已损坏，校验无法进行" in result.stderr
    assert "Traceback" not in result.stderr
