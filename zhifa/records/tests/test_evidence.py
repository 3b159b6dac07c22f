"""Evidence store services: content addressing, the ledger entry in the same transaction, REC-8, type allowlist,
append-only rows (architecture rule 6; reliability.md BI-2, BI-3).

Helpers at the top are shared with the other evidence test modules (imported, never redefined).
"""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from zhifa.accounts.roles import Role
from zhifa.common.errors import InvalidInput, NotAllowed
from zhifa.records import evidence as ev
from zhifa.records.blobstore import (
    BlobCorrupted,
    UnsupportedType,
    UploadTooLarge,
    check_type,
    default_store,
    human_size,
    upload_limit,
)
from zhifa.records.models import Blob, Evidence, LedgerEntry

# ---------------------------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------------------------



def image_bytes(fmt: str, size: tuple[int, int] = (8, 8)) -> bytes:
    """A real, tiny image: uploads of images must have a header Pillow can read (issue 9 defect 13)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()


# Bytes after the end of an image are allowed (and keep these long enough for the range tests).
JPEG = image_bytes("JPEG") + bytes(range(256)) * 8
PNG = image_bytes("PNG") + bytes(200)
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(range(256)) * 64
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00" + bytes(300)
M4A = b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00" + bytes(300)
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + bytes(300)
MKV = b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska" + bytes(300)
MP3_ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(300)
MP3_FRAME = b"\xff\xfb\x90\x64" + bytes(300)
WAV = b"RIFF\x24\x08\x00\x00WAVEfmt " + bytes(300)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(300)
ELF = b"\x7fELF\x02\x01\x01" + bytes(300)


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@pytest.fixture
def stores(settings, tmp_path: Path) -> tuple[Path, Path]:
    """Blob and temp folders of this test only; a small upload limit keeps the size tests fast."""
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"
    settings.ZHIFA_UPLOAD_MAX_BYTES = 256 * 1024
    return settings.ZHIFA_BLOB_DIR, settings.ZHIFA_UPLOAD_TMP_DIR


def store_evidence(user, content: bytes = JPEG, *, stream: str = "case:test-1", name: str = "现场照片.jpg",
                   captured_at=None, **capture) -> Evidence:
    """Create evidence through the service, as the upload views do."""
    store = default_store()
    writer = store.writer(limit=upload_limit())
    try:
        writer.write(content)
        staged = writer.finish()
        return ev.evidence_create(
            actor=user, stream=stream, staged=staged, original_filename=name,
            capture=ev.capture_clean(captured_at=captured_at or timezone.now() - timedelta(minutes=5), **capture),
        )
    finally:
        writer.discard()


def temp_files(tmp_dir: Path) -> list[Path]:
    return [p for p in tmp_dir.rglob("*") if p.is_file()] if tmp_dir.exists() else []


def blob_files(blob_dir: Path) -> list[Path]:
    return [p for p in blob_dir.rglob("*") if p.is_file()] if blob_dir.exists() else []


def entry_payload(entry: LedgerEntry) -> dict:
    return json.loads(bytes(entry.canonical))


# ---------------------------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------------------------


def test_upload_is_content_addressed_read_only_and_recorded_in_the_ledger(agency_a, stores) -> None:
    blob_dir, tmp_dir = stores
    officer = agency_a[Role.OFFICER]
    evidence = store_evidence(officer, JPEG, device_serial="DSJ-0042", gps_lat="29.123456", gps_lon="113.5",
                              duration_seconds=None, captured_by="张三")
    import hashlib

    sha = hashlib.sha256(JPEG).hexdigest()
    path = blob_dir / sha[:2] / sha[2:4] / sha
    assert path.read_bytes() == JPEG
    assert not stat.S_IMODE(path.stat().st_mode) & 0o222  # read-only
    assert temp_files(tmp_dir) == []
    assert evidence.sha256 == sha and evidence.size == len(JPEG) and evidence.content_type == "image/jpeg"
    assert evidence.agency == agency_a.agency and evidence.uploaded_by == officer
    entry = LedgerEntry.objects.get(seq=evidence.ledger_seq)
    assert entry.kind == ev.EVIDENCE_KIND and entry.stream == "case:test-1" and entry.agency_id == agency_a.agency.pk
    content = entry_payload(entry)
    assert content["blobs"] == [{"sha256": sha, "size": len(JPEG), "content_type": "image/jpeg"}]
    payload = content["payload"]
    assert payload["evidence_id"] == str(evidence.public_id)
    assert payload["device_serial"] == "DSJ-0042" and payload["captured_by"] == "张三"
    assert payload["gps"] == {"lat": "29.123456", "lon": "113.500000"}
    assert payload["original_filename"] == "现场照片.jpg" and payload["late_upload"] is False
    assert payload["captured_at"].endswith("Z")
    assert content["actor"]["username"] == officer.username


def test_same_content_is_stored_once_and_recorded_twice(agency_a, stores) -> None:
    blob_dir, _tmp = stores
    first = store_evidence(agency_a[Role.OFFICER], MP4, name="a.mp4")
    second = store_evidence(agency_a[Role.UNIT_HEAD], MP4, name="b.mp4", stream="case:test-2")
    assert first.blob_id == second.blob_id
    assert Blob.objects.count() == 1 and len(blob_files(blob_dir)) == 1
    assert first.ledger_seq != second.ledger_seq
    assert Evidence.objects.count() == 2


def test_existing_blob_that_no_longer_matches_is_never_overwritten(agency_a, stores) -> None:
    blob_dir, tmp_dir = stores
    evidence = store_evidence(agency_a[Role.OFFICER], PNG, name="x.png")
    path = default_store().path_for(evidence.sha256)
    os.chmod(path, 0o644)
    path.write_bytes(b"\x89PNG tampered")
    with pytest.raises(BlobCorrupted):
        store_evidence(agency_a[Role.OFFICER], PNG, name="again.png")
    assert path.read_bytes() == b"\x89PNG tampered"  # left as found, for the fixity report and the investigation
    assert Evidence.objects.count() == 1
    assert temp_files(tmp_dir) == []


def test_failure_after_ledger_append_rolls_everything_back(agency_a, stores, monkeypatch) -> None:
    """The ledger entry is written in the service's transaction: if the blob cannot be put in place, no entry,
    no evidence row, no blob row, no file and no temporary file remain."""
    blob_dir, tmp_dir = stores
    seq_before = LedgerEntry.objects.count()

    def broken_commit(self, staged):  # noqa: ANN001, ANN202
        raise OSError("disk full")

    monkeypatch.setattr("zhifa.records.blobstore.BlobStore.commit", broken_commit)
    with pytest.raises(OSError):
        store_evidence(agency_a[Role.OFFICER], JPEG)
    assert LedgerEntry.objects.count() == seq_before
    assert not Evidence.objects.exists() and not Blob.objects.exists()
    assert blob_files(blob_dir) == [] and temp_files(tmp_dir) == []


def test_failing_ledger_append_stores_nothing(agency_a, stores, monkeypatch) -> None:
    blob_dir, tmp_dir = stores

    def refuse(**kwargs):  # noqa: ANN003, ANN202
        raise DatabaseError("ledger unavailable")

    monkeypatch.setattr("zhifa.records.ledger.ledger_append", refuse)
    with pytest.raises(DatabaseError):
        store_evidence(agency_a[Role.OFFICER], JPEG)
    assert not Evidence.objects.exists() and not Blob.objects.exists()
    assert blob_files(blob_dir) == [] and temp_files(tmp_dir) == []


def test_rec8_upload_more_than_24_hours_after_capture_is_flagged(agency_a, stores) -> None:
    now = timezone.now()
    late = store_evidence(agency_a[Role.OFFICER], JPEG, captured_at=now - timedelta(hours=25))
    on_time = store_evidence(agency_a[Role.OFFICER], PNG, captured_at=now - timedelta(hours=23))
    assert late.late_upload is True and on_time.late_upload is False
    assert entry_payload(late.ledger_entry)["payload"]["late_upload"] is True


def test_capture_time_is_required_and_not_in_the_future(agency_a, stores) -> None:
    with pytest.raises(ev.InvalidInput):
        ev.capture_clean(captured_at=None)
    with pytest.raises(ev.InvalidInput):
        ev.capture_clean(captured_at=timezone.now() + timedelta(hours=2))
    with pytest.raises(ev.InvalidInput):
        ev.capture_clean(captured_at=timezone.now(), gps_lat="29.1")  # latitude without longitude
    with pytest.raises(ev.InvalidInput):
        ev.capture_clean(captured_at=timezone.now(), gps_lat="91", gps_lon="1")


def test_only_officers_and_unit_heads_upload_and_always_into_their_own_agency(agency_a, stores) -> None:
    for role in (Role.ARCHIVIST, Role.LEGAL_REVIEWER, Role.AGENCY_HEAD, Role.DISCLOSURE_OFFICER, Role.AGENCY_ADMIN):
        with pytest.raises(NotAllowed):
            store_evidence(agency_a[role], JPEG)
    assert store_evidence(agency_a[Role.UNIT_HEAD], JPEG).agency == agency_a.agency
    assert not Evidence.objects.exclude(agency=agency_a.agency).exists()


@pytest.mark.parametrize("stream", ["access:1", "ACCESS:2", "", "   ", "x" * 129])
def test_reserved_or_malformed_streams_are_refused(agency_a, stores, stream: str) -> None:
    with pytest.raises(ev.InvalidInput):
        store_evidence(agency_a[Role.OFFICER], JPEG, stream=stream)
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(("content", "expected"), [
    (JPEG, "image/jpeg"), (PNG, "image/png"), (MP4, "video/mp4"), (MOV, "video/quicktime"), (M4A, "audio/mp4"),
    (WEBM, "video/webm"), (MKV, "video/x-matroska"), (MP3_ID3, "audio/mpeg"), (MP3_FRAME, "audio/mpeg"),
    (WAV, "audio/wav"), (PDF, "application/pdf"),
])
def test_allowed_types_are_detected_by_content(content: bytes, expected: str) -> None:
    assert check_type(content[:4096], None) == expected


def test_docx_is_detected_from_its_zip_directory(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(docx_bytes())
    assert check_type(path.read_bytes()[:4096], path).endswith("wordprocessingml.document")
    other = tmp_path / "b.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("payload.exe", "MZ")
    with pytest.raises(UnsupportedType):
        check_type(other.read_bytes()[:4096], other)


def test_records_invalid_input_is_the_common_class_answering_400() -> None:
    exc = ev.InvalidInput("x", code="invalid_stream", errors=[{"field": "stream", "message": "x"}])
    assert isinstance(exc, InvalidInput) and exc.status == 400 and InvalidInput("x").status == 422
    assert exc.code == "invalid_stream" and exc.errors == [{"field": "stream", "message": "x"}]


@pytest.mark.parametrize(("n", "text"), [
    (0, "0 B"), (1023, "1023 B"), (1536, "1.5 KB"), (2 * 1024**2, "2.0 MB"), (5 * 1024**4, "5120.0 GB"),
])
def test_human_size_is_the_one_size_label_of_pages_and_archive_index(n: int, text: str) -> None:
    assert human_size(n) == text


@pytest.mark.parametrize(("content", "word"), [
    (HTML, "HTML"), (SVG, "SVG"), (b"\xef\xbb\xbf  <html>", "HTML"), (EXE, "可执行程序"), (ELF, "可执行程序"),
    (b"#!/bin/sh\nrm -rf /", "脚本"), (b"GIF89a" + bytes(100), "不支持的文件类型"),
])
def test_dangerous_and_unknown_types_are_refused_in_chinese(content: bytes, word: str) -> None:
    with pytest.raises(UnsupportedType) as info:
        check_type(content, None)
    assert word in info.value.message and "仅接受" in info.value.message
    assert info.value.status == 415


def test_writer_refuses_bytes_past_the_limit_and_discard_removes_the_file(stores) -> None:
    _blob, tmp_dir = stores
    writer = default_store().writer(limit=1000)
    writer.write(JPEG[:600])
    with pytest.raises(UploadTooLarge):
        writer.write(JPEG[600:1200])
    writer.discard()
    assert temp_files(tmp_dir) == []


def test_evidence_rows_and_blobs_are_append_only(agency_a, stores) -> None:
    evidence = store_evidence(agency_a[Role.OFFICER], JPEG)
    for change in (
        lambda: Evidence.objects.filter(pk=evidence.pk).update(stream="case:other"),
        lambda: Evidence.objects.filter(pk=evidence.pk).update(late_upload=True),
        lambda: Evidence.objects.filter(pk=evidence.pk).delete(),
        lambda: Blob.objects.filter(pk=evidence.blob_id).update(size=1),
        lambda: Blob.objects.filter(pk=evidence.blob_id).delete(),
    ):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            change()
    # The integrity fields are the one thing fixity may change.
    assert Evidence.objects.filter(pk=evidence.pk).update(integrity_status="missing") == 1
    evidence.refresh_from_db()
    assert evidence.stream == "case:test-1" and evidence.integrity_status == "missing"


def test_download_names_are_generated_from_the_detected_type(agency_a, stores) -> None:
    """BI-3: control and bidi characters are dropped; the extension follows the content, not the upload."""
    evidence = store_evidence(agency_a[Role.OFFICER], JPEG, name="证据\u202egpj.exe\r\nX-Evil: 1\x00.html")
    assert "\u202e" not in evidence.original_filename and "\x00" not in evidence.original_filename
    name = ev.download_filename(evidence)
    assert name.endswith(".jpg") and "\r" not in name and "\n" not in name and "\u202e" not in name
    assert ev.ascii_filename(evidence) == f"evidence-{evidence.public_id.hex[:12]}.jpg"
    nameless = store_evidence(agency_a[Role.OFFICER], PNG, name="")
    assert ev.download_filename(nameless).startswith("证据-") and ev.download_filename(nameless).endswith(".png")


def test_supervisor_reads_supervised_agencies_only_and_admins_read_no_evidence(
    agency_a, agency_b, supervisor, system_admin, stores
) -> None:
    from zhifa.registry.testing import make_personas

    stray = make_personas("C")  # not supervised by the bureau
    store_evidence(agency_a[Role.OFFICER], JPEG)
    store_evidence(agency_b[Role.OFFICER], PNG, stream="case:test-b")
    store_evidence(stray[Role.OFFICER], MP4, stream="case:test-c")
    seen = set(ev.evidence_qs_for(user=supervisor).values_list("agency_id", flat=True))
    assert seen == {agency_a.agency.pk, agency_b.agency.pk}
    assert not ev.evidence_qs_for(user=system_admin).exists()
    assert not ev.evidence_qs_for(user=agency_a[Role.DISCLOSURE_OFFICER]).exists()
    assert set(ev.evidence_qs_for(user=agency_a[Role.ARCHIVIST]).values_list("agency_id", flat=True)) == {
        agency_a.agency.pk}
