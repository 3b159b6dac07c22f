"""Power loss under SQLite, modelled with an APSW VFS (reliability.md FC-3; A8).

A Python VFS (inheriting the unix VFS, so locks and the WAL index work as usual) keeps every write in an in-memory
"page cache" per file and puts it on "disk" (the real file) only when SQLite calls xSync. At a randomly chosen sync
call the power fails instead: of every 512-byte sector written since its file's last sync, each independently
reaches the disk or not (dropped, reordered and torn writes all fall out of this), a grown file keeps its new
length or not, and from then on nothing reaches the disk. The connection is abandoned, the stale WAL index removed,
and the database reopened with Python's own sqlite3 (the SQLite the project runs on).

What must hold, in every trial:

* every transaction is all-or-nothing: each transaction inserts rows and a log row with their count and checksum,
  and deletes the rows of an earlier transaction; after the crash the committed transactions are a prefix, each
  with exactly its rows, and no row or deletion of an uncommitted one is visible;
* `PRAGMA integrity_check` answers ok;
* with the project's own SQLite settings (read from zhifa.settings, for the default database and for a
  `sqlite:///` DATABASE_URL, under the production settings module) every acknowledged commit survives — and the
  test fails if those settings are not WAL with synchronous=FULL.

A control run with synchronous=NORMAL must lose an acknowledged commit in some trial: that shows the model can fail.
APSW bundles its own (newer) SQLite for the writer; the reader is the system's.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

apsw = pytest.importorskip("apsw")
# Whatever SQLite does with the injected I/O errors while it unwinds is not this test's concern.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

PROJECT = Path(__file__).resolve().parents[3]
SECTOR = 512
TRANSACTIONS = 40
TRIALS = 30


class PowerFailure(Exception):
    """Raised inside the VFS once the power is off."""


class _Machine:
    """The shared state of one simulated machine: the files it has open and whether the power is on."""

    def __init__(self, rng: random.Random, crash_at_sync: int | None) -> None:
        self.rng = rng
        self.crash_at_sync = crash_at_sync
        self.syncs = 0
        self.dead = False
        self.files: list[_CachedFile] = []

    def power_fail(self) -> None:
        for f in self.files:
            f.lose_power()
        self.dead = True


class _CachedFile(apsw.VFSFile):  # type: ignore[misc, name-defined]
    def __init__(self, machine: _Machine, name: object, flags: list[int]) -> None:
        super().__init__("", name, flags)
        self.machine = machine
        size = super().xFileSize()
        self.cache = bytearray(super().xRead(size, 0)) if size else bytearray()
        self.disk_size = size
        self.dirty: set[int] = set()  # sector numbers written since the last sync
        self.shrunk = False
        machine.files.append(self)

    def excepthook(self, *exc_info: object) -> bool:
        return True  # the injected power failure is reported to SQLite as an I/O error; no need to print it

    # --- reads and writes hit the cache only -----------------------------------------------------------------
    def xRead(self, amount: int, offset: int) -> bytes:
        return bytes(self.cache[offset : offset + amount])  # short at the end of file, as SQLite expects

    def xWrite(self, data: bytes, offset: int) -> None:
        if self.machine.dead:
            raise apsw.IOError("power is off")
        data = bytes(data)
        end = offset + len(data)
        if end > len(self.cache):
            self.cache.extend(b"\0" * (end - len(self.cache)))
        self.cache[offset:end] = data
        self.dirty.update(range(offset // SECTOR, (end - 1) // SECTOR + 1))

    def xTruncate(self, newsize: int) -> None:
        if self.machine.dead:
            raise apsw.IOError("power is off")
        if newsize < len(self.cache):
            del self.cache[newsize:]
            self.shrunk = True
        else:
            self.cache.extend(b"\0" * (newsize - len(self.cache)))
        self.dirty = {s for s in self.dirty if s * SECTOR < newsize}

    def xFileSize(self) -> int:
        return len(self.cache)

    def xSync(self, flags: int) -> None:
        m = self.machine
        if m.dead:
            raise apsw.IOError("power is off")
        m.syncs += 1
        if m.crash_at_sync is not None and m.syncs >= m.crash_at_sync:
            m.power_fail()
            raise apsw.IOError("power failure")
        self._write_back(everything=True)

    # --- the disk ----------------------------------------------------------------------------------------------
    def _write_back(self, everything: bool) -> None:
        rng = self.machine.rng
        size = len(self.cache)
        if self.shrunk and (everything or rng.random() < 0.5):
            super().xTruncate(size)
            self.disk_size = min(self.disk_size, size)
            self.shrunk = False
        grow = size > self.disk_size and (everything or rng.random() < 0.5)
        limit = size if grow else self.disk_size
        for s in sorted(self.dirty):
            if not everything and rng.random() < 0.5:
                continue  # this sector never reached the platter
            start = s * SECTOR
            if start >= limit:
                continue
            chunk = bytes(self.cache[start : min(start + SECTOR, limit)])
            super().xWrite(chunk, start)
        if grow:
            super().xTruncate(size)
            self.disk_size = size
        self.dirty.clear()

    def lose_power(self) -> None:
        self._write_back(everything=False)


class _PowerLossVFS(apsw.VFS):  # type: ignore[misc, name-defined]
    def __init__(self, name: str, machine: _Machine) -> None:
        self.machine = machine
        super().__init__(name, "")

    def excepthook(self, *exc_info: object) -> bool:
        return True  # as in _CachedFile

    def xOpen(self, name: object, flags: list[int]) -> object:
        if name is None:  # temporary files: not part of the database
            return apsw.VFSFile("", name, flags)
        return _CachedFile(self.machine, name, flags)

    def xDelete(self, filename: str, syncdir: bool) -> None:
        if self.machine.dead:
            raise apsw.IOError("power is off")
        super().xDelete(filename, syncdir)


# ---------------------------------------------------------------------------------------------------------------
# The project's settings
# ---------------------------------------------------------------------------------------------------------------


def _production_init_commands(tmp_path: Path) -> list[str]:
    """The SQLite init_command of the production settings: default database and a `sqlite:///` DATABASE_URL."""
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {}).get('init_command', '')))"
    )
    commands = []
    for url in ("", f"sqlite:///{tmp_path / 'url.sqlite3'}"):
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("ZHIFA_")}
        env.update(
            DJANGO_SETTINGS_MODULE="zhifa.settings.production",
            ZHIFA_SECRET_KEY="x" * 50,
            ZHIFA_ALLOWED_HOSTS="zhifa.example.gov.cn",
            ZHIFA_DATA_DIR=str(tmp_path / "data"),
            ZHIFA_LEDGER_KEY_FILE=str(tmp_path / "keys" / "ledger.pem"),  # production keeps keys outside the data
            ZHIFA_PII_KEY_FILE=str(tmp_path / "keys" / "pii-master.key"),  # production requires the vault key (ADR 0018)
            PYTHONPATH=str(PROJECT),
        )
        if url:
            env["DATABASE_URL"] = url
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, f"the production settings did not load: {out.stderr[-2000:]}"
        commands.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return commands


def _pragmas(init_command: str) -> dict[str, str]:
    found = re.findall(r"PRAGMA\s+(\w+)\s*=\s*([\w-]+)", init_command, flags=re.IGNORECASE)
    return {k.lower(): v.upper() for k, v in found}


# ---------------------------------------------------------------------------------------------------------------
# The workload and the checks
# ---------------------------------------------------------------------------------------------------------------


def _rows(i: int) -> list[bytes]:
    rng = random.Random(i)
    return [rng.randbytes(rng.randint(10, 2500)) for _ in range(rng.randint(1, 12))]


def _digest(rows: list[bytes]) -> str:
    return hashlib.sha256(b"".join(hashlib.sha256(r).digest() for r in rows)).hexdigest()


def _victim(i: int) -> int | None:
    """Each transaction from the 6th on also deletes the rows of an earlier one (and says so in its log row)."""
    return i - 5 if i > 5 and i % 3 == 0 else None


def _workload(path: Path, init_command: str, machine: _Machine, vfs_name: str) -> int:
    """Run the transactions; return how many were acknowledged (their COMMIT returned)."""
    vfs = _PowerLossVFS(vfs_name, machine)
    acked = 0
    conn = None
    try:
        conn = apsw.Connection(str(path), vfs=vfs_name)
        for stmt in init_command.split(";"):
            if stmt.strip():
                conn.execute(stmt)
        conn.execute("PRAGMA wal_autocheckpoint=40")  # checkpoints (db-file syncs) happen within the run
        conn.execute(
            "BEGIN IMMEDIATE;"
            "CREATE TABLE IF NOT EXISTS item (id INTEGER PRIMARY KEY, txn INTEGER NOT NULL, body BLOB NOT NULL);"
            "CREATE INDEX IF NOT EXISTS item_txn ON item(txn);"
            "CREATE TABLE IF NOT EXISTS txlog (txn INTEGER PRIMARY KEY, n INTEGER, digest TEXT, deleted INTEGER);"
            "COMMIT;"
        )
        for i in range(1, TRANSACTIONS + 1):
            rows = _rows(i)
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO item (txn, body) VALUES (?, ?)", [(i, r) for r in rows])
            victim = _victim(i)
            if victim is not None:
                conn.execute("DELETE FROM item WHERE txn = ?", (victim,))
            conn.execute("INSERT INTO txlog VALUES (?, ?, ?, ?)", (i, len(rows), _digest(rows), victim))
            conn.execute("COMMIT")
            acked = i
    except (apsw.Error, PowerFailure):
        pass
    finally:
        # The machine is gone: nothing of this connection may reach the disk any more.
        machine.dead = True
        if conn is not None:
            try:
                conn.close(True)
            except apsw.Error:
                pass
        vfs.unregister()
    return acked


def _check(path: Path) -> int:
    """Reopen after the crash; assert all-or-nothing and integrity; return the number of committed transactions."""
    Path(f"{path}-shm").unlink(missing_ok=True)  # shared memory does not survive a power failure
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "txlog" not in tables:
            assert "item" not in tables
            return 0
        log = conn.execute("SELECT txn, n, digest, deleted FROM txlog ORDER BY txn").fetchall()
        committed = [r[0] for r in log]
        assert committed == list(range(1, len(committed) + 1)), "committed transactions are not a prefix"
        deleted = {r[3] for r in log if r[3] is not None}
        for txn, n, digest, _ in log:
            got = [b for (b,) in conn.execute("SELECT body FROM item WHERE txn = ? ORDER BY id", (txn,))]
            if txn in deleted:
                assert got == [], f"transaction {txn}: rows survive its committed deletion"
            else:
                assert len(got) == n and _digest(got) == digest, f"transaction {txn} is not all there"
                assert got == _rows(txn)
        stray = conn.execute("SELECT COUNT(*) FROM item WHERE txn > ?", (len(committed),)).fetchone()[0]
        assert stray == 0, "rows of an uncommitted transaction are visible"
        return len(committed)
    finally:
        conn.close()


def _count_syncs(tmp_path: Path, init_command: str) -> int:
    machine = _Machine(random.Random(0), crash_at_sync=None)
    acked = _workload(tmp_path / "count.sqlite3", init_command, machine, "fc3count")
    assert acked == TRANSACTIONS
    return machine.syncs


def _trials(tmp_path: Path, init_command: str, seed: int) -> list[tuple[int, int]]:
    """(acknowledged, survived) for each trial."""
    syncs = _count_syncs(tmp_path, init_command)
    rng = random.Random(seed)
    results = []
    for t in range(TRIALS):
        path = tmp_path / f"trial{t}.sqlite3"
        machine = _Machine(random.Random(rng.random()), crash_at_sync=rng.randint(1, max(syncs, 1)))
        acked = _workload(path, init_command, machine, f"fc3t{t}")
        results.append((acked, _check(path)))
    return results


def test_production_sqlite_settings_are_wal_and_full(tmp_path: Path) -> None:
    """FC-3: production SQLite is WAL + synchronous=FULL, also when DATABASE_URL names a sqlite:/// file."""
    for command in _production_init_commands(tmp_path):
        pragmas = _pragmas(command)
        assert pragmas.get("journal_mode") == "WAL", command
        assert pragmas.get("synchronous") in ("FULL", "2", "EXTRA", "3"), command


def test_power_loss_keeps_every_acknowledged_commit(tmp_path: Path) -> None:
    """FC-3: power fails at a random sync; transactions all-or-nothing, integrity ok, acknowledged commits survive."""
    init_command = _production_init_commands(tmp_path)[0]
    assert _pragmas(init_command).get("synchronous") in ("FULL", "2", "EXTRA", "3"), init_command
    results = _trials(tmp_path, init_command, seed=2026)
    for acked, survived in results:
        assert survived >= acked, f"acknowledged {acked} commits, {survived} survived the power failure"
        assert survived <= acked + 1  # at most the one in flight at the crash
    assert any(a < TRANSACTIONS for a, _ in results)  # the crashes did happen mid-run


def test_model_catches_lost_commits_with_synchronous_normal(tmp_path: Path) -> None:
    """FC-3 control: with synchronous=NORMAL (WAL) the same model must lose an acknowledged commit."""
    init_command = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    results = _trials(tmp_path, init_command, seed=7)
    assert any(survived < acked for acked, survived in results), results
