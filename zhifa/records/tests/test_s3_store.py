"""Evidence through the S3 backend of the storage port, against a real Ceph RGW (ADR 0026, 0027). Marked `s3`:
skipped unless ZHIFA_TEST_S3_URL is set (`scripts/ceph-s3.sh start` prints it; `.ci/run` runs `pytest -m s3`)."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import pytest

from zhifa.accounts.roles import Role
from zhifa.common.storage import S3Storage
from zhifa.records.blobstore import default_store
from zhifa.records.evidence import fixity_check
from zhifa.records.models import Evidence
from zhifa.records.tests.test_evidence import JPEG, MP4, temp_files
from zhifa.records.tests.test_uploads import UPLOAD_URL, _create_session, _put, form_fields, logged_in, named_file

pytestmark = pytest.mark.s3


@pytest.fixture
def s3(settings, tmp_path: Path) -> S3Storage:  # noqa: ANN001
    url = os.environ.get("ZHIFA_TEST_S3_URL", "")
    if not url:
        pytest.skip("ZHIFA_TEST_S3_URL is not set (scripts/ceph-s3.sh start prints it)")
    settings.ZHIFA_STORAGE_URL = url + f"&prefix=t-{uuid.uuid4().hex}"  # the bucket keeps every blob: a fresh prefix
    settings.ZHIFA_S3_ACCESS_KEY_ID = os.environ.get("ZHIFA_S3_ACCESS_KEY_ID", "")
    settings.ZHIFA_S3_SECRET_ACCESS_KEY = os.environ.get("ZHIFA_S3_SECRET_ACCESS_KEY", "")
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"  # must stay empty: blobs go to S3
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"
    settings.ZHIFA_UPLOAD_MAX_BYTES = 256 * 1024
    backend = default_store().backend
    assert isinstance(backend, S3Storage)
    return backend


def test_single_upload_and_range_playback(agency_a, s3: S3Storage, settings) -> None:  # noqa: ANN001
    client = logged_in(agency_a[Role.OFFICER])
    response = client.post(UPLOAD_URL, {**form_fields(), "file": named_file(JPEG, "照片.jpg")})
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert s3.verify(evidence.sha256, len(JPEG)) and not Path(settings.ZHIFA_BLOB_DIR).exists()
    media = client.get(f"/staff/records/evidence/{evidence.public_id}/media/", HTTP_RANGE="bytes=2-9")
    assert media.status_code == 206 and b"".join(media.streaming_content) == JPEG[2:10]  # type: ignore[attr-defined]
    assert media["Content-Range"] == f"bytes 2-9/{len(JPEG)}"


def test_resumable_upload_keeps_its_parts_in_the_store(agency_a, s3: S3Storage, settings) -> None:  # noqa: ANN001
    content = MP4 + bytes(range(256)) * 200
    client = logged_in(agency_a[Role.OFFICER])
    session = _create_session(client, content, sha256=hashlib.sha256(content).hexdigest())
    assert _put(client, session["chunk_url"], content[:20000], 0).json()["offset"] == 20000
    assert [(p.start, p.end) for p in s3.parts(session["id"])] == [(0, 20000)]
    assert temp_files(Path(settings.ZHIFA_UPLOAD_TMP_DIR)) == []  # nothing of the session on this server's disk
    assert _put(client, session["chunk_url"], content[20000:], 20000).json()["offset"] == len(content)
    assert client.post(session["finish_url"]).status_code == 201
    evidence = Evidence.objects.get()
    assert s3.verify(evidence.sha256, len(content)) and s3.parts(session["id"]) == []


def test_fixity_finds_a_changed_object(agency_a, s3: S3Storage) -> None:  # noqa: ANN001
    client = logged_in(agency_a[Role.OFFICER])
    client.post(UPLOAD_URL, {**form_fields(), "file": named_file(JPEG, "照片.jpg")})
    evidence = Evidence.objects.get()
    sha = evidence.sha256
    assert fixity_check().changed == []
    # Tampering: a raw client with the keys writes a newer version (the locked original version stays).
    s3.client.put_object(Bucket=s3.bucket, Key=s3.key_for(sha), Body=b"\xff\xd8\xff tampered")
    report = fixity_check()
    assert [where for where, _actual in report.changed] == [s3.location(sha)]
    evidence.refresh_from_db()
    assert evidence.integrity_status == "changed"
