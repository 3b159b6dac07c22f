"""The timeline's 下载归档包 button (issue 3 parts 6 and 7): the stream's archive package as a zip that the offline
verifier accepts, built by a background task and then downloaded by its requester (ADR 0028); scoped like every records read (another agency's stream is a 404, architecture rule 2); the 调阅
entry (action "export") is written before anything is built or sent, and if it cannot be, a 503 with no data
(reliability.md AC-6, FC-5)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import DatabaseError
from django.test import Client

from zhifa.accounts.roles import Role
from zhifa.common.tasks import run_pending
from zhifa.records import verify
from zhifa.records.access import ACCESS_KIND, access_stream
from zhifa.records.blobstore import default_store
from zhifa.records.checkpoints import public_key
from zhifa.records.models import ArchivePackage, Checkpoint, LedgerEntry, PackagePurpose, PackageStatus
from zhifa.records.tests.test_evidence import JPEG, MP4, store_evidence

PROJECT = Path(__file__).resolve().parents[3]
URL = "/staff/records/timeline/archive/"
STREAM = "case:a-归档-1"


@pytest.fixture(autouse=True)
def stores(settings, tmp_path: Path) -> Path:  # noqa: ANN001
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "keys" / "ledger.pem"
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"
    settings.ZHIFA_UPLOAD_MAX_BYTES = 256 * 1024
    settings.DATA_DIR = tmp_path / "data"
    return settings.ZHIFA_UPLOAD_TMP_DIR


@pytest.fixture
def a_stream(agency_a):  # noqa: ANN001, ANN201
    officer = agency_a[Role.OFFICER]
    photo = store_evidence(officer, JPEG, stream=STREAM, name="现场照片.jpg")
    video = store_evidence(officer, MP4, stream=STREAM, name="执法记录仪.mp4")
    return photo, video


@pytest.fixture
def b_stream(agency_b):  # noqa: ANN001, ANN201
    return store_evidence(agency_b[Role.OFFICER], MP4, stream="case:b-secret", name="b.mp4")


def logged_in(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


def body_of(response) -> bytes:  # noqa: ANN001
    # The test client closes a streamed response once it is consumed. Closing it again here would fire
    # request_finished, which closes the database connection (inside the test's transaction on PostgreSQL).
    return b"".join(response.streaming_content) if response.streaming else response.content


def export(client: Client, stream: str, **extra: str):  # noqa: ANN201
    """Press 下载归档包: the request only queues the build (back to the timeline); the worker builds it; the
    requester downloads it from the timeline page."""
    queued = client.post(URL, {"stream": stream}, **extra)
    assert queued.status_code == 302 and queued["Location"].startswith("/staff/records/timeline/?stream=")
    package = ArchivePackage.objects.filter(stream=stream, purpose=PackagePurpose.EXPORT).order_by("-pk").first()
    assert package is not None and package.status == PackageStatus.QUEUED
    assert run_pending() == 1
    package.refresh_from_db()
    assert package.status == PackageStatus.READY, package.error
    fragment = client.get("/staff/records/archives/", {"stream": stream}).content.decode()
    link = f"/staff/records/archives/{package.public_id}/download/"
    assert link in fragment
    return client.get(link)


def access_entries() -> list[dict]:
    return [json.loads(bytes(c)) for c in LedgerEntry.objects.filter(kind=ACCESS_KIND).order_by("seq")
            .values_list("canonical", flat=True)]


def unzip(data: bytes, dest: Path) -> Path:
    """Extract the package; return its one top folder."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        tops = {name.split("/", 1)[0] for name in zf.namelist()}
        assert len(tops) == 1, tops
        assert all(not n.startswith("/") and ".." not in n.split("/") for n in zf.namelist())
        zf.extractall(dest)
    return dest / tops.pop()


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env["PYTHONPATH"] = str(PROJECT)
    return env


