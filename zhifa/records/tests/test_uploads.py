"""Uploads over HTTP: the single-request form and API (streamed by our handler), resumable sessions with offsets,
type and size refusals, and cleanup of temporary files (issue 3 part 4; reliability.md BI-1, BI-2, FC-4).

Until zhifa/api.py mounts `zhifa.records.api.router`, this module mounts it on a test API of its own (same error
handlers as the real one) and serves as the URL conf; once mounted, the tests use the real /api/v1 path.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import path
from django.utils import timezone
from ninja import NinjaAPI

from zhifa import urls as root_urls
from zhifa.accounts.roles import Role
from zhifa.accounts.services import api_token_create
from zhifa.api import api as main_api
from zhifa.records import uploads
from zhifa.records.api import router as records_router
from zhifa.records.blobstore import default_store
from zhifa.records.models import Blob, Evidence, LedgerEntry, UploadSession, UploadState
from zhifa.records.tests.test_evidence import HTML, JPEG, MP4, PNG, blob_files, temp_files

# ---------------------------------------------------------------------------------------------------------------
# API mount (shared with test_records_views)
# ---------------------------------------------------------------------------------------------------------------


def _mounted_prefix() -> str | None:
    for registration in main_api._router_registrations:
        if registration[1] is records_router:
            return "/api/v1/" + registration[0].strip("/")
    return None


MOUNTED = _mounted_prefix()
if MOUNTED is None:
    _test_api = NinjaAPI(title="records test", urls_namespace="records-api-test", docs_url=None)
    _test_api._exception_handlers.update(main_api._exception_handlers)
    _test_api.add_router("/records", records_router)
    urlpatterns = [path("api/records-test/", _test_api.urls), *root_urls.urlpatterns]


def api_prefix(settings) -> str:  # noqa: ANN001
    """The records API prefix, switching to this module's URL conf while the router is not mounted yet."""
    if MOUNTED is not None:
        return MOUNTED
    settings.ROOT_URLCONF = "zhifa.records.tests.test_uploads"
    return "/api/records-test/records"


@pytest.fixture
def api(settings) -> str:  # noqa: ANN001
    return api_prefix(settings)


@pytest.fixture
def stores(settings, tmp_path: Path) -> tuple[Path, Path]:
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"
    settings.ZHIFA_UPLOAD_MAX_BYTES = 256 * 1024
    return settings.ZHIFA_BLOB_DIR, settings.ZHIFA_UPLOAD_TMP_DIR


