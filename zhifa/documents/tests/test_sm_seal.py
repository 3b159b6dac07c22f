"""SM mode for issued documents: SM3 of both files and a detached SM2 seal signature over the sealed PDF, checked
with the OpenSSL command line (issue 9 defect 15; reliability.md TP-7; ADR 0020)."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest

from zhifa.documents import signing
from zhifa.documents.tests.helpers import issue, stores  # noqa: F401
from zhifa.records import sm
from zhifa.records.blobstore import default_store
from zhifa.records.models import Blob, LedgerEntry

pytestmark = pytest.mark.usefixtures("stores")


@pytest.mark.django_db
def test_sm_mode_document_has_sm3_and_an_sm2_seal_signature_openssl_verifies(agency_a, settings, tmp_path) -> None:  # noqa: ANN001
    """issue 9 defect 15, TP-7: in SM mode an issued document records the SM3 of its PDF and DOCX (row, blob rows,
    ledger entry) and a detached SM2/SM3 signature over the stored (pyHanko-sealed) PDF by the agency's SM2 seal
    key; `openssl pkeyutl -verify -rawin -digest sm3` accepts it for the stored PDF and rejects a changed one."""
    settings.ZHIFA_SM_MODE = True
    document = issue(agency_a)
    store = default_store()
    pdf = store.path_for(document.pdf_sha256).read_bytes()
    assert document.pdf_sm3 == sm.sm3_hex(pdf) and Blob.objects.get(pk=document.pdf_sha256).sm3 == document.pdf_sm3
    docx = store.path_for(document.docx_sha256).read_bytes()
    assert document.docx_sm3 == sm.sm3_hex(docx)
    canonical = bytes(LedgerEntry.objects.get(seq=document.ledger_seq).canonical).decode()
    assert document.pdf_sm3 in canonical and document.pdf_sm2_signature in canonical
    assert signing.sm2_verify_pdf(pdf, document.pdf_sm2_signature, agency=agency_a.agency)
    assert not signing.sm2_verify_pdf(pdf + b"\n", document.pdf_sm2_signature, agency=agency_a.agency)
    openssl = shutil.which("openssl")
    assert openssl
    (tmp_path / "seal.pub.pem").write_bytes(signing.sm2_seal_for(agency_a.agency).public_pem())
    (tmp_path / "doc.sig").write_bytes(base64.b64decode(document.pdf_sm2_signature))
    (tmp_path / "doc.pdf").write_bytes(pdf)
    (tmp_path / "changed.pdf").write_bytes(pdf.replace(b"/Type", b"/Typf", 1))

    def check(name: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([openssl, "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "seal.pub.pem"),
                               "-rawin", "-digest", "sm3", "-pkeyopt", "distid:1234567812345678",
                               "-in", str(tmp_path / name), "-sigfile", str(tmp_path / "doc.sig")],
                              capture_output=True, timeout=60)

    assert check("doc.pdf").returncode == 0
    assert check("changed.pdf").returncode != 0
    key_file = Path(settings.ZHIFA_SEAL_DIR) / f"agency-{agency_a.agency.public_id}-sm2.pem"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    # The pyHanko (ECDSA, SHA-256) seal is still there: SM mode adds, it does not replace.
    assert signing.verify_pdf_signature(pdf)[0] is True


@pytest.mark.django_db
def test_default_mode_documents_carry_no_sm_fields(agency_a) -> None:  # noqa: ANN001
    """issue 9 defect 15: with ZHIFA_SM_MODE off nothing changes (no SM3, no SM2 signature, no SM2 key)."""
    document = issue(agency_a)
    assert document.pdf_sm3 == "" and document.pdf_sm2_signature == "" and document.docx_sm3 == ""
    canonical = bytes(LedgerEntry.objects.get(seq=document.ledger_seq).canonical).decode()
    assert "sm3" not in canonical and "sm2" not in canonical
