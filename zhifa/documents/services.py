"""Issuing documents (architecture rule 1; DOC-5 … DOC-15).

`document_issue` runs inside the caller's transaction (a case transition, say): it refuses an incomplete context
before touching anything, then takes the next number under a row lock, renders, signs, stores the files, appends
one `document.issued` ledger entry and writes the row. Rendering happens inside the transaction on purpose
(ADR 0013): the number, the files, the ledger entry and the row commit together or not at all, so a refused or
failed issue never consumes a number.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from zhifa.accounts.scoping import ALL_AGENCIES, writable_agency_ids
from zhifa.common.errors import NotAllowed, ServiceError
from zhifa.documents import rendering, signing
from zhifa.documents.models import Document, DocumentCounter
from zhifa.documents.types import DOCUMENT_TYPES, DocumentType, missing_fields, missing_rules
from zhifa.records import ledger, sm
from zhifa.records.blobstore import BlobStore, Staged, TempWriter, default_store
from zhifa.records.evidence import blob_record

if TYPE_CHECKING:
    from zhifa.accounts.models import User
    from zhifa.registry.models import Agency

ISSUED_KIND = "document.issued"
FILE_LIMIT = 64 * 1024 * 1024  # a rendered document is far smaller; the limit only guards a runaway template
PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class DocumentIncomplete(ServiceError):
    """A required item of the document is empty (DOC-5 … DOC-12): nothing is numbered, rendered or recorded."""

    code = "document_incomplete"

    def __init__(self, message: str, *, errors: list[str], rule: str = "") -> None:
        super().__init__(message, rule=rule)
        self.errors = errors


class UnknownDocumentType(ServiceError):
    code = "unknown_document_type"


def get_document_type(code: str) -> DocumentType:
    try:
        return DOCUMENT_TYPES[code]
    except KeyError as exc:
        raise UnknownDocumentType(f"未知的文书类型：{code}") from exc


def agency_context(agency: Agency) -> dict[str, Any]:
    """The `agency` block of every document context (the issuing agency's names, contacts and remedy bodies)."""
    return {
        "name": agency.name, "short_name": agency.short_name, "address": agency.address, "phone": agency.phone,
        "reconsideration_body": agency.reconsideration_body, "litigation_court": agency.litigation_court,
    }


def complete_context(
    context: Mapping[str, Any], *, agency: Agency | None = None, on: date | None = None
) -> dict[str, Any]:
    """The caller's context with `issued_on` and absent `agency` values filled in (the caller's values win)."""
    data = dict(context)
    if agency is not None:
        given = dict(data.get("agency") or {})
        data["agency"] = {**agency_context(agency), **{k: v for k, v in given.items() if v not in (None, "")}}
    if on is not None and not data.get("issued_on"):
        data["issued_on"] = on
    data.pop("number", None)  # numbers are ours to give
    return data


def check_complete(doc_type: DocumentType, context: Mapping[str, Any]) -> None:
    missing = missing_fields(doc_type.code, context)
    if missing:
        rules = missing_rules(doc_type.code, context)
        raise DocumentIncomplete(
            f"{doc_type.name}缺少必备内容：{'、'.join(missing)}（{'、'.join(rules)}）",
            errors=missing, rule=",".join(rules),
        )


def format_number(agency: Agency, doc_type: DocumentType, year: int, serial: int) -> str:
    """临水罚决〔2026〕3号: agency short name (or name), type prefix, year in 六角括号, serial."""
    return f"{agency.short_name or agency.name}{doc_type.number_prefix}〔{year}〕{serial}号"


def _next_serial(agency: Agency, doc_type: DocumentType, year: int) -> int:
    """Lock the counter row and bump it, in the caller's transaction (gapless: a rollback undoes the bump)."""
    DocumentCounter.objects.get_or_create(agency=agency, year=year, doc_type=doc_type.code)
    counter = DocumentCounter.objects.select_for_update().get(agency=agency, year=year, doc_type=doc_type.code)
    counter.last_serial += 1
    counter.save(update_fields=["last_serial"])
    return counter.last_serial


_PERSONAL_KEYS = ("id_number", "phone", "address")


def stored_context(data: Mapping[str, Any]) -> dict[str, Any]:
    """The context as the document row keeps it: without the parties' ID numbers, phones and addresses (issue 9
    defect 8, ADR 0018). Those live encrypted in the personal-data vault; the issued PDF and DOCX, which are served
    on the party, keep them (the row's snapshot is only a record of what was filled in)."""
    out = snapshot(data)

    def strip(party: Any) -> Any:
        if isinstance(party, dict) and any(party.get(k) for k in _PERSONAL_KEYS):
            return {**party, **dict.fromkeys(_PERSONAL_KEYS, ""), "personal_withheld": True}
        return party

    if "party" in out:
        out["party"] = strip(out["party"])
    if isinstance(out.get("parties"), list):
        out["parties"] = [strip(p) for p in out["parties"]]
    return out


def snapshot(value: Any) -> Any:
    """JSON-safe copy of a context: dates and datetimes as ISO strings, Decimals as strings."""
    if isinstance(value, Mapping):
        return {str(k): snapshot(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [snapshot(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _stage(store: BlobStore, data: bytes, prefix: str) -> tuple[TempWriter, Staged]:
    writer = store.writer(limit=FILE_LIMIT, prefix=prefix)
    try:
        writer.write(data)
        return writer, writer.finish()
    except BaseException:
        writer.discard()
        raise


def _require_writer(actor: User, agency: Agency) -> None:
    allowed = writable_agency_ids(actor)
    if allowed is not ALL_AGENCIES and agency.pk not in allowed:
        raise NotAllowed("只能以本机关名义签发文书。")


def document_issue(
    *,
    actor: User,
    agency: Agency,
    subject_id: uuid.UUID,
    stream: str,
    doc_type: str,
    context: Mapping[str, Any],
    on: date,
    sign: bool = True,
    store: BlobStore | None = None,
) -> Document:
    """Number, render (PDF and DOCX), sign and store a document, record it in the ledger, and return its row.

    Raises DocumentIncomplete (code "document_incomplete", `.errors` = missing labels) before consuming a number.
    Call it inside the transaction of the step that issues the document; it nests (`transaction.atomic`).
    """
    dtype = get_document_type(doc_type)
    _require_writer(actor, agency)
    data = complete_context(context, agency=agency, on=on)
    check_complete(dtype, data)
    store = store or default_store()
    public_id = uuid.uuid4()
    issued_at = timezone.now()
    writers: list[TempWriter] = []
    try:
        with transaction.atomic():
            serial: int | None = None
            number = ""
            if dtype.numbered:
                serial = _next_serial(agency, dtype, on.year)
                number = format_number(agency, dtype, on.year, serial)
                data["number"] = number
            pdf = rendering.render_pdf(dtype.code, data)
            if sign:
                pdf = signing.sign_pdf(pdf, agency=agency, reason=f"{dtype.name}签章")
            docx = rendering.render_docx(dtype.code, data)
            sm2_signature = signing.sm2_sign_pdf(pdf, agency=agency) if sign and sm.sm_mode() else ""
            pdf_writer, pdf_staged = _stage(store, pdf, "doc-")
            writers.append(pdf_writer)
            docx_writer, docx_staged = _stage(store, docx, "doc-")
            writers.append(docx_writer)
            for staged in (pdf_staged, docx_staged):
                store.check_existing(staged)
                blob_record(staged, at=issued_at)
            sm_payload = {"pdf_sm3": pdf_staged.sm3, "docx_sm3": docx_staged.sm3} if pdf_staged.sm3 else {}
            if sm2_signature:
                sm_payload["pdf_sm2_signature"] = sm2_signature
            entry = ledger.ledger_append(
                kind=ISSUED_KIND, stream=stream, agency_id=agency.pk, actor=actor, at=issued_at,
                payload={
                    "document_id": str(public_id), "doc_type": dtype.code, "name": dtype.name, "number": number,
                    "subject_id": str(subject_id), "pdf_sha256": pdf_staged.sha256,
                    "docx_sha256": docx_staged.sha256, "signed": sign, **sm_payload,
                },
                blobs=[ledger.BlobRef(pdf_staged.sha256, pdf_staged.size, PDF_TYPE, pdf_staged.sm3),
                       ledger.BlobRef(docx_staged.sha256, docx_staged.size, DOCX_TYPE, docx_staged.sm3)],
            )
            document = Document.objects.create(
                public_id=public_id, agency=agency, subject_id=subject_id, stream=stream, doc_type=dtype.code,
                name=dtype.name, number=number, year=on.year, serial=serial,
                pdf_sha256=pdf_staged.sha256, pdf_size=pdf_staged.size,
                docx_sha256=docx_staged.sha256, docx_size=docx_staged.size, signed=sign,
                pdf_sm3=pdf_staged.sm3, docx_sm3=docx_staged.sm3, pdf_sm2_signature=sm2_signature,
                context=stored_context(data), ledger_entry=entry, issued_by=actor, issued_at=issued_at,
            )
            # Last, as in evidence_create: a failed link leaves nothing recorded; a failed commit afterwards leaves
            # only an unreferenced file, which `zhifa fixity` reports.
            store.commit(pdf_staged)
            store.commit(docx_staged)
    finally:
        for writer in writers:
            writer.discard()
    return document


def document_preview_pdf(code: str, context: Mapping[str, Any], *, agency: Agency | None = None) -> bytes:
    """A draft PDF (watermark “草稿”, no number, no seal, nothing stored or recorded). Missing items are allowed:
    a draft is how an officer sees what is still missing."""
    dtype = get_document_type(code)
    return rendering.preview_pdf(dtype.code, complete_context(context, agency=agency, on=timezone.localdate()))
