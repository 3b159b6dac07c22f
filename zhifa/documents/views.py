"""Staff pages: a document's detail page and its PDF/DOCX downloads (thin: selectors do scoping and logging)."""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from zhifa.documents import selectors
from zhifa.documents.models import Document
from zhifa.records.access import AccessLogUnavailable, fail_closed, unavailable_response

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def download_names(document: Document, fmt: str) -> tuple[str, str]:
    """(ASCII fallback, UTF-8 name) for Content-Disposition, e.g. 行政处罚决定书-临水罚决〔2026〕3号.pdf."""
    readable = _UNSAFE.sub("-", f"{document.name}-{document.number}" if document.number else document.name)
    ascii_name = f"document-{document.doc_type}-{document.public_id.hex[:8]}.{fmt}"
    return ascii_name, f"{readable.strip(' .-')}.{fmt}"


def file_response(document: Document, fmt: str, fileobj: object) -> FileResponse:
    response = FileResponse(fileobj, content_type=selectors.FORMATS[fmt])
    response["Content-Length"] = str(document.pdf_size if fmt == "pdf" else document.docx_size)
    ascii_name, utf8_name = download_names(document, fmt)
    response["Content-Disposition"] = (
        f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(utf8_name, safe="")}'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["ETag"] = f'"{document.pdf_sha256 if fmt == "pdf" else document.docx_sha256}"'
    return response


def _download(request: HttpRequest, public_id: uuid.UUID, fmt: str) -> HttpResponseBase:
    try:  # the 调阅 entry first: if it cannot be written, not one byte of the file leaves (FC-5)
        document, fileobj = selectors.document_read_for(user=request.user, public_id=public_id,  # type: ignore[arg-type]
                                                        fmt=fmt, request=request)
    except AccessLogUnavailable:
        return unavailable_response()
    except selectors.DocumentFileMissing as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    return file_response(document, fmt, fileobj)


@login_required
@require_GET
def document_pdf(request: HttpRequest, public_id: uuid.UUID) -> HttpResponseBase:
    return _download(request, public_id, "pdf")


@login_required
@require_GET
def document_docx(request: HttpRequest, public_id: uuid.UUID) -> HttpResponseBase:
    return _download(request, public_id, "docx")


@login_required
@require_GET
@fail_closed
def document_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    document = selectors.document_view_for(user=request.user, public_id=public_id, request=request)  # type: ignore[arg-type]
    return render(request, "documents/detail.html", {"document": document})
