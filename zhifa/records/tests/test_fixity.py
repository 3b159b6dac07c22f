"""`zhifa fixity` (reliability.md FC-8; REC-9): changed, missing and unexpected files are reported, evidence is
flagged 完整性受损 and no longer served, each change of status is a ledger entry, and a restored file clears it."""

from __future__ import annotations

import json
import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from zhifa.records.blobstore import default_store
from zhifa.records.evidence import INTEGRITY_KIND
from zhifa.records.models import Evidence, IntegrityStatus, LedgerEntry
from zhifa.records.tests.test_evidence import JPEG, MP4, PNG, store_evidence
from zhifa.records.tests.test_uploads import logged_in


@pytest.fixture
def stores(settings, tmp_path):  # noqa: ANN001, ANN201
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"
    settings.ZHIFA_UPLOAD_MAX_BYTES = 256 * 1024
    return settings.ZHIFA_BLOB_DIR


def run_fixity() -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("fixity", stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def test_clean_store_passes(agency_a, stores) -> None:
    store_evidence(agency_a["officer"], JPEG)
    code, output = run_fixity()
    assert code == 0
    assert "fixity: 1 blobs checked, 0 changed, 0 missing, 0 unexpected." in output
    assert Evidence.objects.get().integrity_checked_at is not None


def test_fc8_flipped_deleted_and_extra_files_are_reported_and_flagged(agency_a, stores) -> None:
    store = default_store()
    officer = agency_a["officer"]
    flipped = store_evidence(officer, JPEG, name="flip.jpg")
    deleted = store_evidence(officer, PNG, name="gone.png")
    intact = store_evidence(officer, MP4, name="fine.mp4")
    path = store.path_for(flipped.sha256)
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    store.path_for(deleted.sha256).unlink()
    extra = stores / "ab" / "cd" / ("ab" + "cd" + "0" * 60)
    extra.parent.mkdir(parents=True, exist_ok=True)
    extra.write_bytes(b"dropped in")

    code, output = run_fixity()

    assert code == 1
    assert "内容已改变 1 个，缺失 1 个，多余 1 个" in output
    assert "fixity: 2 blobs checked, 1 changed, 1 missing, 1 unexpected." in output
    assert output.count("CHANGED") == 1 and str(path) in output
    assert output.count("MISSING ") == 1 and str(store.path_for(deleted.sha256)) in output
    assert output.count("UNEXPECTED") == 1 and str(extra) in output
    statuses = dict(Evidence.objects.values_list("pk", "integrity_status"))
    assert statuses == {flipped.pk: IntegrityStatus.CHANGED, deleted.pk: IntegrityStatus.MISSING,
                        intact.pk: IntegrityStatus.OK}
    changes = [json.loads(bytes(e.canonical))["payload"] for e in LedgerEntry.objects.filter(kind=INTEGRITY_KIND)]
    assert sorted((c["evidence_id"], c["to"]) for c in changes) == sorted(
        [(str(flipped.public_id), "changed"), (str(deleted.public_id), "missing")])

    # Not served silently: the viewer says 完整性受损, downloads and playback are refused with 409.
    client = logged_in(agency_a["officer"])
    page = client.get(f"/staff/records/evidence/{flipped.public_id}/").content.decode()
    assert "完整性受损" in page and "/media/" not in page and "下载原文件" not in page
    for evidence in (flipped, deleted):
        for suffix in ("download/", "media/"):
            response = client.get(f"/staff/records/evidence/{evidence.public_id}/{suffix}")
            assert response.status_code == 409 and "完整性受损" in response.content.decode()
    assert client.get(f"/staff/records/evidence/{intact.public_id}/download/").status_code == 200

    # Running again reports the same problems but records no new change of status.
    entries = LedgerEntry.objects.filter(kind=INTEGRITY_KIND).count()
    assert run_fixity()[0] == 1
    assert LedgerEntry.objects.filter(kind=INTEGRITY_KIND).count() == entries

    # The operator restores the files from a backup and removes the stray one: everything is fine again.
    os.chmod(path, 0o644)
    path.write_bytes(JPEG)
    store.path_for(deleted.sha256).write_bytes(PNG)
    extra.unlink()
    code, output = run_fixity()
    assert code == 0, output
    assert set(Evidence.objects.values_list("integrity_status", flat=True)) == {IntegrityStatus.OK}
    assert LedgerEntry.objects.filter(kind=INTEGRITY_KIND).count() == entries + 2


def test_files_outside_the_blob_layout_are_unexpected(agency_a, stores) -> None:
    store_evidence(agency_a["officer"], JPEG)
    (stores / "notes.txt").write_text("x")
    (stores / "ff").mkdir(exist_ok=True)
    (stores / "ff" / "readme").write_text("y")
    code, output = run_fixity()
    assert code == 1 and output.count("UNEXPECTED") == 2
