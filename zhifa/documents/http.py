"""HTTP helpers of the documents app shared by its pages and its API (ADR 0029): the download response. No view
lives here; scoping and the 调阅 entry are the selectors' (`document_read_for`)."""

from __future__ import annotations

import re
from urllib.parse import quote

from django.http import FileResponse

from zhifa.documents import selectors
from zhifa.documents.models import Document

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
