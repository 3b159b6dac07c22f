"""Reads of issued documents (architecture rule 2). Every selector takes the user and scopes to the agencies that
user may see; another agency's document is a 404. `document_read_for` appends the 调阅 entry first and fails
closed (AccessLogUnavailable → the caller returns 503 and no data)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from zhifa.accounts.scoping import scope_to_agencies, visible_agency_ids
from zhifa.common.errors import InvalidState
from zhifa.common.storage import Readable
from zhifa.documents.models import Document
from zhifa.records import access
from zhifa.records.blobstore import default_store
from zhifa.records.integrity import read_problem

if TYPE_CHECKING:
    from zhifa.accounts.models import User

FORMATS = {"pdf": "application/pdf",
           "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
OBJECT_KIND = "document"


class DocumentFileMissing(InvalidState):
    code = "document_file_missing"


def documents_qs_for(*, user: User) -> QuerySet[Document]:
    return scope_to_agencies(Document.objects.all(), visible_agency_ids(user)).select_related(
        "agency", "issued_by", "ledger_entry"
    )


def documents_for_subject(*, user: User, subject_id: uuid.UUID | str) -> list[Document]:
    """The documents of a case (or other subject) the user may see, in issue order. Metadata only: no 调阅 entry
    (the page showing the case logs the case read; opening a document logs that document)."""
    try:
        subject = uuid.UUID(str(subject_id))
    except ValueError:
        return []
    return list(documents_qs_for(user=user).filter(subject_id=subject).order_by("issued_at", "pk"))


def document_get_for(*, user: User, public_id: uuid.UUID | str) -> Document:
    """The row, without an access entry (for checks before a read). Another agency's document is a 404."""
    try:
        return documents_qs_for(user=user).get(public_id=public_id)
    except (Document.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def document_record_read(
    *, user: User, document: Document, action: str, request: HttpRequest | None = None, result: str = "ok"
) -> None:
    access.record_access(
        user=user, agency_id=document.agency_id, object_kind=OBJECT_KIND, object_id=str(document.public_id),
        action=action, request=request, result=result,
    )


def document_view_for(*, user: User, public_id: uuid.UUID | str, request: HttpRequest | None = None) -> Document:
    """The document's metadata for display; the 调阅 entry ("view") is written first."""
    document = document_get_for(user=user, public_id=public_id)
    document_record_read(user=user, document=document, action="view", request=request)
    return document


def document_read_for(
    *, user: User, public_id: uuid.UUID | str, fmt: str, request: HttpRequest | None = None
) -> tuple[Document, Readable]:
    """The document and an open file of its PDF or DOCX. The 调阅 entry ("download") is written
    before the file is opened; AccessLogUnavailable propagates (fail closed). A missing or truncated file raises
    DocumentFileMissing (409) after the refused read is logged; so does a file whose content no longer has the
    recorded hash, or one flagged by fixity (issue 9 defect 5)."""
    if fmt not in FORMATS:
        raise Http404
    document = document_get_for(user=user, public_id=public_id)
    sha256, size = (document.pdf_sha256, document.pdf_size) if fmt == "pdf" else (
        document.docx_sha256, document.docx_size)
    store = default_store()
    # Flagged by fixity, missing, another size, or (up to 20 MB: every document) another hash now: refused (defect 5).
    problem = read_problem(sha256, size, store=store)
    document_record_read(user=user, document=document, action="download", request=request,
                         result="ok" if problem is None else f"refused_{problem}")
    if problem == "missing":
        raise DocumentFileMissing("文书文件缺失，系统拒绝提供。请联系系统管理员。")
    if problem is not None:
        raise DocumentFileMissing("文书文件的内容与签发时记录的哈希值不符（完整性受损，可能已被篡改），"
                                  "系统拒绝提供。请联系系统管理员。")
    return document, store.open(sha256)
