"""document_issue: gapless numbers per agency/type/year, refusal before numbering (DOC-5, CASE-42), one ledger
entry whose blob hashes match the stored files, signatures that break when a signed byte changes."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import stat
import uuid
from datetime import date
from pathlib import Path

import pytest
from django.db import transaction

from zhifa.accounts.roles import Role
from zhifa.common.errors import NotAllowed, ServiceError
from zhifa.documents import rendering, services, signing
from zhifa.documents.models import Document, DocumentCounter
from zhifa.documents.samples import sample_context
from zhifa.documents.services import DocumentIncomplete, document_preview_pdf
from zhifa.documents.tests.helpers import ON, issue, pdf_text, stores  # noqa: F401
from zhifa.records.blobstore import default_store
from zhifa.records.models import Blob, LedgerEntry

pytestmark = pytest.mark.usefixtures("stores")


def _short(personas, short: str = "临水") -> None:  # noqa: ANN001
    personas.agency.short_name = short
    personas.agency.save(update_fields=["short_name"])


def _state() -> tuple[int, int, int, int]:
    return (Document.objects.count(), LedgerEntry.objects.count(),
            sum(DocumentCounter.objects.values_list("last_serial", flat=True)), Blob.objects.count())


@pytest.mark.django_db
def test_numbers_are_gapless_and_a_refused_issue_consumes_nothing(agency_a) -> None:  # noqa: ANN001
    _short(agency_a)
    numbers = []
    for i in range(5):
        numbers.append(issue(agency_a, sign=False).number)
        if i == 2:  # an incomplete context in the middle of the run
            before = _state()
            bad = sample_context("penalty_decision")
            bad["party"]["address"] = "  "
            bad["performance"] = ""
            with pytest.raises(DocumentIncomplete) as caught:
                issue(agency_a, context=bad)
            assert _state() == before
            assert caught.value.code == "document_incomplete"
            assert caught.value.errors == ["当事人住址", "履行方式和期限"]
            assert caught.value.message == "行政处罚决定书缺少必备内容：当事人住址、履行方式和期限（CASE-42）"
            assert caught.value.rule == "CASE-42"
            assert isinstance(caught.value, ServiceError)
    assert numbers == [f"临水罚决〔2026〕{n}号" for n in range(1, 6)]
    assert list(Document.objects.order_by("serial").values_list("serial", flat=True)) == [1, 2, 3, 4, 5]
    assert DocumentCounter.objects.get(agency=agency_a.agency, doc_type="penalty_decision", year=2026).last_serial == 5


@pytest.mark.django_db
def test_a_failure_after_numbering_rolls_the_number_back(agency_a, monkeypatch) -> None:  # noqa: ANN001
    _short(agency_a)
    issue(agency_a, sign=False)
    before = _state()

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(rendering, "render_docx", broken)
    with pytest.raises(RuntimeError):
        issue(agency_a, sign=False)
    assert _state() == before
    monkeypatch.undo()
    assert issue(agency_a, sign=False).number == "临水罚决〔2026〕2号"


@pytest.mark.django_db
def test_sequences_are_independent_per_agency_type_and_year(agency_a, agency_b) -> None:  # noqa: ANN001
    _short(agency_a, "临水")
    _short(agency_b, "临环")
    assert issue(agency_a, sign=False).number == "临水罚决〔2026〕1号"
    assert issue(agency_b, sign=False).number == "临环罚决〔2026〕1号"
    assert issue(agency_a, "prior_notice", sign=False).number == "临水罚告〔2026〕1号"
    assert issue(agency_a, sign=False, on=date(2027, 1, 4)).number == "临水罚决〔2027〕1号"
    assert issue(agency_a, sign=False).number == "临水罚决〔2026〕2号"
    unnumbered = issue(agency_a, "inquiry_record", sign=False)
    assert (unnumbered.number, unnumbered.serial) == ("", None)
    assert issue(agency_a, "inquiry_record", sign=False).serial is None  # unnumbered types share no counter
    assert not DocumentCounter.objects.filter(doc_type="inquiry_record").exists()


@pytest.mark.django_db
def test_number_uses_the_agency_name_without_a_short_name(agency_a) -> None:  # noqa: ANN001
    assert issue(agency_a, sign=False).number == f"{agency_a.agency.name}罚决〔2026〕1号"


@pytest.mark.django_db
def test_ledger_entry_and_stored_files_match(agency_a, tmp_path: Path) -> None:  # noqa: ANN001
    _short(agency_a)
    subject = uuid.uuid4()
    document = issue(agency_a, subject_id=subject)
    entry = LedgerEntry.objects.get(seq=document.ledger_entry_id)
    data = json.loads(bytes(entry.canonical))
    assert entry.kind == "document.issued" and entry.stream == f"case/{subject}"
    assert entry.agency_id == agency_a.agency.pk
    assert data["payload"] == {
        "document_id": str(document.public_id), "doc_type": "penalty_decision", "name": "行政处罚决定书",
        "number": "临水罚决〔2026〕1号", "subject_id": str(subject), "pdf_sha256": document.pdf_sha256,
        "docx_sha256": document.docx_sha256, "signed": True,
    }
    store = default_store()
    pdf = store.path_for(document.pdf_sha256).read_bytes()
    docx_bytes = store.path_for(document.docx_sha256).read_bytes()
    blobs = {b["content_type"]: b for b in data["blobs"]}
    assert len(data["blobs"]) == 2
    assert blobs["application/pdf"]["sha256"] == hashlib.sha256(pdf).hexdigest() == document.pdf_sha256
    assert blobs["application/pdf"]["size"] == len(pdf) == document.pdf_size
    docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert blobs[docx_type]["sha256"] == hashlib.sha256(docx_bytes).hexdigest() == document.docx_sha256
    assert Blob.objects.filter(sha256__in=[document.pdf_sha256, document.docx_sha256]).count() == 2
    # the stored PDF is the numbered, signed one; the snapshot keeps the context as JSON
    assert "临水罚决〔2026〕1号" in pdf_text(pdf, tmp_path)
    assert document.context["number"] == "临水罚决〔2026〕1号"
    assert document.context["decided_on"] == "2026-11-22" and document.context["fine_amount"] == "50000"
    assert document.context["agency"]["short_name"] == "临水"
    assert document.subject_id == subject and document.issued_by == agency_a[Role.OFFICER]
    assert list(store.tmp_dir.iterdir()) == []  # temporary files are gone


@pytest.mark.django_db
def test_signing_and_verifying_work_under_a_running_event_loop(agency_a) -> None:  # noqa: ANN001
    """pyHanko's sync API calls asyncio.run(); an async caller (or Playwright's loop in the browser tests, which made
    a full-suite run fail) must still get a sealed PDF. The seal is made first: the loop thread runs no ORM."""
    signing.seal_for(agency_a.agency)
    unsigned = rendering.render_pdf("penalty_decision", sample_context("penalty_decision"))

    async def in_a_loop() -> tuple[bool, str]:
        return signing.verify_pdf_signature(signing.sign_pdf(unsigned, agency=agency_a.agency, reason="测试"))

    intact, subject = asyncio.run(in_a_loop())
    assert intact is True and agency_a.agency.uscc in subject


def test_signature_is_valid_and_breaks_when_a_signed_byte_changes(agency_a, settings) -> None:  # noqa: ANN001
    document = issue(agency_a)
    pdf = default_store().path_for(document.pdf_sha256).read_bytes()
    intact, subject = signing.verify_pdf_signature(pdf)
    assert intact is True
    assert agency_a.agency.name in subject and agency_a.agency.uscc in subject
    # flip one byte inside a content stream of the original (signed) revision
    tampered = bytearray(pdf)
    start = pdf.index(b"stream", 1000) + len(b"stream\n") + 16
    tampered[start] ^= 0x01
    assert signing.verify_pdf_signature(bytes(tampered))[0] is False
    assert signing.verify_pdf_signature(pdf + b"\n% appended\n")[0] is False
    assert signing.verify_pdf_signature(rendering.render_pdf("penalty_decision", sample_context("penalty_decision"))) \
        == (False, "")
    # one seal per agency, 0600, reused
    seal = signing.seal_for(agency_a.agency)
    assert stat.S_IMODE(os.stat(seal.path).st_mode) == 0o600
    assert signing.seal_for(agency_a.agency).cert_pem == seal.cert_pem
    assert Path(settings.ZHIFA_SEAL_DIR) == seal.path.parent


@pytest.mark.django_db
def test_unsigned_issue_and_other_agency_refused(agency_a, agency_b) -> None:  # noqa: ANN001
    document = issue(agency_a, "inquiry_record", sign=False)
    assert document.signed is False
    assert signing.verify_pdf_signature(default_store().path_for(document.pdf_sha256).read_bytes()) == (False, "")
    with pytest.raises(NotAllowed):
        services.document_issue(
            actor=agency_b[Role.OFFICER], agency=agency_a.agency, subject_id=uuid.uuid4(), stream="case/x",
            doc_type="penalty_decision", context=sample_context("penalty_decision"), on=ON,
        )
    with pytest.raises(services.UnknownDocumentType):
        issue(agency_a, "no_such_type", context=sample_context("penalty_decision"))


@pytest.mark.django_db
def test_record_header_requires_certificates_shown(agency_a) -> None:  # noqa: ANN001
    context = sample_context("inquiry_record")
    context["record"]["certificate_shown"] = False
    context["officers"][1]["certificate_number"] = ""
    with pytest.raises(DocumentIncomplete) as caught:
        issue(agency_a, "inquiry_record", context=context)
    assert caught.value.errors == ["执法人员执法证件号码", "已出示执法证件的确认"]
    assert "DOC-12" in caught.value.message


@pytest.mark.django_db
def test_preview_has_no_number_and_records_nothing(agency_a, tmp_path: Path) -> None:  # noqa: ANN001
    _short(agency_a)
    before = _state()
    context = sample_context("penalty_decision")
    context["number"] = "临水罚决〔2026〕99号"  # a caller cannot number a document
    text = pdf_text(document_preview_pdf("penalty_decision", context, agency=agency_a.agency), tmp_path)
    assert "草稿" in text and "〔2026〕" not in text
    assert _state() == before


@pytest.mark.usefixtures("ledger_db")
def test_issue_rolls_back_with_the_callers_transaction(agency_a) -> None:  # noqa: ANN001
    """Real commits: a case transition that fails after issuing leaves no number, entry, row or counter."""
    _short(agency_a)
    before = _state()
    with pytest.raises(RuntimeError), transaction.atomic():
        issue(agency_a, sign=False)
        raise RuntimeError("the transition failed after the document was issued")
    assert _state()[:3] == before[:3]
    document = issue(agency_a, sign=False)
    assert document.number == "临水罚决〔2026〕1号"
    assert Document.objects.get().ledger_entry.kind == "document.issued"
