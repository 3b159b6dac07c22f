"""Two app servers and one worker sharing one PostgreSQL database, one S3 store and one key folder (issue 10 bar:
"a resumable upload whose chunks alternate between the servers completes and verifies; both servers sign
documents with the same agency key"; ADR 0027, 0030, 0031).

Everything runs as separate processes started from the command line, as the README's deployment section starts
them: `zhifa migrate`, `zhifa demo`, `zhifa demo_cases` once, then `zhifa run --no-worker` twice on two ports and one
`zhifa worker`. Each process has its own ZHIFA_DATA_DIR, so nothing is shared through a local disk; they share the
database (a fresh one, dropped at the end), the S3 store (a fresh prefix), ZHIFA_KEY_DIR and ZHIFA_SECRET_KEY.
The test talks to the servers over HTTP only, as a browser or an API client would.

Marked `s3`: skipped unless ZHIFA_TEST_S3_URL is set (`scripts/ceph-s3.sh start`) and DATABASE_URL points at
PostgreSQL (`.ci/run` runs it in its S3 step with the PostgreSQL cluster of the PG pass).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader

from zhifa.documents.signing import verify_pdf_signature

pytestmark = pytest.mark.s3

requests = pytest.importorskip("requests")
psycopg = pytest.importorskip("psycopg")
boto3 = pytest.importorskip("boto3")

PROJECT = Path(__file__).resolve().parents[2]
S3_URL = os.environ.get("ZHIFA_TEST_S3_URL", "")
DB_URL = os.environ.get("DATABASE_URL", "")
if not S3_URL or not DB_URL.startswith(("postgres://", "postgresql://")):
    pytest.skip("needs ZHIFA_TEST_S3_URL (scripts/ceph-s3.sh start) and DATABASE_URL=postgres://… "
                "(two app servers need a shared database)", allow_module_level=True)

DEMO_PASSWORD = "zhifa-demo-2026"  # the demo county's public password (zhifa.registry.demo)
OFFICER = "linxiang.officer"  # an officer of 临湘市水利局, which has a demo case under investigation
CHUNK = 256 * 1024
SIZE = 5 * CHUNK + 12_345  # six chunks: A, B, A, B, A, B
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"  # accepted as video/mp4 by content
START_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(name: str) -> str:
    parts = urlsplit(DB_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def libpq(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


@dataclass
class Cluster:
    root: Path
    env: dict[str, str]  # what every process shares
    storage_url: str
    prefix: str
    db_url: str
    key_dir: Path
    procs: dict[str, subprocess.Popen[bytes]]
    ports: dict[str, int]

    def process_env(self, name: str) -> dict[str, str]:
        data = self.root / f"data-{name}"
        data.mkdir(exist_ok=True)
        return {**self.env, "ZHIFA_DATA_DIR": str(data)}

    def cli(self, *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "zhifa.cli", *args], env=self.process_env("cli"),
                              capture_output=True, text=True, timeout=timeout, check=False)

    def start(self, name: str, *args: str) -> None:
        log = open(self.root / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process's end
        self.procs[name] = subprocess.Popen([sys.executable, "-m", "zhifa.cli", *args], env=self.process_env(name),
                                            stdout=log, stderr=subprocess.STDOUT, cwd=self.root)

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def base(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def wait_ready(self, name: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.procs[name].poll() is not None:
                pytest.fail(f"server {name} exited ({self.procs[name].returncode}):\n{self.log(name)}")
            try:
                if requests.get(self.base(name) + "/accounts/login/", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        pytest.fail(f"server {name} did not answer in {START_TIMEOUT} s:\n{self.log(name)}")

    def s3(self) -> Any:
        query = dict(p.split("=", 1) for p in urlsplit(self.storage_url).query.split("&") if "=" in p)
        return boto3.client("s3", endpoint_url=query["endpoint"], region_name="us-east-1",
                            aws_access_key_id=self.env["ZHIFA_S3_ACCESS_KEY_ID"],
                            aws_secret_access_key=self.env["ZHIFA_S3_SECRET_ACCESS_KEY"])

    def keys(self, under: str) -> list[str]:
        bucket = urlsplit(self.storage_url).netloc
        pages = self.s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=self.prefix + under)
        return [obj["Key"] for page in pages for obj in page.get("Contents", [])]

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(libpq(self.db_url)) as conn:
            return conn.execute(sql, params).fetchall()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A fresh database with the demo county, then servers A and B and a worker, all stopped and dropped after."""
    name = f"zhifa_two_{uuid.uuid4().hex[:12]}"
    admin_url = libpq(database_url("postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    prefix = f"two-servers-{uuid.uuid4().hex[:12]}/"
    storage_url = f"{S3_URL}{'&' if '?' in S3_URL else '?'}prefix={prefix}"
    key_dir = tmp_path / "keys"  # the one key location (ADR 0030), shared like a network mount would be
    key_dir.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "ZHIFA_DATA_DIR")
           and not k.startswith(("ZHIFA_LEDGER_", "ZHIFA_SEAL_", "ZHIFA_PII_", "ZHIFA_SM2_", "ZHIFA_BLOB_",
                                 "ZHIFA_UPLOAD_TMP"))}
    env.update({
        "PYTHONPATH": str(PROJECT), "DATABASE_URL": database_url(name), "ZHIFA_STORAGE_URL": storage_url,
        "ZHIFA_KEY_DIR": str(key_dir), "ZHIFA_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "ZHIFA_LOGIN_DELAY_SECONDS": "0", "ZHIFA_THREADS": "4",
    })
    c = Cluster(root=tmp_path, env=env, storage_url=storage_url, prefix=prefix, db_url=database_url(name),
                key_dir=key_dir, procs={}, ports={})
    began = time.monotonic()
    try:
        # The static files are collected once, beside the database set-up, and given to both servers as if they
        # had started before: `zhifa run` then skips collecting (zhifa.common.staticfiles).
        c.start("static", "shell", "-c", "from zhifa.common.staticfiles import collect_static_if_changed as c; c()")
        # `zhifa migrate`, `zhifa demo`, `zhifa demo_cases`, in one process (each start of Django costs seconds).
        done = c.cli("shell", "-c", "from django.core.management import call_command as c; "
                     "c('migrate', verbosity=0); c('demo'); c('demo_cases')")
        assert done.returncode == 0 and "已载入演示案件" in done.stdout, done.stdout[-2000:] + done.stderr[-4000:]
        assert c.procs.pop("static").wait(timeout=120) == 0, c.log("static")
        print(f"two servers: database and demo county ready after {time.monotonic() - began:.1f} s")  # noqa: T201
        for server in ("a", "b"):
            shutil.copytree(tmp_path / "data-static" / "static", tmp_path / f"data-{server}" / "static",
                            copy_function=os.link)
        for server in ("a", "b"):
            c.ports[server] = free_port()
            c.start(server, "run", "--no-worker", "--bind", f"127.0.0.1:{c.ports[server]}")
        c.start("worker", "worker", "--interval", "0.5")
        for server in ("a", "b"):
            c.wait_ready(server)
        print(f"two servers: both servers answer after {time.monotonic() - began:.1f} s")  # noqa: T201
        yield c
    finally:
        for proc in c.procs.values():
            _stop(proc)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def login(base: str) -> Any:
    """A requests session signed in through the login form of this server."""
    s = requests.Session()
    page = s.get(f"{base}/accounts/login/", timeout=10)
    assert page.status_code == 200
    done = s.post(f"{base}/accounts/login/", data={
        "username": OFFICER, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": s.cookies["csrftoken"],
    }, headers={"Referer": f"{base}/accounts/login/"}, allow_redirects=False, timeout=10)
    assert done.status_code == 302 and done.headers["Location"].endswith("/staff/"), (done.status_code, done.text[:500])
    s.headers.update({"X-CSRFToken": s.cookies["csrftoken"], "Referer": f"{base}/staff/"})
    return s


