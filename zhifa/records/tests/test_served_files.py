"""Issue 9 defect 5 (tampered files served), reliability.md FC-8 (served-file part), ADR 0017: small files are
re-hashed on every read; what is found changed is flagged and refused (409, Chinese message, no bytes), for
evidence and for documents — a signed PDF altered on disk with its size kept is refused, before and after fixity."""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from zhifa.accounts.roles import Role
from zhifa.documents.tests.helpers import issue
from zhifa.records.blobstore import default_store
from zhifa.records.models import BlobFlag, Evidence, IntegrityStatus
from zhifa.records.tests.test_evidence import JPEG, store_evidence

pytestmark = pytest.mark.django_db


@pytest.fixture
def stores(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"
    settings.ZHIFA_SEAL_DIR = tmp_path / "seals"
    return tmp_path


def flip_keep_size(sha256: str) -> None:
    """An attacker with file access edits the bytes in place; the size stays the same."""
    path = default_store().path_for(sha256)
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_altered_evidence_is_refused_on_the_next_read_without_fixity(agency_a, stores) -> None:  # type: ignore[no-untyped-def]
    """Defect 5 / FC-8: a flipped byte in a stored photo is refused (409) at once, and flagged 完整性受损."""
    officer = agency_a[Role.OFFICER]
    evidence = store_evidence(officer, JPEG)
    client = client_for(officer)
    assert client.get(f"/staff/records/evidence/{evidence.public_id}/download/").status_code == 200
    flip_keep_size(evidence.sha256)
    response = client.get(f"/staff/records/evidence/{evidence.public_id}/download/")
    assert response.status_code == 409
    assert "完整性受损" in response.content.decode()
    assert JPEG[:16] not in response.content
    assert BlobFlag.objects.get(sha256=evidence.sha256).found_by == "read"
    assert Evidence.objects.get(pk=evidence.pk).integrity_status == IntegrityStatus.CHANGED
    # the API refuses too
    from zhifa.accounts.services import api_token_create

    _row, token = api_token_create(user=officer, name="t")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get(f"/api/v1/records/evidence/{evidence.public_id}/download").status_code == 409


def test_large_files_rely_on_fixity(agency_a, stores, settings) -> None:  # type: ignore[no-untyped-def]
    """Above ZHIFA_VERIFY_ON_READ_MAX_BYTES only the size is checked on read; fixity flags the change."""
    settings.ZHIFA_VERIFY_ON_READ_MAX_BYTES = 10
    officer = agency_a[Role.OFFICER]
    evidence = store_evidence(officer, JPEG)
    flip_keep_size(evidence.sha256)
    client = client_for(officer)
    assert client.get(f"/staff/records/evidence/{evidence.public_id}/download/").status_code == 200
    with pytest.raises(CommandError):
        call_command("fixity", stdout=StringIO(), stderr=StringIO())
    assert BlobFlag.objects.get(sha256=evidence.sha256).found_by == "fixity"
    assert client.get(f"/staff/records/evidence/{evidence.public_id}/download/").status_code == 409


def test_signed_pdf_altered_on_disk_is_refused(agency_a, stores) -> None:  # type: ignore[no-untyped-def]
    """Defect 5: document downloads checked only the size; a same-size edit of the signed PDF is now refused."""
    document = issue(agency_a)
    client = client_for(agency_a[Role.OFFICER])
    assert client.get(f"/staff/documents/{document.public_id}/pdf/").status_code == 200
    flip_keep_size(document.pdf_sha256)
    response = client.get(f"/staff/documents/{document.public_id}/pdf/")
    assert response.status_code == 409
    assert "完整性受损" in response.content.decode()
    assert b"%PDF" not in response.content
    assert BlobFlag.objects.filter(sha256=document.pdf_sha256).exists()
    assert client.get(f"/staff/documents/{document.public_id}/docx/").status_code == 200  # the other file is fine


def test_fixity_flag_refuses_documents_and_is_lifted_when_the_file_is_restored(agency_a, stores, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ZHIFA_VERIFY_ON_READ_MAX_BYTES = 10  # fixity alone decides
    document = issue(agency_a)
    path = default_store().path_for(document.pdf_sha256)
    original = path.read_bytes()
    flip_keep_size(document.pdf_sha256)
    with pytest.raises(CommandError):
        call_command("fixity", stdout=StringIO(), stderr=StringIO())
    client = client_for(agency_a[Role.OFFICER])
    assert client.get(f"/staff/documents/{document.public_id}/pdf/").status_code == 409
    path.write_bytes(original)  # restored from a backup
    call_command("fixity", stdout=StringIO(), stderr=StringIO())
    assert not BlobFlag.objects.exists()
    assert client.get(f"/staff/documents/{document.public_id}/pdf/").status_code == 200


def test_scheduled_run_flags_and_reports(agency_a, stores, settings) -> None:  # type: ignore[no-untyped-def]
    """Defect 5: what the worker schedules (fixity daily, deep verification nightly) flags without anyone asking."""
    settings.DATA_DIR = stores / "data"
    settings.ZHIFA_LEDGER_KEY_FILE = stores / "keys" / "ledger.pem"
    settings.ZHIFA_VERIFY_ON_READ_MAX_BYTES = 10
    evidence = store_evidence(agency_a[Role.OFFICER], JPEG)
    call_command("integrity_watch", "--once")
    flip_keep_size(evidence.sha256)
    with pytest.raises(CommandError):
        call_command("integrity_watch", "--once")
    assert BlobFlag.objects.filter(sha256=evidence.sha256, found_by="fixity").exists()
    reports = sorted(p.name.split("-2")[0] for p in (stores / "data" / "reports").iterdir())
    assert "fixity" in reports and "deep-verify" in reports


def test_schedule_times() -> None:
    from datetime import UTC, datetime

    from zhifa.common.tasks import first_run as next_at

    at = next_at(datetime(2026, 3, 1, 17, 30, tzinfo=UTC), 2)  # 01:30 in Beijing → 02:00 the same night
    assert (at.day, at.hour, at.minute) == (2, 2, 0)
    at = next_at(datetime(2026, 3, 1, 19, 0, tzinfo=UTC), 2)  # 03:00 in Beijing → 02:00 the next night
    assert (at.day, at.hour) == (3, 2)
