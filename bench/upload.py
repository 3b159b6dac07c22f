"""Upload benchmark (issue 3): a large evidence upload over HTTP vs copying and hashing the same file.

Bar: "a 1 GiB upload over HTTP vs copying and hashing the same file (target >= 0.5), with server peak RSS growth
(target < 100 MB)".

* A real server: `zhifa run --no-demo` (waitress, one process; ADR 0019) on a free 127.0.0.1 port over a fresh
  temporary data folder (SQLite), a user with the officer role and an API token.
* The file: an MP4 `ftyp` header (so the type allowlist accepts it) followed by pseudo-random bytes, written in
  1 MiB chunks. Both sides then read it from the page cache.
* Baseline: copy the file to another path in the same folder while hashing it with hashlib.sha256, 1 MiB reads and
  writes, fsync at the end — the durability the server gives an upload (its temporary file is fsynced before it is
  linked into the blob folder). Run three times before the upload and once after (the stored blob deleted
  first); the fastest run counts (the stricter ratio). The source file is fsynced when generated, so no side pays
  for its write-back. On a virtual machine the first write into memory the guest has not touched yet is several times
  slower than later writes (a 1 GiB copy: ~6 s cold, ~1.5 s warm here); each copy is deleted before the next step,
  so the runs that count and the upload all write into warm page cache.
* Upload (default `--mode single`): one streaming multipart request to POST /api/v1/records/evidence, the body read
  from the file 1 MiB at a time by an `http.client` generator, so the client never holds the file either; the
  server hashes while writing (`uploads.EvidenceUploadHandler`). `--mode resumable`: POST /uploads, then PUTs of
  `--chunk-mb` each, then POST /uploads/{id}/finish (on the local backend: checks the
  chunks' CRCs in one read of the upload's file and links it; ADR 0043). Wall time from the
  first byte sent to the 201 answer; ratio = baseline time / upload time.
* Memory: a thread polls the server process's /proc/<pid>/status (VmRSS, VmHWM) every 50 ms. Growth = the larger
  of the highest VmRSS seen and the final VmHWM, minus VmRSS just before the upload (after a small warm-up upload
  has loaded every module).
* The stored blob is re-hashed on disk and must equal the client's SHA-256.

Run: .venv/bin/python bench/upload.py [--size-mb 1024] [--mode single|resumable] [--chunk-mb 64]
MB = 10^6 bytes. Everything runs on loopback, stops by itself and removes its temporary files.
"""

from __future__ import annotations

import os
import sys

# bench/http.py would shadow the standard library's `http` package: run as a script, this file's folder is
# sys.path[0]; drop it before importing http.client (nothing here imports from bench/).
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]

import argparse  # noqa: E402
import hashlib  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 1024 * 1024
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
MB = 1e6
SETUP = """
import json
from zhifa.accounts.services import api_token_create
from zhifa.registry.testing import make_agency, make_user
agency = make_agency("基准测试水利局")
user = make_user(agency, "officer", username="bench.officer")
print(json.dumps({"token": api_token_create(user=user, name="upload bench")[1]}))
"""