def token_client(user) -> Client:  # noqa: ANN001
    _row, token = api_token_create(user=user, name="evidence test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def logged_in(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


def form_fields(stream: str = "case:upload-1", **extra: str) -> dict[str, str]:
    captured = timezone.localtime() - timedelta(minutes=10)
    return {"stream": stream, "captured_at": captured.strftime("%Y-%m-%dT%H:%M"), "captured_by": "张三",
            "device_serial": "DSJ-7", **extra}


def named_file(content: bytes, name: str):  # noqa: ANN201
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


UPLOAD_URL = "/staff/records/upload/"


# ---------------------------------------------------------------------------------------------------------------
# Single-request form (works without JavaScript)
# ---------------------------------------------------------------------------------------------------------------


def test_form_upload_streams_to_a_blob_and_opens_the_evidence(agency_a, stores) -> None:
    blob_dir, tmp_dir = stores
    client = logged_in(agency_a[Role.OFFICER])
    page = client.get(UPLOAD_URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'enctype="multipart/form-data"' in html and "zhifa/upload.js" in html and "<progress" in html
    response = client.post(UPLOAD_URL, {**form_fields(), "file": named_file(JPEG, "照片.jpg")})
    evidence = Evidence.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/evidence/{evidence.public_id}/")
    assert evidence.original_filename == "照片.jpg" and evidence.device_serial == "DSJ-7"
    assert evidence.sha256 == hashlib.sha256(JPEG).hexdigest()
    assert len(blob_files(blob_dir)) == 1 and temp_files(tmp_dir) == []


def test_handler_streams_in_bounded_chunks(agency_a, stores, monkeypatch) -> None:
    """Never whole in memory: the handler sees the file in pieces no larger than its chunk size."""
    seen: list[int] = []
    original = uploads.TempWriter.write

    def spy(self, data):  # noqa: ANN001, ANN202
        seen.append(len(data))
        return original(self, data)

    monkeypatch.setattr(uploads.TempWriter, "write", spy)
    monkeypatch.setattr(uploads.EvidenceUploadHandler, "chunk_size", 16 * 1024)
    content = MP4 + bytes(200 * 1024 - len(MP4))
    client = logged_in(agency_a[Role.OFFICER])
    assert client.post(UPLOAD_URL, {**form_fields(), "file": named_file(content, "v.mp4")}).status_code == 302
    assert sum(seen) == len(content) and max(seen) <= 16 * 1024 and len(seen) > 10


def test_html_named_jpg_is_refused_by_content(agency_a, stores) -> None:
    """BI-2: the name says .jpg, the bytes say HTML: 415 with a Chinese message; nothing kept."""
    blob_dir, tmp_dir = stores
    entries = LedgerEntry.objects.count()
    client = logged_in(agency_a[Role.OFFICER])
    response = client.post(UPLOAD_URL, {**form_fields(), "file": named_file(HTML, "photo.jpg")})
    assert response.status_code == 415
    assert "出于安全原因，不接受网页（HTML）" in response.content.decode()
    assert not Evidence.objects.exists() and LedgerEntry.objects.count() == entries
    assert blob_files(blob_dir) == [] and temp_files(tmp_dir) == []


def test_size_limit_is_413_before_and_while_reading(agency_a, stores, settings) -> None:
    blob_dir, tmp_dir = stores
    client = logged_in(agency_a[Role.OFFICER])
    big = JPEG + bytes(settings.ZHIFA_UPLOAD_MAX_BYTES)
    # The whole body is over limit + form overhead: refused from Content-Length, before reading.
    settings.ZHIFA_UPLOAD_MAX_BYTES = 1024
    response = client.post(UPLOAD_URL, {**form_fields(), "file": named_file(big + bytes(1024 * 1024), "a.jpg")})
    assert response.status_code == 413 and "文件超过允许的大小上限" in response.content.decode()
    # Within the form overhead but the file itself too big: refused by the handler while streaming.
    response = client.post(UPLOAD_URL, {**form_fields(), "file": named_file(JPEG + bytes(4096), "b.jpg")})
    assert response.status_code == 413
    assert not Evidence.objects.exists() and blob_files(blob_dir) == [] and temp_files(tmp_dir) == []


def test_failed_store_leaves_no_entry_row_or_temp_file(agency_a, stores, monkeypatch) -> None:
    """The ledger entry is in the upload's transaction: a failure at the last step (linking the blob) leaves no
    entry, no evidence row and no temporary file."""
    blob_dir, tmp_dir = stores
    entries = LedgerEntry.objects.count()

    def broken(self, staged):  # noqa: ANN001, ANN202
        raise OSError("disk full")

    monkeypatch.setattr("zhifa.records.blobstore.BlobStore.commit", broken)
    client = logged_in(agency_a[Role.OFFICER])
    client.raise_request_exception = False
    response = client.post(UPLOAD_URL, {**form_fields(), "file": named_file(JPEG, "a.jpg")})
    assert response.status_code == 500
    assert LedgerEntry.objects.count() == entries and not Evidence.objects.exists() and not Blob.objects.exists()
    assert blob_files(blob_dir) == [] and temp_files(tmp_dir) == []


def test_form_errors_keep_nothing(agency_a, stores) -> None:
    _blob, tmp_dir = stores
    client = logged_in(agency_a[Role.OFFICER])
    response = client.post(UPLOAD_URL, {**form_fields(stream=""), "file": named_file(JPEG, "a.jpg")})
    assert response.status_code == 400 and not Evidence.objects.exists() and temp_files(tmp_dir) == []
    response = client.post(UPLOAD_URL, form_fields())
    assert response.status_code == 400 and "请选择要上传的文件" in response.content.decode()
    two = client.post(UPLOAD_URL, {**form_fields(), "file": [named_file(JPEG, "a.jpg"), named_file(PNG, "b.png")]})
    assert two.status_code == 400 and "每次只能上传一个文件" in two.content.decode()
    assert not Evidence.objects.exists() and temp_files(tmp_dir) == []


def test_upload_page_needs_officer_or_unit_head(agency_a, stores) -> None:
    for role in (Role.ARCHIVIST, Role.AGENCY_ADMIN, Role.DISCLOSURE_OFFICER):
        client = logged_in(agency_a[role])
        assert client.get(UPLOAD_URL).status_code == 403
        assert client.post(UPLOAD_URL, {**form_fields(), "file": named_file(JPEG, "a.jpg")}).status_code == 403
    assert not Evidence.objects.exists()
    anonymous = Client().post(UPLOAD_URL, {**form_fields(), "file": named_file(JPEG, "a.jpg")})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_form_upload_still_checks_csrf(agency_a, stores) -> None:
    _blob, tmp_dir = stores
    client = Client(enforce_csrf_checks=True)
    client.force_login(agency_a[Role.OFFICER])
    response = client.post(UPLOAD_URL, {**form_fields(), "file": named_file(JPEG, "a.jpg")})
    assert response.status_code == 403
    assert not Evidence.objects.exists() and temp_files(tmp_dir) == []


# ---------------------------------------------------------------------------------------------------------------
# Resumable sessions (browser endpoints)
# ---------------------------------------------------------------------------------------------------------------


def _create_session(client: Client, content: bytes, **extra: str):  # noqa: ANN202
    response = client.post("/staff/records/uploads/", {
        **form_fields(), "filename": "执法记录仪.mp4", "size": str(len(content)), **extra,
    })
    assert response.status_code == 201, response.content
    return response.json()


def _put(client: Client, url: str, data: bytes, offset: int):  # noqa: ANN202
    return client.generic("PUT", url, data, content_type="application/octet-stream", HTTP_UPLOAD_OFFSET=str(offset))


def test_chunked_upload_resumes_from_the_server_offset(agency_a, stores) -> None:
    blob_dir, tmp_dir = stores
    content = MP4 + bytes(range(256)) * 200
    client = logged_in(agency_a[Role.OFFICER])
    session = _create_session(client, content, sha256=hashlib.sha256(content).hexdigest())
    url = session["chunk_url"]
    assert _put(client, url, content[:20000], 0).json()["offset"] == 20000
    # A client that lost track resends from 0: refused with the offset to resume from.
    wrong = _put(client, url, content[:20000], 0)
    assert wrong.status_code == 409 and wrong.json()["code"] == "offset_mismatch"
    assert wrong.json()["offset"] == 20000 and wrong["Upload-Offset"] == "20000"
    assert "20000" in wrong.json()["message"]
    too_far = _put(client, url, content[30000:40000], 30000)
    assert too_far.status_code == 409 and too_far.json()["offset"] == 20000
    assert client.get(url).json()["offset"] == 20000
    early = client.post(session["finish_url"])
    assert early.status_code == 409 and early.json()["code"] == "incomplete"
    assert _put(client, url, content[20000:], 20000).json()["offset"] == len(content)
    finished = client.post(session["finish_url"])
    assert finished.status_code == 201
    evidence = Evidence.objects.get()
    assert finished.json()["evidence_url"].endswith(f"/evidence/{evidence.public_id}/")
    assert evidence.sha256 == hashlib.sha256(content).hexdigest() and evidence.content_type == "video/mp4"
    assert evidence.original_filename == "执法记录仪.mp4"
    assert blob_files(blob_dir)[0].read_bytes() == content and temp_files(tmp_dir) == []
    # Finishing again (a lost response) returns the same evidence, records nothing new.
    entries = LedgerEntry.objects.count()
    again = client.post(session["finish_url"])
    assert again.status_code == 201 and again.json()["evidence_url"] == finished.json()["evidence_url"]
    assert LedgerEntry.objects.count() == entries and Evidence.objects.count() == 1
    assert _put(client, url, b"x", len(content)).status_code == 409  # finished: no more bytes


def test_chunk_past_the_declared_size_is_413_and_wrong_type_aborts_at_first_chunk(agency_a, stores) -> None:
    _blob, tmp_dir = stores
    client = logged_in(agency_a[Role.OFFICER])
    session = _create_session(client, JPEG)
    response = _put(client, session["chunk_url"], JPEG + b"extra", 0)
    assert response.status_code == 413
    html_session = _create_session(client, HTML + bytes(1000))
    refused = _put(client, html_session["chunk_url"], HTML + bytes(1000), 0)
    assert refused.status_code == 415 and "HTML" in refused.json()["message"]
    assert UploadSession.objects.get(public_id=html_session["id"]).state == UploadState.ABORTED
    assert not (tmp_dir / f"session-{html_session['id']}.part").exists()


def test_session_limits_and_hash_check(agency_a, stores, settings) -> None:
    _blob, tmp_dir = stores
    client = logged_in(agency_a[Role.OFFICER])
    over = client.post("/staff/records/uploads/", {**form_fields(), "size": str(settings.ZHIFA_UPLOAD_MAX_BYTES + 1)})
    assert over.status_code == 413 and "上限" in over.json()["message"]
    session = _create_session(client, PNG, sha256="0" * 64)
    assert _put(client, session["chunk_url"], PNG, 0).status_code == 200
    mismatch = client.post(session["finish_url"])
    assert mismatch.status_code == 422 and mismatch.json()["code"] == "hash_mismatch"
    assert not Evidence.objects.exists() and temp_files(tmp_dir) == []


def test_sessions_are_personal(agency_a, agency_b, stores) -> None:
    owner = logged_in(agency_a[Role.OFFICER])
    session = _create_session(owner, JPEG)
    for other in (agency_a[Role.UNIT_HEAD], agency_b[Role.OFFICER]):
        client = logged_in(other)
        assert client.get(session["chunk_url"]).status_code == 404
        assert _put(client, session["chunk_url"], JPEG, 0).status_code == 404
        assert client.post(session["finish_url"]).status_code == 404
    assert UploadSession.objects.get(public_id=session["id"]).received == 0


def test_abort_removes_the_part_file(agency_a, stores) -> None:
    _blob, tmp_dir = stores
    client = logged_in(agency_a[Role.OFFICER])
    session = _create_session(client, MP4)
    _put(client, session["chunk_url"], MP4[:100], 0)
    assert client.delete(session["chunk_url"]).json()["state"] == UploadState.ABORTED
    assert temp_files(tmp_dir) == []


def test_sweep_expires_idle_sessions_and_removes_dead_temp_files(agency_a, stores) -> None:
    """FC-4: files of killed uploads disappear within the sweep window; live ones stay."""
    _blob, tmp_dir = stores
    client = logged_in(agency_a[Role.OFFICER])
    idle = _create_session(client, MP4)
    _put(client, idle["chunk_url"], MP4[:100], 0)
    live = _create_session(client, PNG)
    _put(client, live["chunk_url"], PNG[:100], 0)
    UploadSession.objects.filter(public_id=idle["id"]).update(updated_at=timezone.now() - timedelta(days=30))
    tmp_dir.mkdir(exist_ok=True)
    dead_single = tmp_dir / "single-dead.tmp"
    dead_single.write_bytes(b"partial")
    old = time.time() - 24 * 3600
    os.utime(dead_single, (old, old))
    fresh_single = tmp_dir / "single-live.tmp"
    fresh_single.write_bytes(b"in progress")
    killed_single = tmp_dir / "single-killed.tmp"  # recent, but its writer is gone: no lock
    killed_single.write_bytes(b"cut off")
    orphan = tmp_dir / "orphan-part"  # parts of a session that no longer exists (ADR 0027)
    orphan.write_bytes(b"x")
    default_store().backend.part_put("00000000-0000-0000-0000-000000000000", 0, orphan)
    orphan.unlink()
    with open(fresh_single, "rb") as live_writer:  # a live request holds the writer's lock
        fcntl.flock(live_writer.fileno(), fcntl.LOCK_EX)
        removed = uploads.upload_sweep()
    assert removed == 4
    assert UploadSession.objects.get(public_id=idle["id"]).state == UploadState.EXPIRED
    remaining = {p.name for p in temp_files(tmp_dir)}
    live_parts = {p.name for p in default_store().backend.parts(live["id"])}
    # The live session keeps its one file and the marker of its one acknowledged chunk (ADR 0043).
    assert remaining == live_parts | {"data", "single-live.tmp"} and len(live_parts) == 1


# ---------------------------------------------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------------------------------------------


def test_api_single_upload_and_reads(agency_a, stores, api) -> None:
    blob_dir, tmp_dir = stores
    client = token_client(agency_a[Role.OFFICER])
    response = client.post(f"{api}/evidence", {**form_fields(stream="case:api-1"), "file": named_file(PNG, "p.png")})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "image/png" and body["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert body["stream"] == "case:api-1" and body["late_upload"] is False and body["integrity_status"] == "ok"
    assert body["agency"] == str(agency_a.agency.public_id)
    listed = client.get(f"{api}/evidence", {"stream": "case:api-1"})
    assert [e["public_id"] for e in listed.json()] == [body["public_id"]]
    assert client.get(f"{api}/evidence/{body['public_id']}").json()["sha256"] == body["sha256"]
    download = client.get(f"{api}/evidence/{body['public_id']}/download")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert temp_files(tmp_dir) == [] and len(blob_files(blob_dir)) == 1


def test_api_refusals_are_json_with_chinese_messages(agency_a, stores, api, settings) -> None:
    _blob, tmp_dir = stores
    client = token_client(agency_a[Role.OFFICER])
    wrong = client.post(f"{api}/evidence", {**form_fields(), "file": named_file(HTML, "x.jpg")})
    assert wrong.status_code == 415 and wrong.json()["code"] == "unsupported_type"
    assert "HTML" in wrong.json()["message"]
    settings.ZHIFA_UPLOAD_MAX_BYTES = 100
    big = client.post(f"{api}/evidence", {**form_fields(), "file": named_file(JPEG, "x.jpg")})
    assert big.status_code == 413 and big.json()["code"] == "too_large"
    archivist = token_client(agency_a[Role.ARCHIVIST])
    settings.ZHIFA_UPLOAD_MAX_BYTES = 256 * 1024
    denied = archivist.post(f"{api}/evidence", {**form_fields(), "file": named_file(JPEG, "x.jpg")})
    assert denied.status_code == 403 and denied.json()["code"] == "forbidden"
    assert not Evidence.objects.exists() and temp_files(tmp_dir) == []
    assert Client().post(f"{api}/evidence", {**form_fields(), "file": named_file(JPEG, "x.jpg")}).status_code == 401


def test_api_resumable_upload(agency_a, stores, api) -> None:
    _blob, tmp_dir = stores
    content = MP4 + bytes(5000)
    client = token_client(agency_a[Role.OFFICER])
    captured = (timezone.now() - timedelta(hours=30)).isoformat()
    created = client.post(f"{api}/uploads", {
        "stream": "case:bodycam", "captured_at": captured, "device_serial": "DSJ-9", "filename": "bodycam.mp4",
        "size": len(content), "duration_seconds": 600, "gps_lat": "29.5", "gps_lon": "113.25",
    }, content_type="application/json")
    assert created.status_code == 201, created.content
    sid = created.json()["id"]
    first = client.generic("PUT", f"{api}/uploads/{sid}?offset=0", content[:3000],
                           content_type="application/octet-stream")
    assert first.status_code == 200 and first.json()["offset"] == 3000
    wrong = client.generic("PUT", f"{api}/uploads/{sid}", content[1000:], content_type="application/octet-stream",
                           HTTP_UPLOAD_OFFSET="1000")
    assert wrong.status_code == 409 and wrong.json() == {
        "code": "offset_mismatch", "message": wrong.json()["message"], "offset": 3000}
    assert client.get(f"{api}/uploads/{sid}").json()["offset"] == 3000
    rest = client.generic("PUT", f"{api}/uploads/{sid}", content[3000:], content_type="application/octet-stream",
                          HTTP_UPLOAD_OFFSET="3000")
    assert rest.json()["offset"] == len(content)
    done = client.post(f"{api}/uploads/{sid}/finish")
    assert done.status_code == 201, done.content
    body = done.json()
    assert body["late_upload"] is True  # REC-8: captured 30 hours before the upload
    assert body["duration_seconds"] == 600 and body["device_serial"] == "DSJ-9" and body["content_type"] == "video/mp4"
    assert temp_files(tmp_dir) == []
    other = token_client(agency_a[Role.UNIT_HEAD])
    assert other.get(f"{api}/uploads/{sid}").status_code == 404


# ---------------------------------------------------------------------------------------------------------------
# Issue 11 point 5 (ADR 0037): a chunk is hashed while it is written (not read again to name its part), and the
# finish checks each part's hash in a second thread. Resuming and refusing bad bytes must not change.
# ---------------------------------------------------------------------------------------------------------------


class _DroppedConnection:
    """A request body that delivers `first` bytes and then breaks, as a client whose connection drops."""

    def __init__(self, data: bytes, first: int) -> None:
        self.data, self.first, self.at = data, first, 0

    def read(self, size: int = -1, /) -> bytes:
        if self.at >= self.first:
            raise OSError("connection reset by peer")
        piece = self.data[self.at : min(self.at + size, self.first)]
        self.at += len(piece)
        return piece


def test_an_interrupted_chunk_keeps_exactly_what_arrived_and_the_upload_resumes(agency_a, stores) -> None:
    blob_dir, tmp_dir = stores
    content = MP4 + os.urandom(200_000)
    user = agency_a[Role.OFFICER]
    client = logged_in(user)
    created = _create_session(client, content, sha256=hashlib.sha256(content).hexdigest())
    session = UploadSession.objects.get(public_id=created["id"])
    arrived = uploads.RAW_CHUNK // 2 + 12_345  # not on a read boundary
    with pytest.raises(OSError):
        uploads.upload_session_append(actor=user, session=session, offset=0, body=_DroppedConnection(content, arrived),
                                      length=len(content))
    assert UploadSession.objects.get(pk=session.pk).received == arrived
    backend = default_store().backend
    (part,) = backend.parts(uploads.upload_key(session))
    # The part is named by the checksum of the bytes written, which are exactly the bytes that arrived (the local
    # backend records a CRC-32 per chunk of its one file, ADR 0043).
    assert (part.start, part.end, part.crc32) == (0, arrived, f"{zlib.crc32(content[:arrived]):08x}")
    f = backend.part_open(uploads.upload_key(session), part)
    try:
        assert f.read() == content[:arrived]
    finally:
        f.close()
    assert client.get(created["chunk_url"]).json()["offset"] == arrived
    assert _put(client, created["chunk_url"], content[arrived:], arrived).json()["offset"] == len(content)
    finished = client.post(created["finish_url"])
    assert finished.status_code == 201, finished.content
    assert blob_files(blob_dir)[0].read_bytes() == content and temp_files(tmp_dir) == []


def test_a_part_changed_after_it_was_acknowledged_is_refused_at_finish(agency_a, stores) -> None:
    _blob, tmp_dir = stores
    content = MP4 + os.urandom(200_000)
    user = agency_a[Role.OFFICER]
    client = logged_in(user)
    created = _create_session(client, content)
    half = len(content) // 2
    assert _put(client, created["chunk_url"], content[:half], 0).status_code == 200
    assert _put(client, created["chunk_url"], content[half:], half).status_code == 200
    session = UploadSession.objects.get(public_id=created["id"])
    backend = default_store().backend
    second = backend.parts(uploads.upload_key(session))[1]
    assert second.end == len(content)
    # ADR 0043: the local backend keeps one file per upload; its acknowledged bytes change on disk.
    path = backend._upload_dir(uploads.upload_key(session)) / "data"  # type: ignore[attr-defined]
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) - 10] ^= 0xFF  # one flipped byte near the end of the last part, same length
    path.chmod(0o600)
    path.write_bytes(bytes(damaged))
    refused = client.post(created["finish_url"])
    assert refused.status_code == 409 and refused.json()["code"] == "closed", refused.content
    assert not Evidence.objects.exists() and temp_files(tmp_dir) == []
    assert UploadSession.objects.get(pk=session.pk).state == UploadState.EXPIRED


def test_a_wrong_chunk_is_refused_by_the_declared_hash(agency_a, stores) -> None:
    _blob, tmp_dir = stores
    content = MP4 + os.urandom(50_000)
    client = logged_in(agency_a[Role.OFFICER])
    created = _create_session(client, content, sha256=hashlib.sha256(content).hexdigest())
    assert _put(client, created["chunk_url"], content[:30_000], 0).status_code == 200
    wrong = content[30_000:-1] + bytes([content[-1] ^ 1])  # the second chunk with its last byte changed
    assert _put(client, created["chunk_url"], wrong, 30_000).status_code == 200
    mismatch = client.post(created["finish_url"])
    assert mismatch.status_code == 422 and mismatch.json()["code"] == "hash_mismatch"
    assert not Evidence.objects.exists() and temp_files(tmp_dir) == []


# ---------------------------------------------------------------------------------------------------------------
# ADR 0043: on the local backend a resumable upload is one file, written at each chunk's offset and linked into the
# blob folder at the finish. Resuming, refusing and failing closed must not change (BI-1, FC-4).
# ---------------------------------------------------------------------------------------------------------------


def _session_folder(session_id: str) -> Path:
    return default_store().backend._upload_dir(session_id)  # type: ignore[attr-defined]


def test_one_file_per_upload_is_linked_not_copied_into_the_blob_folder(agency_a, stores) -> None:
    blob_dir, tmp_dir = stores
    content = MP4 + os.urandom(150_000)
    client = logged_in(agency_a[Role.OFFICER])
    created = _create_session(client, content)
    thirds = [0, 50_000, 100_000, len(content)]
    for start, end in zip(thirds, thirds[1:], strict=False):
        assert _put(client, created["chunk_url"], content[start:end], start).status_code == 200
    folder = _session_folder(created["id"])
    data = folder / "data"
    assert data.read_bytes() == content  # one file, every chunk at its offset; one marker per chunk beside it
    assert sorted(p.name for p in folder.iterdir() if p.name != "data") == [
        f"{s:016d}-{e:016d}-crc32-{zlib.crc32(content[s:e]):08x}" for s, e in zip(thirds, thirds[1:], strict=False)]
    inode = data.stat().st_ino
    done = client.post(created["finish_url"])
    assert done.status_code == 201, done.content
    (blob,) = blob_files(blob_dir)
    assert blob.read_bytes() == content and blob.name == hashlib.sha256(content).hexdigest()
    assert blob.stat().st_ino == inode  # the same bytes on disk: linked, not copied
    assert temp_files(tmp_dir) == [] and not folder.exists()


def test_an_upload_resumes_after_a_restart_and_the_finish_hashes_the_file(agency_a, stores, monkeypatch) -> None:
    """A new server process has no running hash: the next chunk continues the file, the finish hashes it."""
    from zhifa.common.storage import local

    blob_dir, _tmp = stores
    content = MP4 + os.urandom(120_000)
    sha = hashlib.sha256(content).hexdigest()
    client = logged_in(agency_a[Role.OFFICER])
    created = _create_session(client, content, sha256=sha)
    assert _put(client, created["chunk_url"], content[:70_000], 0).status_code == 200
    monkeypatch.setattr(local, "_RUNNING", type(local._RUNNING)())  # "restart": this process forgot everything
    assert client.get(created["chunk_url"]).json()["offset"] == 70_000
    refused = _put(client, created["chunk_url"], content[60_000:], 60_000)  # not where the server's copy ends
    assert refused.status_code == 409 and refused.json()["offset"] == 70_000
    assert "分片位置不符" in refused.json()["message"]
    assert _put(client, created["chunk_url"], content[70_000:], 70_000).json()["offset"] == len(content)
    assert not local._RUNNING  # nothing to continue from: the finish must read the file
    done = client.post(created["finish_url"])
    assert done.status_code == 201, done.content
    assert Evidence.objects.get().sha256 == sha and blob_files(blob_dir)[0].read_bytes() == content


def test_bytes_a_crashed_request_left_past_the_offset_never_become_a_blob(agency_a, stores) -> None:
    """A request that wrote its chunk but died before the database acknowledged it leaves bytes (and a marker) past
    the offset; the retry overwrites them, and the finish stores exactly the client's bytes."""
    blob_dir, _tmp = stores
    content = MP4 + os.urandom(100_000)
    client = logged_in(agency_a[Role.OFFICER])
    created = _create_session(client, content)
    assert _put(client, created["chunk_url"], content[:40_000], 0).status_code == 200
    backend = default_store().backend
    with backend.part_writer(created["id"], 40_000, Path(default_store().tmp_dir)) as ghost:
        ghost.write(b"\xee" * 80_000)  # garbage that goes beyond the declared size's last chunk boundary
        ghost.commit()  # durable and marked, but never acknowledged in the database
    assert client.get(created["chunk_url"]).json()["offset"] == 40_000
    assert _put(client, created["chunk_url"], content[40_000:], 40_000).json()["offset"] == len(content)
    done = client.post(created["finish_url"])
    assert done.status_code == 201, done.content
    assert blob_files(blob_dir)[0].read_bytes() == content


def test_a_changed_byte_is_refused_at_finish_also_without_a_running_hash(agency_a, stores, monkeypatch) -> None:
    from zhifa.common.storage import local

    _blob, tmp_dir = stores
    content = MP4 + os.urandom(100_000)
    client = logged_in(agency_a[Role.OFFICER])
    created = _create_session(client, content)
    assert _put(client, created["chunk_url"], content, 0).status_code == 200
    monkeypatch.setattr(local, "_RUNNING", type(local._RUNNING)())
    data = _session_folder(created["id"]) / "data"
    damaged = bytearray(data.read_bytes())
    damaged[5_000] ^= 0x01
    data.write_bytes(bytes(damaged))
    refused = client.post(created["finish_url"])
    assert refused.status_code == 409 and refused.json()["code"] == "closed"
    assert "临时文件已损坏" in refused.json()["message"]
    assert not Evidence.objects.exists() and not Blob.objects.exists() and temp_files(tmp_dir) == []
