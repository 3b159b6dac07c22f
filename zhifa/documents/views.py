"""Staff pages: a document's detail page and its PDF/DOCX downloads (thin: selectors do scoping and logging)."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from zhifa.documents import selectors
from zhifa.documents.http import file_response
from zhifa.records.access import AccessLogUnavailable, fail_closed, unavailable_response


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