def server_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("ZHIFA_")}
    env.update(ZHIFA_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="zhifa.settings")
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_kb(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


class Sampler(threading.Thread):
    """Polls a process's VmRSS every 50 ms until stopped; keeps the highest value."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.samples = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak_kb = max(self.peak_kb, memory_kb(self.pid)["VmRSS"])
            self.samples += 1
            self.done.wait(0.05)


def request(port: int, method: str, path: str, *, token: str, body: Iterator[bytes] | bytes = b"",
            length: int | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        conn.putrequest(method, path)
        conn.putheader("Authorization", f"Bearer {token}")
        for key, value in (headers or {}).items():
            conn.putheader(key, value)
        if isinstance(body, bytes):
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
        else:
            conn.putheader("Content-Length", str(length))
            conn.endheaders()
            for piece in body:
                conn.send(piece)
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    return response.status, json.loads(data) if data.startswith(b"{") else data[:300]


def file_pieces(path: Path, start: int = 0, length: int | None = None) -> Iterator[bytes]:
    with open(path, "rb") as f:
        f.seek(start)
        left = os.path.getsize(path) - start if length is None else length
        while left > 0:
            piece = f.read(min(CHUNK, left))
            if not piece:
                raise OSError("file shorter than expected")
            left -= len(piece)
            yield piece


def upload_single(port: int, token: str, path: Path) -> tuple[int, Any]:
    boundary = uuid.uuid4().hex
    fields = {"stream": "bench:upload", "captured_at": "2026-11-21T09:00:00+08:00", "device_serial": "DSJ-BENCH"}
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    ) + (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
         "Content-Type: video/mp4\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        yield from file_pieces(path)
        yield tail

    return request(port, "POST", "/api/v1/records/evidence", token=token, body=body(),
                   length=len(head) + path.stat().st_size + len(tail),
                   headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


FINISH_SECONDS: list[float] = []  # resumable mode: how long the finish (re-hash, store, record) took


def upload_resumable(port: int, token: str, path: Path, chunk: int) -> tuple[int, Any]:
    size = path.stat().st_size
    payload = {"stream": "bench:upload", "filename": path.name, "size": size,
               "captured_at": "2026-11-21T09:00:00+08:00", "device_serial": "DSJ-BENCH"}
    status, session = request(port, "POST", "/api/v1/records/uploads", token=token,
                               body=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    assert status == 201, session
    offset = 0
    while offset < size:
        length = min(chunk, size - offset)
        status, body = request(port, "PUT", f"/api/v1/records/uploads/{session['id']}", token=token,
                               body=file_pieces(path, offset, length), length=length,
                               headers={"Upload-Offset": str(offset), "Content-Type": "application/octet-stream"})
        assert status == 200, body
        offset = body["offset"]
    start = time.perf_counter()
    answer = request(port, "POST", f"/api/v1/records/uploads/{session['id']}/finish", token=token)
    FINISH_SECONDS.append(time.perf_counter() - start)
    return answer


def make_file(path: Path, size: int) -> None:
    rng = random.Random(20261122)
    with open(path, "wb") as f:
        f.write(MP4_HEAD)
        left = size - len(MP4_HEAD)
        while left > 0:
            n = min(CHUNK, left)
            f.write(rng.randbytes(n))
            left -= n
        f.flush()
        os.fsync(f.fileno())  # on disk before timing starts, so neither side pays for its write-back


def copy_and_hash(src: Path, dst: Path) -> tuple[str, float]:
    start = time.perf_counter()
    digest = hashlib.sha256()
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while piece := fin.read(CHUNK):
            digest.update(piece)
            fout.write(piece)
        fout.flush()
        os.fsync(fout.fileno())
    return digest.hexdigest(), time.perf_counter() - start


def hash_path(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while piece := f.read(CHUNK):
            digest.update(piece)
    return digest.hexdigest()


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115 - kept open for the server's lifetime
    proc = subprocess.Popen(
        [sys.executable, "-m", "zhifa.cli", "run", "--no-demo", "--bind", f"127.0.0.1:{port}"],
        env=server_env(data_dir), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 600  # a first start collects the static files: minutes on a busy machine
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited:\n" + (data_dir / "server.log").read_text(errors="replace")[-3000:])
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/records/checkpoint")
            conn.getresponse().read()
            conn.close()
            return proc
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(proc)
    raise SystemExit("server did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024, help="file size in MiB (default 1024 = 1 GiB)")
    parser.add_argument("--mode", choices=["single", "resumable"], default="single")
    parser.add_argument("--chunk-mb", type=int, default=64, help="PUT size in MiB for --mode resumable")
    parser.add_argument("--port", type=int, default=0, help="port for the server on 127.0.0.1 (default: a free one)")
    args = parser.parse_args()
    size = args.size_mb * 1024 * 1024
    work = Path(tempfile.mkdtemp(prefix="zhifa-upload-bench-"))
    data_dir = work / "data"
    data_dir.mkdir()
    proc = None
    try:
        port = args.port or free_port()
        proc = start_server(data_dir, port)
        setup = subprocess.run([sys.executable, "-m", "zhifa.cli", "shell", "-c", SETUP], env=server_env(data_dir),
                               cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
        token = json.loads(setup.stdout.strip().splitlines()[-1])["token"]
        worker = proc.pid  # waitress serves in the `zhifa run` process itself

        src = work / "bodycam.mp4"
        t = time.perf_counter()
        make_file(src, size)
        print(f"file: {size / MB:,.0f} MB ({args.size_mb} MiB) written in {time.perf_counter() - t:.1f} s; "
              f"server pid {proc.pid}, worker pid {worker}, data dir {data_dir}")

        # Warm-up: a small upload of the same kind loads every module the real one will use.
        warm = work / "warm.mp4"
        make_file(warm, 64 * 1024)
        status, body = upload_single(port, token, warm) if args.mode == "single" else \
            upload_resumable(port, token, warm, 64 * 1024)
        assert status == 201, body

        base_times = []
        for _ in range(3):
            copy_sha, seconds = copy_and_hash(src, work / "copy.mp4")
            (work / "copy.mp4").unlink()
            base_times.append(seconds)

        # The server process ran migrate/collectstatic before serving (waitress serves in it): reset its peak RSS
        # (VmHWM) so the figure is the upload's own.
        Path(f"/proc/{worker}/clear_refs").write_text("5")
        before = memory_kb(worker)
        sampler = Sampler(worker)
        sampler.start()
        t = time.perf_counter()
        if args.mode == "single":
            status, body = upload_single(port, token, src)
        else:
            status, body = upload_resumable(port, token, src, args.chunk_mb * 1024 * 1024)
        up_time = time.perf_counter() - t
        sampler.done.set()
        sampler.join()
        after = memory_kb(worker)
        assert status == 201, body
        assert body["sha256"] == copy_sha and body["size"] == size, body
        blob = data_dir / "blobs" / copy_sha[:2] / copy_sha[2:4] / copy_sha
        stored_sha = hash_path(blob)
        assert stored_sha == copy_sha, "the stored blob does not hash to the client's SHA-256"
        leftovers = sorted(p.name for p in (data_dir / "upload-tmp").iterdir())
        blob.unlink()  # its pages go back to the free pool, as the copies' did before the upload (see above)
        _sha, seconds = copy_and_hash(src, work / "copy.mp4")
        (work / "copy.mp4").unlink()
        base_times.append(seconds)
        base_time = min(base_times)
        print(f"baseline: copy + SHA-256 + fsync {', '.join(f'{t:.2f}' for t in base_times)} s (three runs before "
              f"the upload, one after); fastest {size / MB / base_time:,.0f} MB/s")
        peak_kb = max(sampler.peak_kb, after["VmHWM"])
        growth = (peak_kb - before["VmRSS"]) * 1024 / MB
        mode = "one multipart request" if args.mode == "single" else \
            f"resumable, {args.chunk_mb} MiB PUTs + finish; the finish took {FINISH_SECONDS[-1]:.2f} s"
        print(f"upload ({mode}): {up_time:.2f} s; stored blob re-hashed: SHA-256 matches the client's "
              f"({copy_sha[:16]}…); temporary files left: {leftovers or 'none'}")
        print(f"worker memory: VmRSS before {before['VmRSS'] / 1024:.1f} MiB, highest sampled "
              f"{sampler.peak_kb / 1024:.1f} MiB ({sampler.samples} samples), VmHWM after "
              f"{after['VmHWM'] / 1024:.1f} MiB")
        print(f"upload: {size / MB / up_time:,.0f} MB/s vs copy+hash {size / MB / base_time:,.0f} MB/s -> ratio "
              f"{base_time / up_time:.2f} (target >= 0.5); worker RSS growth {growth:.1f} MB (target < 100 MB)")
    finally:
        if proc is not None:
            stop_server(proc)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
