"""Archive export with offline verification, and backup then restore, with the blob store on a real Ceph RGW
(issue 10 bar: "archive export and offline verify, backup/restore"; ADR 0026). Marked `s3`: skipped unless
ZHIFA_TEST_S3_URL is set (`scripts/ceph-s3.sh start` prints it; `.ci/run` runs `pytest -m s3`)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.utils import timezone

from zhifa.accounts.roles import Role
from zhifa.common.storage import S3Storage
from zhifa.documents.samples import sample_context
from zhifa.documents.services import document_issue
from zhifa.records.archive import archive_export
from zhifa.records.backup import create_backup, restore_backup
from zhifa.records.blobstore import default_store
from zhifa.records.checkpoints import checkpoint_create, public_key
from zhifa.records.evidence import fixity_check
from zhifa.records.models import Evidence
from zhifa.records.rollback import writes_refused
from zhifa.records.tests.test_evidence import JPEG, MP4
from zhifa.records.tests.test_s3_store import s3  # noqa: F401  (the fixture: settings on a fresh S3 prefix)
from zhifa.records.tests.test_uploads import UPLOAD_URL, form_fields, logged_in, named_file

pytestmark = pytest.mark.s3

REPO = Path(__file__).resolve().parents[3]
STREAM = "case:upload-1"


@pytest.fixture
def keys(settings, tmp_path: Path) -> Path:  # noqa: ANN001
    settings.DATA_DIR = tmp_path / "data"
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "keys" / "ledger.pem"
    settings.ZHIFA_SEAL_DIR = tmp_path / "keys" / "seals"
    settings.ZHIFA_WITNESS_STATE_DIR = str(tmp_path / "witness")
    return tmp_path


def _evidence_and_a_document(personas) -> tuple[list[str], list[str]]:  # noqa: ANN001
    """Two evidence files uploaded by the officer and one issued document (PDF and DOCX), all in STREAM."""
    client = logged_in(personas[Role.OFFICER])
    video = MP4 + bytes(range(256)) * 100
    for content, name in ((JPEG, "照片.jpg"), (video, "执法记录仪.mp4")):
        response = client.post(UPLOAD_URL, {**form_fields(STREAM), "file": named_file(content, name)})
        assert response.status_code == 302, response.content
    evidence = sorted(Evidence.objects.values_list("blob_id", flat=True))
    assert sorted(evidence) == sorted(hashlib.sha256(c).hexdigest() for c in (JPEG, video))
    document = document_issue(
        actor=personas[Role.OFFICER], agency=personas.agency, subject_id=uuid.uuid4(), stream=STREAM,
        doc_type="penalty_decision", context=sample_context("penalty_decision"), on=timezone.localdate(),
    )
    return evidence, [document.pdf_sha256, document.docx_sha256]


def _offline_verify(package: Path, vkey: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "zhifa.records.verify", str(package), "--key", vkey],
                          cwd=package.parent, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.django_db
def test_archive_export_from_s3_verifies_offline(agency_a, s3: S3Storage, keys: Path, settings) -> None:  # noqa: ANN001,F811
    """REC archive (ADR 0009) with the store on S3: the package carries the stream's evidence and documents read
    from the S3 store, and the offline verifier (no Django, no database, no store) passes it."""
    evidence, documents = _evidence_and_a_document(agency_a)
    for sha in evidence + documents:
        assert s3.exists(sha)
    assert not Path(settings.ZHIFA_BLOB_DIR).exists()  # nothing on this server's disk
    checkpoint_create()
    package = keys / "package"
    result = archive_export(stream=STREAM, output=package)
    assert not result.problems
    for sha in evidence + documents:
        with s3.open(sha) as f:
            assert (package / "data" / "blobs" / sha).read_bytes() == f.read()
    done = _offline_verify(package, public_key())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "核验通过" in done.stdout and "VERIFIED" in done.stdout

    # The verifier reads the package, not the store: a changed blob in the package fails it.
    changed = package / "data" / "blobs" / documents[0]
    changed.write_bytes(changed.read_bytes()[:-1] + b"\x00")
    assert _offline_verify(package, public_key()).returncode != 0


@pytest.mark.usefixtures("ledger_db")
def test_backup_and_restore_with_the_store_on_s3(agency_a, s3: S3Storage, keys: Path, settings) -> None:  # noqa: ANN001,F811
    """A8/FC-6 with the store on S3: the backup holds every blob of the S3 store; restored into an empty S3 area,
    the blobs come back there (never overwritten), the ledger verifies and accepts writes, and fixity passes.
    (A transactional test: SQLite's backup API never finishes inside an open write transaction.)"""
    evidence, documents = _evidence_and_a_document(agency_a)
    checkpoint_create()
    info = create_backup(keys / "backups")
    for sha in evidence + documents:
        assert (info.path / "blobs" / sha[:2] / sha[2:4] / sha).is_file()

    # A new, empty S3 area (another prefix of the bucket): what a restore onto a new site starts from.
    settings.ZHIFA_STORAGE_URL = os.environ["ZHIFA_TEST_S3_URL"] + f"&prefix=t-{uuid.uuid4().hex}"
    target = default_store().backend
    assert isinstance(target, S3Storage) and target.prefix != s3.prefix
    assert not any(target.exists(sha) for sha in evidence + documents)
    report = restore_backup(info.path, force=True)
    assert report.ok, report.problems
    assert not report.writes_refused and not writes_refused()
    for sha in evidence + documents:
        assert target.verify(sha)
    assert report.verify is not None and report.verify.size == info.ledger_size
    fixity = fixity_check()
    assert fixity.changed == [] and fixity.missing == [] and fixity.checked == len(evidence + documents)

    # Restoring again adds nothing and overwrites nothing.
    again = restore_backup(info.path, force=True)
    assert again.ok, again.problems
