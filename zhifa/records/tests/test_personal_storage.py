"""Personal data at rest on disk (issue 9 defect 8; PV-4; ADR 0018): SQLite zeroes deleted content
(`secure_delete=ON` in the settings' connection options), the data folder is 0700 and its files 0600."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

PROJECT = Path(__file__).resolve().parents[3]
MARKER = "张秀英430682198005010616"


def _init_command() -> str:
    return settings.DATABASES["default"].get("OPTIONS", {}).get("init_command", "")


def _delete_and_scan(db: Path, init_command: str) -> bytes:
    con = sqlite3.connect(db, isolation_level=None)
    con.executescript(init_command)
    con.execute("CREATE TABLE party (id INTEGER PRIMARY KEY, name TEXT, filler TEXT)")
    con.executemany("INSERT INTO party (name, filler) VALUES (?, ?)",
                    [(f"当事人{i}", "x" * 200) for i in range(50)] + [(MARKER, "y" * 200)])
    con.execute("DELETE FROM party WHERE name = ?", (MARKER,))
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = db.read_bytes() + (Path(f"{db}-wal").read_bytes() if Path(f"{db}-wal").exists() else b"")
    con.close()
    return raw


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite deployment")
def test_pv4_deleted_personal_data_is_gone_from_the_sqlite_file_and_wal_after_checkpoint(tmp_path: Path) -> None:
    """PV-4: with the settings' connection options, a deleted row's personal data is absent from the database file
    and its -wal after a checkpoint; the same steps without secure_delete leave it there (the test can fail)."""
    init = _init_command()
    assert "secure_delete=ON" in init
    assert MARKER.encode() not in _delete_and_scan(tmp_path / "on.sqlite3", init)
    off = init.replace("PRAGMA secure_delete=ON;", "PRAGMA secure_delete=OFF;")
    assert MARKER.encode() in _delete_and_scan(tmp_path / "off.sqlite3", off)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite deployment")
def test_pv4_django_connections_have_secure_delete_on() -> None:
    with connection.cursor() as cur:
        cur.execute("PRAGMA secure_delete")
        assert cur.fetchone()[0] == 1


def test_data_folder_is_0700_and_its_files_0600_at_start(tmp_path: Path) -> None:
    """Issue 9 defect 8: a data folder left 0755 with a 0644 database (as older versions made them) is 0700 / 0600
    after start-up; the database, the secret key and the personal-data master key created then are 0600."""
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    old_db = data / "zhifa.sqlite3"
    old_db.write_bytes(b"")
    old_db.chmod(0o644)
    code = (
        "import django, os; django.setup()\n"
        "from django.db import connection\n"
        "connection.ensure_connection(); connection.cursor().execute('CREATE TABLE t (x)')\n"
        "from zhifa.records.personal import current_key; current_key()\n"
    )
    env = {**os.environ, "ZHIFA_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "zhifa.settings",
           "PYTHONPATH": str(PROJECT)}
    for name in ("DATABASE_URL", "ZHIFA_PII_KEY_FILE", "ZHIFA_SECRET_KEY"):
        env.pop(name, None)
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=tmp_path, timeout=120)
    mode = {p.name: oct(p.stat().st_mode & 0o777) for p in data.rglob("*")}
    assert oct(data.stat().st_mode & 0o777) == "0o700"
    assert mode["zhifa.sqlite3"] == "0o600" and mode["secret_key"] == "0o600"
    assert mode["keys"] == "0o700" and mode["pii-master.key"] == "0o600"
    assert all(m in ("0o600", "0o700") for m in mode.values()), mode


def test_production_refuses_to_start_without_a_personal_data_key_file(tmp_path: Path) -> None:
    """ADR 0018: production settings require ZHIFA_PII_KEY_FILE (never created there)."""
    env = {**os.environ, "ZHIFA_DATA_DIR": str(tmp_path / "data"), "DJANGO_SETTINGS_MODULE": "zhifa.settings.production",
           "ZHIFA_SECRET_KEY": "x" * 50, "PYTHONPATH": str(PROJECT)}
    env.pop("ZHIFA_PII_KEY_FILE", None)
    env.pop("ZHIFA_KEY_DIR", None)
    code = "import django; django.setup()"
    run = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode != 0 and "ZHIFA_PII_KEY_FILE" in run.stderr
    # ADR 0030: naming the one key location is enough; the key is then <ZHIFA_KEY_DIR>/pii-master.key.
    env["ZHIFA_KEY_DIR"] = str(tmp_path / "keys")
    code = "import django; django.setup(); from django.conf import settings; print(settings.ZHIFA_PII_KEY_FILE)"
    run = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(tmp_path / "keys" / "pii-master.key")


def test_deploy_check_names_a_readable_key_or_one_inside_the_data_folder(settings, tmp_path: Path) -> None:
    from zhifa.records.checks import personal_data_key

    settings.DATA_DIR = tmp_path / "data"
    key = tmp_path / "data" / "keys" / "pii.key"
    key.parent.mkdir(parents=True)
    key.write_text("00" * 32)
    key.chmod(0o644)
    settings.ZHIFA_PII_KEY_FILE = key
    assert {m.id for m in personal_data_key()} == {"zhifa.E022", "zhifa.W022"}
    outside = tmp_path / "pii.key"
    outside.write_text("00" * 32)
    outside.chmod(0o600)
    settings.ZHIFA_PII_KEY_FILE = outside
    assert personal_data_key() == []
    settings.ZHIFA_PII_KEY_FILE, settings.ZHIFA_PII_KEY_REQUIRED = tmp_path / "missing.key", True
    assert [m.id for m in personal_data_key()] == ["zhifa.E022"]
