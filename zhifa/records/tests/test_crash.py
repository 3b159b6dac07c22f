"""Crash: `kill -9` of the whole server during uploads and ledger appends (issue 3 bar; reliability.md FC-2, FC-4).

A real server (`zhifa run --no-demo`, waitress; ADR 0019) runs on a loopback port over a fresh data folder. Client
threads upload small files in one request, create registry units (each 201 is an acknowledged ledger entry), send
a large resumable upload in chunks and a large single-request upload, both paced so they are always in flight when,
after a random 0.5–2 s, the server and its helper loops are killed with SIGKILL at once (their process group). Then a
separate process (`_crash_tool check --fixity`, which first runs `zhifa fixity` as an operator would) reports what
is on disk, and we check:

* every acknowledged evidence item exists with its SHA-256, ledger entry and an intact blob file; every
  acknowledged unit has its ledger entry;
* no evidence row and no blob row points to a missing or changed file; a blob file without a row (killed between
  linking and commit) must at least hash to its name;
* the ledger re-verifies (leaves, subtrees, head; gapless) and SQLite's integrity and foreign key checks pass;
* temporary files: `zhifa fixity` right after the crash leaves at most the killed single-request uploads' files
  (single-*.tmp, swept once the window SINGLE_TMP_MAX_AGE has passed; see SWEPT_AT_ONCE), and the sweep after that
  window leaves nothing but the part files of open sessions;
* after the restart that begins the next round, the interrupted resumable upload resumes from the offset the
  server reports and finishes with the right hash, and earlier acknowledged files download intact.

Three rounds on one data folder, then a last restart, resume and clean stop.

Database: SQLite regardless of DATABASE_URL. The point is a database that lives inside the killed processes; with
PostgreSQL, killing the server only drops client connections of a server that keeps running, which is PostgreSQL's
own well-tested recovery, not ours. The server and the checker get a clean environment (no DATABASE_URL, no other
ZHIFA_* variables) and the deployment settings (zhifa.settings), never pytest-django's test database.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[3]
ROUNDS = 3
SMALL_UPLOADERS = 3
UNIT_WRITERS = 2
BIG_RESUMABLE = 24 * 1024 * 1024  # sent in CHUNK-sized PUTs, paced to take ~4 s: always in flight at the kill
CHUNK = 2 * 1024 * 1024
BIG_SINGLE = 16 * 1024 * 1024  # one multipart request, paced to take ~4 s
PIECE = 256 * 1024
PACE = 0.04  # seconds between pieces of the big uploads
HTTP_TIMEOUT = 20.0
START_DEADLINE = 240  # migrate + checkpoint + collectstatic on a busy machine
GONE = (OSError, http.client.HTTPException)  # the server died: refused, reset, or cut mid-answer
# Today a killed single-request upload's temporary file is swept only once it is SINGLE_TMP_MAX_AGE (6 h) old,
# which FC-4 allows ("swept within the set window"). Set this to True when the writer holds an flock on its file and
# the sweep removes every unlocked single-*.tmp at once: then the first `zhifa fixity` after a crash must clean up.
SWEPT_AT_ONCE = True
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
API = "/api/v1"


# ---------------------------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------------------------


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("ZHIFA_")}
    env.update(ZHIFA_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="zhifa.settings", PYTHONUNBUFFERED="1")
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tool(data_dir: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "zhifa.records.tests._crash_tool", *args], env=_env(data_dir),
                          cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


class Server:
    """`zhifa run` in its own process group (the waitress process and its checkpoint and tick loops), so one killpg
    reaches them all."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.log = open(data_dir / f"server-{self.port}.log", "wb")  # noqa: SIM115 - closed in stop/kill
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "zhifa.cli", "run", "--no-demo", "--bind",
             f"127.0.0.1:{self.port}"],
            env=_env(data_dir), cwd=PROJECT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log_text()
            try:
                status, _ = request(self.port, "GET", f"{API}/records/checkpoint", timeout=2)
            except GONE:
                time.sleep(0.1)
                continue
            if status in (200, 404):
                return
            time.sleep(0.1)
        self.kill()
        raise AssertionError("server did not start:\n" + self.log_text())

    def kill(self) -> None:
        """SIGKILL to the server and its loops at the same instant."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        self.log.close()

    def log_text(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return Path(self.log.name).read_bytes()[-4000:].decode(errors="replace")


# ---------------------------------------------------------------------------------------------------------------
# HTTP (http.client, bodies streamed from iterators)
# ---------------------------------------------------------------------------------------------------------------


def request(port: int, method: str, path: str, *, token: str | None = None, body: bytes | Iterable[bytes] = b"",
            length: int | None = None, headers: dict[str, str] | None = None, timeout: float = HTTP_TIMEOUT,
            raw: bool = False) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path)
        if token:
            conn.putheader("Authorization", f"Bearer {token}")
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if isinstance(body, bytes):
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
        else:
            assert length is not None
            conn.putheader("Content-Length", str(length))
            conn.endheaders()
            for piece in body:
                conn.send(piece)
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    if raw:
        return response.status, data
    try:
        return response.status, json.loads(data) if data else None
    except ValueError:
        return response.status, data[:500]


def post_json(port: int, path: str, token: str, payload: dict[str, Any]) -> tuple[int, Any]:
    return request(port, "POST", path, token=token, body=json.dumps(payload).encode(),
                   headers={"Content-Type": "application/json"})


def upload_single(port: int, token: str, *, stream: str, name: str, pieces: Iterable[bytes], size: int,
                  timeout: float = HTTP_TIMEOUT) -> tuple[int, Any]:
    """POST /records/evidence as multipart; the file part streams from `pieces`."""
    boundary = uuid.uuid4().hex
    fields = {"stream": stream, "captured_at": "2026-11-21T09:00:00+08:00", "device_serial": "DSJ-CRASH"}
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    ) + (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
         "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        yield from pieces
        yield tail

    return request(port, "POST", f"{API}/records/evidence", token=token, body=body(),
                   length=len(head) + size + len(tail), timeout=timeout,
                   headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


def paced(data: bytes, pace: bool = True) -> Iterator[bytes]:
    view = memoryview(data)
    for i in range(0, len(view), PIECE):
        yield bytes(view[i : i + PIECE])
        if pace:
            time.sleep(PACE)


def big_content(seed: str, size: int) -> bytes:
    """Deterministic, so the client can resume after the crash with exactly the bytes it started with."""
    return MP4_HEAD + random.Random(seed).randbytes(size - len(MP4_HEAD))


# ---------------------------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Acked:
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)  # public_id -> {sha256, ledger_seq, size}
    units: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)  # statuses other than success before the kill
    lock: threading.Lock = field(default_factory=threading.Lock)

    def evidence_ok(self, body: Any, sha256: str, size: int) -> None:
        with self.lock:
            if body.get("sha256") != sha256 or body.get("size") != size:
                self.unexpected.append(f"evidence answer does not match the upload: {body}")
            self.evidence[body["public_id"]] = {"sha256": sha256, "ledger_seq": body["ledger_seq"], "size": size}

    def fail(self, what: str) -> None:
        with self.lock:
            self.unexpected.append(what)


@dataclass
class Resumable:
    public_id: str
    seed: str
    size: int
    sha256: str
    sent_acked: int = 0  # the offset the last acknowledged PUT reported


def small_uploader(port: int, token: str, acked: Acked, stop: threading.Event, tag: str) -> None:
    rng = random.Random(tag)
    n = 0
    while not stop.is_set() and n < 10_000:
        n += 1
        data = MP4_HEAD + f"{tag}-{n}".encode() + rng.randbytes(rng.randrange(1_000, 60_000))
        sha = hashlib.sha256(data).hexdigest()
        try:
            status, body = upload_single(port, token, stream=f"crash:{tag}", name=f"{tag}-{n}.mp4",
                                         pieces=[data], size=len(data))
        except GONE:  # not acknowledged
            return
        if status == 201:
            acked.evidence_ok(body, sha, len(data))
        elif not stop.is_set():
            acked.fail(f"evidence upload {status}: {body}")


def unit_writer(port: int, token: str, acked: Acked, stop: threading.Event, tag: str) -> None:
    n = 0
    while not stop.is_set() and n < 10_000:
        n += 1
        try:
            status, body = post_json(port, f"{API}/registry/unit", token, {"name": f"崩溃测试科 {tag}-{n}"})
        except GONE:
            return
        if status == 201:
            with acked.lock:
                acked.units.append(body["public_id"])
        elif not stop.is_set():
            acked.fail(f"unit create {status}: {body}")


def resumable_upload(port: int, token: str, upload: Resumable, data: bytes, acked: Acked, pace: bool) -> None:
    """Send chunks from the last acknowledged offset to the end (paced while under load), then finish."""
    try:
        offset = upload.sent_acked
        while offset < upload.size:
            chunk = data[offset : offset + CHUNK]
            status, body = request(
                port, "PUT", f"{API}/records/uploads/{upload.public_id}", token=token, body=paced(chunk, pace),
                length=len(chunk), headers={"Upload-Offset": str(offset), "Content-Type": "application/octet-stream"},
            )
            if status != 200:
                acked.fail(f"chunk at {offset}: {status} {body}")
                return
            offset = upload.sent_acked = body["offset"]
        status, body = request(port, "POST", f"{API}/records/uploads/{upload.public_id}/finish", token=token)
    except GONE:
        return
    if status == 201:
        acked.evidence_ok(body, upload.sha256, upload.size)
    else:
        acked.fail(f"finish {status}: {body}")


def big_single_upload(port: int, token: str, tag: str, acked: Acked, stop: threading.Event) -> None:
    data = big_content(f"single-{tag}", BIG_SINGLE)
    try:
        status, body = upload_single(port, token, stream=f"crash:{tag}", name=f"big-{tag}.mp4",
                                     pieces=paced(data), size=len(data))
    except GONE:
        return
    if status == 201:
        acked.evidence_ok(body, hashlib.sha256(data).hexdigest(), len(data))
    elif not stop.is_set():
        acked.fail(f"big single upload {status}: {body}")


def new_resumable(port: int, token: str, tag: str) -> tuple[Resumable, bytes]:
    seed = f"resumable-{tag}"
    data = big_content(seed, BIG_RESUMABLE)
    sha = hashlib.sha256(data).hexdigest()
    status, body = post_json(port, f"{API}/records/uploads", token, {
        "stream": f"crash:{tag}", "filename": f"dock-{tag}.mp4", "size": len(data), "sha256": sha,
        "captured_at": "2026-11-21T09:00:00+08:00", "device_serial": "DSJ-CRASH",
    })
    assert status == 201, body
    return Resumable(body["id"], seed, len(data), sha), data


# ---------------------------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------------------------


def check_disk(facts: dict[str, Any], acked: Acked, open_sessions: set[str], context: str) -> None:
    assert facts["vendor"] == "sqlite", context
    evidence = {e["public_id"]: e for e in facts["evidence"]}
    for public_id, want in acked.evidence.items():  # every acknowledged evidence survives, with its file
        row = evidence.get(public_id)
        assert row is not None, f"{context}: acknowledged evidence {public_id} is gone"
        assert (row["sha256"], row["size"], row["ledger_seq"]) == (want["sha256"], want["size"], want["ledger_seq"]), \
            f"{context}: {row} != {want}"
        assert row["entry_kind"] == "evidence.added" and row["entry_evidence_id"] == public_id, context
        assert row["entry_sha256"] == [want["sha256"]], context
    for row in facts["evidence"]:  # no row, acknowledged or not, points to a missing or changed file
        assert row["blob_present"] and row["blob_ok"] and row["integrity_status"] == "ok", f"{context}: {row}"
    assert facts["blobs_missing"] == [], context
    for orphan in facts["blob_files_unreferenced"]:  # linked, then killed before the commit: complete, named right
        assert orphan["hash_matches_name"], f"{context}: {orphan}"
    streams = set(facts["registry_streams"])
    missing_units = [u for u in acked.units if f"registry:unit:{u}" not in streams]
    assert not missing_units, f"{context}: acknowledged units without ledger entry: {missing_units}"
    assert facts["ledger"]["ok"] and facts["ledger"]["gapless"], f"{context}: {facts['ledger']}"
    assert facts["integrity_check"] == ["ok"], f"{context}: {facts['integrity_check']}"
    assert facts["foreign_key_check"] == [], context
    fixity = facts["fixity"]
    assert "CHANGED" not in fixity["stdout"] and "MISSING" not in fixity["stdout"], f"{context}: {fixity}"
    # Temporary files. Part files of sessions still open stay (the client resumes them). Right after the crash,
    # `zhifa fixity` may leave the killed single-request uploads' files (single-*.tmp) while they are younger than
    # the sweep window (uploads.SINGLE_TMP_MAX_AGE), unless SWEPT_AT_ONCE; once the window has passed, none remain.
    expected_tmp: set[str] = set()  # parts of open sessions live in the storage backend (ADR 0027)
    early = set(facts["tmp_after_fixity"]) - expected_tmp
    if SWEPT_AT_ONCE:
        assert not early, f"{context}: temporary files left by `zhifa fixity` after the crash: {sorted(early)}"
    assert all(n.startswith(("single-", "chunk-")) and n.endswith(".tmp") for n in early), f"{context}: {sorted(early)}"
    assert set(facts["tmp_files"]) <= expected_tmp, \
        f"{context}: temporary files left after the sweep window: {sorted(set(facts['tmp_files']) - expected_tmp)}"
    for s in facts["sessions"]:
        if s["state"] == "open":
            assert s["received"] == 0 or (s["part_exists"] and s["part_size"] >= s["received"]), f"{context}: {s}"
        else:
            assert not s["part_exists"], f"{context}: {s}"


def resume(port: int, token: str, upload: Resumable, facts: dict[str, Any], acked: Acked, context: str) -> None:
    """After the restart: ask where to resume, check it against the acknowledged chunks, send the rest, finish."""
    session = next(s for s in facts["sessions"] if s["public_id"] == upload.public_id)
    status, body = request(port, "GET", f"{API}/records/uploads/{upload.public_id}", token=token)
    assert status == 200, body
    if body["state"] == "finished":  # the finish itself was acknowledged (or committed) before the kill
        assert body["evidence"] is not None
        return
    assert body["state"] == "open", body
    # Every acknowledged chunk is kept; an unacknowledged one may or may not have been kept (it was fsynced and
    # recorded but the answer was lost), never more than was sent.
    assert upload.sent_acked <= body["offset"] == session["received"] <= upload.size, (context, body, upload)
    upload.sent_acked = body["offset"]
    before = len(acked.evidence)
    resumable_upload(port, token, upload, big_content(upload.seed, upload.size), acked, pace=False)
    assert not acked.unexpected, acked.unexpected
    assert len(acked.evidence) == before + 1, f"{context}: resumed upload was not stored"


def guarded(acked: Acked, target: Any, *args: Any) -> threading.Thread:
    """A load thread whose unexpected exception fails the test instead of vanishing with the thread."""

    def run() -> None:
        try:
            target(*args)
        except Exception as exc:  # reported through acked.unexpected
            acked.fail(f"{target.__name__}: {exc!r}")

    return threading.Thread(target=run, name=target.__name__)


def download_matches(port: int, token: str, public_id: str, sha256: str) -> bool:
    status, data = request(port, "GET", f"{API}/records/evidence/{public_id}/download", token=token, raw=True)
    return status == 200 and hashlib.sha256(data).hexdigest() == sha256


# ---------------------------------------------------------------------------------------------------------------
# The test
# ---------------------------------------------------------------------------------------------------------------


def test_kill_9_during_uploads_and_appends(tmp_path: Path) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    acked = Acked()
    pending: Resumable | None = None
    previous: dict[str, Any] = {}  # what the checker saw after the last kill
    server = Server(data_dir)  # migrates the fresh database
    token = ""
    try:
        token = _tool(data_dir, "setup")["token"]
        for r in range(ROUNDS):
            context = f"round {r} (seed {seed})"
            if pending is not None:
                resume(server.port, token, pending, previous, acked, context)
                sample = rng.sample(sorted(acked.evidence), min(3, len(acked.evidence)))
                for public_id in sample:
                    assert download_matches(server.port, token, public_id, acked.evidence[public_id]["sha256"]), \
                        f"{context}: {public_id} does not download intact after the restart"
            pending, data = new_resumable(server.port, token, f"r{r}")
            before = len(acked.evidence) + len(acked.units)
            stop = threading.Event()
            port = server.port
            threads = [
                *(guarded(acked, small_uploader, port, token, acked, stop, f"r{r}s{i}")
                  for i in range(SMALL_UPLOADERS)),
                *(guarded(acked, unit_writer, port, token, acked, stop, f"r{r}u{i}")
                  for i in range(UNIT_WRITERS)),
                guarded(acked, resumable_upload, port, token, pending, data, acked, True),
                guarded(acked, big_single_upload, port, token, f"r{r}", acked, stop),
            ]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.5, 2.0))
            server.kill()
            stop.set()
            for t in threads:
                t.join(timeout=30)
            assert not any(t.is_alive() for t in threads), context
            assert not acked.unexpected, f"{context}: {acked.unexpected}"
            assert len(acked.evidence) + len(acked.units) > before, f"{context}: nothing acknowledged before the kill"
            facts = _tool(data_dir, "check", "--fixity")
            open_sessions = {s["public_id"] for s in facts["sessions"] if s["state"] == "open"}
            check_disk(facts, acked, open_sessions, context)
            assert pending.public_id in open_sessions, f"{context}: the interrupted upload is no longer open"
            previous = facts
            server = Server(data_dir)  # the restart; the next round (or the end) resumes the interrupted upload
        context = f"after the last restart (seed {seed})"
        assert pending is not None
        resume(server.port, token, pending, previous, acked, context)
        for public_id in rng.sample(sorted(acked.evidence), min(3, len(acked.evidence))):
            assert download_matches(server.port, token, public_id, acked.evidence[public_id]["sha256"]), context
    finally:
        server.stop()
    facts = _tool(data_dir, "check", "--fixity")
    check_disk(facts, acked, set(), context)
    assert facts["fixity"]["status"] == 0 or all(o["hash_matches_name"] for o in facts["blob_files_unreferenced"])
    assert all(s["state"] == "finished" for s in facts["sessions"]), facts["sessions"]
    assert facts["tmp_files"] == [], facts["tmp_files"]
    shutil.rmtree(data_dir)  # ~100 MB of blobs; kept when the test fails, for a look