def test_download_is_a_zipped_package_that_the_offline_verifier_accepts(agency_a, a_stream, stores, tmp_path,
                                                                         capsys, settings) -> None:
    photo, video = a_stream
    response = export(logged_in(agency_a[Role.OFFICER]), STREAM)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="zhifa-archive-case-a-')
    assert disposition.isascii() and "\n" not in disposition
    assert f"filename*=UTF-8''{quote('归档包-case-a-归档-1-', safe='')}" in disposition
    assert response["Cache-Control"] == "private, no-store"
    assert "X-Zhifa-Export-Problems" not in response
    data = body_of(response)

    package = unzip(data, tmp_path / "unzipped")
    assert package.name == disposition.split('filename="', 1)[1].split('"', 1)[0].removesuffix(".zip")
    assert (package / "data" / "blobs" / photo.sha256).read_bytes() == JPEG
    assert (package / "data" / "blobs" / video.sha256).read_bytes() == MP4
    assert f"Zhifa-Stream: {STREAM}" in (package / "bag-info.txt").read_text("utf-8")

    # The verifier's main function, with the key pinned as a careful recipient would...
    assert verify.main([str(package), "--key", public_key()]) == 0
    assert "核验通过 VERIFIED" in capsys.readouterr().out
    # ... and the command line, with no Django settings and no database.
    done = subprocess.run([sys.executable, "-m", "zhifa.records.verify", str(package)], env=offline_env(),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "核验通过 VERIFIED" in done.stdout and "2 条记录" in done.stdout

    # A flipped byte in an evidence file fails it.
    blob = package / "data" / "blobs" / video.sha256
    raw = bytearray(blob.read_bytes())
    raw[100] ^= 0x01
    blob.chmod(0o644)
    blob.write_bytes(bytes(raw))
    assert verify.main([str(package), "--key", public_key()]) == 1
    assert "核验失败 FAILED" in capsys.readouterr().out

    # Nothing of the build is left behind on the server; the zip is a work file of the storage port (ADR 0031).
    assert not stores.exists() or list(stores.iterdir()) == []
    assert default_store().backend.file_size(f"package-{ArchivePackage.objects.get().public_id}.zip")


def test_download_writes_the_export_access_entry_first(agency_a, a_stream, tmp_path) -> None:
    officer = agency_a[Role.OFFICER]
    before = len(access_entries())
    data = body_of(export(logged_in(officer), STREAM, REMOTE_ADDR="10.1.2.3"))
    entries = access_entries()
    assert len(entries) == before + 1
    entry = entries[-1]
    assert entry["kind"] == "access.read"
    assert entry["stream"] == access_stream(agency_a.agency.pk) and entry["agency_id"] == agency_a.agency.pk
    assert entry["actor"]["username"] == officer.username
    assert entry["payload"] == {"object_kind": "stream", "object_id": STREAM, "action": "export", "result": "ok",
                                "source": "10.1.2.3"}
    # Written before the package was built: the package's signed checkpoint already covers it.
    package = unzip(data, tmp_path / "unzipped")
    size = int(next(line.split(": ", 1)[1] for line in (package / "bag-info.txt").read_text("utf-8").splitlines()
                    if line.startswith("Zhifa-Checkpoint-Size:")))
    assert size > entry["seq"]


def test_another_agencys_stream_is_a_404_and_logs_nothing(agency_a, b_stream) -> None:
    before = len(access_entries())
    checkpoints = Checkpoint.objects.count()
    for role in agency_a.users:
        response = logged_in(agency_a[role]).post(URL, {"stream": b_stream.stream})
        assert response.status_code == 404, role
        assert not body_of(response).startswith(b"PK")
    assert logged_in(agency_a[Role.OFFICER]).post(URL, {"stream": "case:no-such-stream"}).status_code == 404
    assert len(access_entries()) == before
    assert Checkpoint.objects.count() == checkpoints


def test_roles_that_may_not_read_evidence_get_a_404(agency_a, a_stream) -> None:
    for role in (Role.AGENCY_ADMIN, Role.DISCLOSURE_OFFICER):
        assert logged_in(agency_a[role]).post(URL, {"stream": STREAM}).status_code == 404, role


def test_supervisor_downloads_a_supervised_agencys_stream(supervisor, b_stream, tmp_path) -> None:
    response = export(logged_in(supervisor), b_stream.stream)
    assert response.status_code == 200
    package = unzip(body_of(response), tmp_path / "unzipped")
    assert verify.verify_package(package, key=public_key()).ok
    assert access_entries()[-1]["agency_id"] == b_stream.agency_id  # logged in the owning agency's access stream


def test_a_stream_shared_with_another_agency_is_refused_whole(agency_a, agency_b, a_stream, supervisor,
                                                             monkeypatch) -> None:
    """The package carries the whole stream; A may not receive B's entries and files under the same stream key.
    (Uploads can no longer share a stream across agencies — issue 9 defect 1 — but one written before may exist.)"""
    monkeypatch.setattr("zhifa.records.streams.require_writable", lambda user, stream: None)
    store_evidence(agency_b[Role.OFFICER], JPEG + b"b", stream=STREAM, name="b.jpg")
    before = len(access_entries())
    response = logged_in(agency_a[Role.OFFICER]).post(URL, {"stream": STREAM})
    assert response.status_code == 403
    assert not body_of(response).startswith(b"PK")
    assert len(access_entries()) == before
    # The supervisor of both reads every entry of it: allowed, one 调阅 entry per agency.
    response = export(logged_in(supervisor), STREAM)
    assert response.status_code == 200 and body_of(response).startswith(b"PK")
    assert {e["agency_id"] for e in access_entries()[before:]} == {agency_a.agency.pk, agency_b.agency.pk}


def test_the_access_log_stream_is_only_for_those_who_supervise_reads(agency_a, a_stream) -> None:
    logged_in(agency_a[Role.OFFICER]).get(f"/staff/records/timeline/?stream={quote(STREAM)}")  # one access entry
    log = access_stream(agency_a.agency.pk)
    assert logged_in(agency_a[Role.OFFICER]).post(URL, {"stream": log}).status_code == 404
    assert export(logged_in(agency_a[Role.AGENCY_HEAD]), log).status_code == 200


def test_access_log_failure_is_a_503_with_no_data(agency_a, a_stream, stores, monkeypatch) -> None:
    photo, _video = a_stream
    checkpoints = Checkpoint.objects.count()

    def refuse(*args, **kwargs):  # noqa: ANN003, ANN202
        raise DatabaseError("access log unavailable")

    monkeypatch.setattr("zhifa.records.access.ledger_append_many", refuse)
    response = logged_in(agency_a[Role.OFFICER]).post(URL, {"stream": STREAM})
    assert response.status_code == 503
    assert "Content-Disposition" not in response
    body = body_of(response)
    assert not body.startswith(b"PK") and JPEG[:32] not in body and photo.sha256.encode() not in body
    assert Checkpoint.objects.count() == checkpoints  # nothing was built
    assert not stores.exists() or list(stores.iterdir()) == []


def test_post_only_with_csrf(agency_a, a_stream) -> None:
    assert logged_in(agency_a[Role.OFFICER]).get(URL, {"stream": STREAM}).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agency_a[Role.OFFICER])
    assert strict.post(URL, {"stream": STREAM}).status_code == 403
    assert Client().post(URL, {"stream": STREAM}).status_code == 302  # to the login page


def test_timeline_has_the_button(agency_a, a_stream) -> None:
    page = logged_in(agency_a[Role.OFFICER]).get(f"/staff/records/timeline/?stream={quote(STREAM)}")
    html = page.content.decode()
    assert 'action="/staff/records/timeline/archive/"' in html and "下载归档包" in html
