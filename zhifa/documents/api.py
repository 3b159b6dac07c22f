"""API v1 routes of the documents app, mounted at /api/v1/documents/ (token or session auth, like records).

GET /{id} metadata, GET /{id}/pdf, GET /{id}/docx. Another agency's document is a 404; every read appends a
调阅 entry first and fails closed (503) if it cannot.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Field, Router, Schema
from ninja.decorators import decorate_view
from ninja.security import django_auth

from zhifa.accounts.auth import ApiTokenAuth
from zhifa.documents import selectors
from zhifa.documents.http import file_response
from zhifa.documents.models import Document
from zhifa.records.access import AccessLogUnavailable

router = Router(tags=["执法文书（需令牌）"], auth=[ApiTokenAuth(), django_auth])


def _json(body: dict[str, Any], status: int) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _fail_closed(run: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return run(request, *args, **kwargs)
        except AccessLogUnavailable:
            return _json({"code": "access_log_unavailable",
                          "message": "调阅记录暂时无法写入，为保证每次调阅可追溯，本次请求已被拒绝。请稍后重试。"}, 503)
        except selectors.DocumentFileMissing as exc:
            return _json({"code": exc.code, "message": exc.message}, exc.status)

    return wrapper


class DocumentOut(Schema):
    public_id: uuid.UUID
    agency: uuid.UUID
    agency_name: str
    subject_id: uuid.UUID
    stream: str
    doc_type: str
    name: str = Field(..., description="文书名称")
    number: str = Field(..., description="文号（不编号的文书为空）")
    year: int
    serial: int | None
    pdf_sha256: str
    pdf_sm3: str = Field("", description="PDF 的 SM3（仅 SM 模式）")
    pdf_sm2_signature: str = Field("", description="PDF 的 SM2 分离签名（DER，base64；仅 SM 模式）")
    pdf_size: int
    docx_sha256: str
    docx_size: int
    signed: bool = Field(..., description="PDF 是否加盖电子签章")
    issued_by: str
    issued_at: datetime.datetime
    ledger_seq: int


def serialize(document: Document) -> dict[str, Any]:
    return {
        "public_id": document.public_id, "agency": document.agency.public_id, "agency_name": document.agency.name,
        "subject_id": document.subject_id, "stream": document.stream, "doc_type": document.doc_type,
        "name": document.name, "number": document.number, "year": document.year, "serial": document.serial,
        "pdf_sha256": document.pdf_sha256, "pdf_sm3": document.pdf_sm3,
        "pdf_sm2_signature": document.pdf_sm2_signature, "pdf_size": document.pdf_size, "docx_sha256": document.docx_sha256,
        "docx_size": document.docx_size, "signed": document.signed, "issued_by": str(document.issued_by),
        "issued_at": document.issued_at, "ledger_seq": document.ledger_seq,
    }


@router.get("/{public_id}", response=DocumentOut, operation_id="document_get", summary="文书详情（元数据）")
@decorate_view(_fail_closed)
def document_get(request: HttpRequest, public_id: uuid.UUID) -> Any:
    document = selectors.document_view_for(user=request.user, public_id=public_id, request=request)  # type: ignore[arg-type]
    return serialize(document)


def _download(request: HttpRequest, public_id: uuid.UUID, fmt: str) -> Any:
    document, fileobj = selectors.document_read_for(user=request.user, public_id=public_id, fmt=fmt,  # type: ignore[arg-type]
                                                    request=request)
    return file_response(document, fmt, fileobj)


@router.get("/{public_id}/pdf", response={200: None}, operation_id="document_pdf", summary="下载签章 PDF")
@decorate_view(_fail_closed)
def document_pdf(request: HttpRequest, public_id: uuid.UUID) -> Any:
    return _download(request, public_id, "pdf")


@router.get("/{public_id}/docx", response={200: None}, operation_id="document_docx", summary="下载 Word（DOCX）")
@decorate_view(_fail_closed)
def document_docx(request: HttpRequest, public_id: uuid.UUID) -> Any:
    return _download(request, public_id, "docx")