def api_token(s: Any, base: str) -> str:
    page = s.post(f"{base}/accounts/tokens/", data={"name": "two servers", "csrfmiddlewaretoken": s.cookies["csrftoken"]},
                  timeout=10)
    match = re.search(r'<code id="new-token">([^<]+)</code>', page.text)
    assert page.status_code == 200 and match, page.text[:500]
    return match.group(1)


def test_two_servers_share_uploads_documents_and_packages(cluster: Cluster) -> None:
    started = time.monotonic()
    a, b = cluster.base("a"), cluster.base("b")
    bases = {"a": a, "b": b}
    on = {name: login(bases[name]) for name in bases}  # one sign-in on each server (sessions: shared database)
    tokens = {name: api_token(on[name], bases[name]) for name in bases}

    def api(name: str, method: str, path: str, **kwargs: Any) -> Any:
        return requests.request(method, bases[name] + path, headers={"Authorization": f"Bearer {tokens[name]}"},
                                timeout=60, **kwargs)

    # The demo case under investigation of the officer's agency.
    listed = api("a", "GET", "/api/v1/cases/")
    assert listed.status_code == 200, listed.text
    case_id = next(c["id"] for c in listed.json()["items"] if c["state"] == "investigating")
    detail = api("b", "GET", f"/api/v1/cases/{case_id}").json()
    stream, agency_id = detail["stream"], detail["agency_id"]
    staff = [o["staff_id"] for o in detail["officers"] if o["active"]]

    # --- A resumable upload to the case: session on A, chunks alternating A, B, A, B…, finished on the other ------
    content = MP4_HEAD + os.urandom(SIZE - len(MP4_HEAD))
    sha = hashlib.sha256(content).hexdigest()
    created = on["a"].post(f"{a}/staff/cases/{case_id}/upload/sessions/", data={
        "captured_at": "2026-12-01T10:00", "filename": "执法记录仪.mp4", "size": str(SIZE),
        "content_type": "video/mp4", "sha256": sha, "device_serial": "DSJ-TWO",
    }, headers={"Accept": "application/json"}, timeout=10)
    assert created.status_code == 201, created.text
    session = created.json()
    offset, turn = 0, 0
    servers = ["a", "b"]
    while offset < SIZE:
        server = servers[turn % 2]
        piece = content[offset:offset + CHUNK]
        put = on[server].put(bases[server] + session["chunk_url"], data=piece, headers={
            "Upload-Offset": str(offset), "Content-Type": "application/octet-stream", "Accept": "application/json",
        }, timeout=30)
        assert put.status_code == 200, (server, offset, put.status_code, put.text)
        assert put.json()["offset"] == offset + len(piece)
        if turn == 1:  # the same chunk again on the other server: refused, with where to resume (ADR 0027)
            again = on["a"].put(a + session["chunk_url"], data=piece, headers={
                "Upload-Offset": str(offset), "Content-Type": "application/octet-stream",
                "Accept": "application/json",
            }, timeout=30)
            assert again.status_code == 409 and again.json()["offset"] == offset + len(piece), again.text
        offset += len(piece)
        turn += 1
    finisher = "a" if servers[(turn - 1) % 2] == "b" else "b"
    assert len(cluster.keys("uploads/")) == turn  # every part is in the shared store, none on a server's disk
    finished = on[finisher].post(bases[finisher] + session["finish_url"], headers={"Accept": "application/json"},
                                 timeout=60)
    assert finished.status_code == 201 and finished.json()["state"] == "finished", finished.text

    # Stored once, under its SHA-256, in the shared store; the parts are gone; nothing on a process's own disk.
    assert cluster.query("SELECT size FROM records_blob WHERE sha256 = %s", sha) == [(SIZE,)]
    assert cluster.query("SELECT count(*) FROM records_evidence WHERE blob_id = %s", sha) == [(1,)]
    assert [k for k in cluster.keys("blobs/") if k.endswith(sha)] == [f"{cluster.prefix}blobs/{sha[:2]}/{sha[2:4]}/{sha}"]
    assert cluster.keys("uploads/") == []
    for name in ("a", "b", "worker"):
        assert not any(p.is_file() and p.stat().st_size >= CHUNK
                       for p in (cluster.root / f"data-{name}").rglob("*") if "static" not in p.parts)

    # The case lists it on both servers; both show it and serve the same bytes.
    (evidence,) = [e for e in api("a", "GET", f"/api/v1/cases/{case_id}").json()["evidence"] if e["sha256"] == sha]
    for name in ("a", "b"):
        page = on[name].get(f"{bases[name]}/staff/records/evidence/{evidence['id']}/", timeout=10)
        assert page.status_code == 200 and sha in page.text
        body = on[name].get(f"{bases[name]}/staff/records/evidence/{evidence['id']}/download/", timeout=30)
        assert body.status_code == 200 and hashlib.sha256(body.content).hexdigest() == sha

    # Fixity over the shared store (the worker's periodic job): every blob matches its hash, none is missing.
    fixity = cluster.cli("fixity", "--no-sweep")
    assert fixity.returncode == 0, fixity.stdout + fixity.stderr

    # --- Each server signs a record of the case, with the recording attached: one seal key (ADR 0030) ----------
    before = {d["id"] for d in detail["documents"]}
    issued: dict[str, dict[str, Any]] = {}
    now = datetime.now(UTC)
    for name in ("a", "b"):
        acted = api(name, "POST", f"/api/v1/cases/{case_id}/actions/record_inspection", json={
            "started_at": (now - timedelta(hours=2)).isoformat(), "ended_at": (now - timedelta(hours=1)).isoformat(),
            "place": f"服务器 {name.upper()} 现场", "staff": staff, "certificate_shown": True, "subject": "张三",
            "content": f"在服务器 {name.upper()} 上制作的现场检查笔录。", "recordings": [evidence["id"]],
        })
        assert acted.status_code == 200, (name, acted.status_code, acted.text)
        new = [d for d in acted.json()["documents"] if d["id"] not in before]
        assert len(new) == 1 and new[0]["signed"], new
        issued[name] = new[0]
        before.add(new[0]["id"])
    public_keys = set()
    for name, document in issued.items():
        other = "b" if name == "a" else "a"  # each read from the server that did not sign it
        pdf = api(other, "GET", document["pdf_url"])
        assert pdf.status_code == 200 and hashlib.sha256(pdf.content).hexdigest() == document["pdf_sha256"]
        public_keys.add(_verified_signer_key(pdf.content))
    seal = cluster.key_dir / "seals" / f"agency-{agency_id}.pem"
    assert public_keys == {_seal_public_key(seal)}
    for name in ("a", "b", "worker"):  # no process made keys of its own
        assert not (cluster.root / f"data-{name}" / "keys").exists()

    # --- The case's archive package: requested on A, built by the worker, downloaded from B (ADR 0031) ----------
    asked = on["a"].post(f"{a}/staff/records/timeline/archive/", data={
        "stream": stream, "csrfmiddlewaretoken": on["a"].cookies["csrftoken"],
    }, allow_redirects=False, timeout=10)
    assert asked.status_code == 302, asked.text[:500]
    download = ""
    deadline = time.monotonic() + 30
    while not download and time.monotonic() < deadline:
        fragment = on["b"].get(f"{b}/staff/records/archives/", params={"stream": stream}, timeout=10).text
        found = re.search(r'href="(/staff/records/archives/[0-9a-f-]+/download/)"', fragment)
        download = found.group(1) if found else ""
        if not download:
            assert "归档包生成失败" not in fragment, fragment
            time.sleep(0.5)
    assert download, f"no package after 30 s:\n{cluster.log('worker')}"
    zipped = on["b"].get(b + download, timeout=30)
    assert zipped.status_code == 200 and zipped.headers["Content-Type"] == "application/zip"
    unzipped = cluster.root / "package"
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as zf:
        zf.extractall(unzipped)
    (package,) = list(unzipped.iterdir())
    assert hashlib.sha256((package / "data" / "blobs" / sha).read_bytes()).hexdigest() == sha
    # One ledger key too (created by whichever process signed the first checkpoint): both servers publish it.
    vkey = requests.get(f"{b}/transparency/vkey.txt", timeout=10).text.strip()
    assert vkey and requests.get(f"{a}/transparency/vkey.txt", timeout=10).text.strip() == vkey
    verified = subprocess.run([sys.executable, "-m", "zhifa.records.verify", str(package), "--key", vkey],
                              env=cluster.env, capture_output=True, text=True, timeout=60, check=False)
    assert verified.returncode == 0 and "核验通过 VERIFIED" in verified.stdout, verified.stdout + verified.stderr
    for document in issued.values():  # both sealed records are in the package, under the same seal key
        assert _verified_signer_key((package / "data" / "blobs" / document["pdf_sha256"]).read_bytes()) in public_keys

    # The servers and the worker are still up (none fell over on the other's work).
    assert all(proc.poll() is None for proc in cluster.procs.values())
    print(f"two servers: {time.monotonic() - started:.1f} s after start-up")  # noqa: T201


def _verified_signer_key(pdf: bytes) -> bytes:
    """The public key (DER) of the PDF's seal signature, after checking the signature covers the file intact."""
    intact, subject = verify_pdf_signature(pdf)
    assert intact, subject
    signature = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures[0]
    return bytes(signature.signer_cert.public_key.dump())


def _seal_public_key(path: Path) -> bytes:
    """The public key (DER) of the seal certificate in the shared key folder."""
    pem = path.read_bytes()
    cert = x509.load_pem_x509_certificate(pem[pem.index(b"-----BEGIN CERTIFICATE-----"):])
    return cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
