"""PostgreSQL crash: kill -9 of the postmaster and its backends during a write burst (reliability.md FC-2; A8).

Runs only in the PostgreSQL pass of `.ci/run` (DATABASE_URL is postgres://, PostgreSQL 15 installed, root to `su
postgres`). It starts its own throwaway cluster (initdb as the postgres user, like .ci/run, on a free loopback port
in a temporary folder), so killing it harms nothing else, and checks first that the durability settings are the
safe ones: `fsync=on`, `synchronous_commit=on` on the server, and no `synchronous_commit` override in the project's
database OPTIONS.

A writer subprocess mirrors what an evidence upload does (zhifa.records.blobstore + evidence_create): write the blob
file under its SHA-256 name and fsync it, then in one transaction insert the blob row and the evidence row, commit,
and only then journal the evidence id as acknowledged (fsynced). Two writer threads run until the server dies: after
a random 1-2 s the postmaster and all its children get SIGKILL. The cluster is restarted (crash recovery), and:

* every acknowledged evidence id is present, with its blob row;
* no evidence row lacks its blob row, and every blob row's file exists and hashes to its name;
* PostgreSQL's amcheck finds the tables' indexes consistent.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

PGBIN = Path("/usr/lib/postgresql/15/bin")

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    or not PGBIN.is_dir()
    or os.geteuid() != 0
    or shutil.which("su") is None,
    reason="PostgreSQL pass only (DATABASE_URL=postgres://..., PostgreSQL 15, root for `su postgres`)",
)

WRITER = textwrap.dedent(
    '''
    import hashlib, os, sys, threading, uuid
    import psycopg

    dsn, blob_dir, journal_path = sys.argv[1:4]
    lock = threading.Lock()
    journal = open(journal_path, "a")

    def acknowledge(evidence_id):
        with lock:
            journal.write(evidence_id + "\\n")
            journal.flush()
            os.fsync(journal.fileno())

    def writer(seed):
        try:
            conn = psycopg.connect(dsn)
            n = 0
            while True:
                n += 1
                body = os.urandom(256 + (seed * 7919 + n * 104729) % 8192)
                name = hashlib.sha256(body).hexdigest()
                final = os.path.join(blob_dir, name)
                tmp = final + ".tmp-" + uuid.uuid4().hex
                with open(tmp, "wb") as fh:
                    fh.write(body)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, final)
                evidence_id = str(uuid.uuid4())
                with conn.transaction():
                    conn.execute(
                        "INSERT INTO blob (sha256, size) VALUES (%s, %s) ON CONFLICT DO NOTHING", (name, len(body))
                    )
                    conn.execute("INSERT INTO evidence (id, blob_sha256) VALUES (%s, %s)", (evidence_id, name))
                acknowledge(evidence_id)
        except Exception:
            return

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    '''
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _su(cmd: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["su", "postgres", "-c", cmd], capture_output=True, text=True, timeout=timeout)


def _psql(port: int, sql: str) -> str:
    out = subprocess.run(
        [str(PGBIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "fc2", "-XAtq", "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return out.stdout.strip()


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def test_kill_9_postmaster_during_writes_keeps_acknowledged_commits() -> None:
    """FC-2: fsync and synchronous_commit on; after kill -9 and recovery every acknowledged commit and blob is there."""
    from django.conf import settings

    options = settings.DATABASES["default"].get("OPTIONS", {})
    assert "synchronous_commit" not in str(options.get("options", "")), options

    work = Path(tempfile.mkdtemp(prefix="zhifa-fc2-"))
    shutil.chown(work, "postgres", "postgres")
    data, port = work / "data", _free_port()
    start = (
        f"{PGBIN}/pg_ctl -D {data} -o '-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={work}' "
        f"-l {work}/pg.log -w start"
    )
    try:
        init = _su(f"{PGBIN}/initdb -D {data} -U postgres --auth=trust -E UTF8 --locale=C.UTF-8")
        assert init.returncode == 0, init.stderr
        started = _su(start)
        assert started.returncode == 0, started.stderr + (work / "pg.log").read_text(errors="replace")
        subprocess.run(
            [str(PGBIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "fc2"],
            check=True,
            timeout=60,
        )
        assert _psql(port, "SHOW fsync") == "on"
        assert _psql(port, "SHOW synchronous_commit") == "on"
        _psql(
            port,
            "CREATE EXTENSION amcheck;"
            "CREATE TABLE blob (sha256 char(64) PRIMARY KEY, size integer NOT NULL);"
            "CREATE TABLE evidence (id uuid PRIMARY KEY, blob_sha256 char(64) NOT NULL REFERENCES blob);"
            "CREATE INDEX evidence_blob ON evidence (blob_sha256);",
        )

        blob_dir = work / "blobs"
        blob_dir.mkdir()
        journal = work / "acknowledged.txt"
        dsn = f"host=127.0.0.1 port={port} user=postgres dbname=fc2"
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, dsn, str(blob_dir), str(journal)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(random.uniform(1.0, 2.0))
        postmaster = int((data / "postmaster.pid").read_text().split()[0])
        backends = _children(postmaster)
        os.kill(postmaster, signal.SIGKILL)
        for pid in backends:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        writer.wait(timeout=30)
        acknowledged = journal.read_text().split() if journal.exists() else []
        assert len(acknowledged) > 20, "the burst was too short to test anything"

        # Crash recovery.
        deadline = time.monotonic() + 15
        while any(Path(f"/proc/{pid}").exists() for pid in [postmaster, *backends]) and time.monotonic() < deadline:
            time.sleep(0.1)
        restarted = _su(start)
        assert restarted.returncode == 0, restarted.stderr + (work / "pg.log").read_text(errors="replace")

        present = set(_psql(port, "SELECT id FROM evidence").split())
        missing = [e for e in acknowledged if e not in present]
        assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged commits lost"
        orphans = _psql(port, "SELECT count(*) FROM evidence e LEFT JOIN blob b ON b.sha256 = e.blob_sha256 "
                              "WHERE b.sha256 IS NULL")
        assert orphans == "0"
        for line in _psql(port, "SELECT sha256, size FROM blob").splitlines():
            name, size = line.split("|")
            body = (blob_dir / name).read_bytes()  # raises if the file is missing
            assert len(body) == int(size) and hashlib.sha256(body).hexdigest() == name
        for index in ("blob_pkey", "evidence_pkey", "evidence_blob"):
            _psql(port, f"SELECT bt_index_check('{index}', true)")
    finally:
        _su(f"{PGBIN}/pg_ctl -D {data} -m immediate -w stop", timeout=30)
        shutil.rmtree(work, ignore_errors=True)
