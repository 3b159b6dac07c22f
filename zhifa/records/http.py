"""HTTP helpers of the records app shared by its pages and its API (ADR 0029): blob delivery with byte ranges,
the upload chunk headers. No view lives here and no policy: who may read a file, and whether it is intact, is
decided in `zhifa.records.evidence` and `zhifa.records.integrity` before these are called."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.urls import reverse

from zhifa.common.errors import ServiceError
from zhifa.records import evidence as ev
from zhifa.records import uploads
from zhifa.records.blobstore import default_store
from zhifa.records.models import Evidence, UploadSession

_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
BLOB_CSP = "default-src 'none'; sandbox"


def chunk_offset(request: HttpRequest) -> int | None:
    raw = request.headers.get("Upload-Offset") or request.GET.get("offset")
    if raw is None or not raw.isdigit():
        return None
    return int(raw)


def content_length(request: HttpRequest) -> int | None:
    raw = request.META.get("CONTENT_LENGTH")
    return int(raw) if raw and raw.isdigit() else None


class _RangeFile:
    """Reads at most `remaining` bytes from an open file (FileResponse streams it block by block)."""

    def __init__(self, f: Any, remaining: int) -> None:
        self._f = f
        self._remaining = remaining

    def read(self, size: int = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        n = self._remaining if size < 0 else min(size, self._remaining)
        data = self._f.read(n)
        self._remaining -= len(data)
        return data

    def close(self) -> None:
        self._f.close()


def parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """One byte range (RFC 9110 §14): (start, end) inclusive, "unsatisfiable", or None to send the whole file
    (no header, several ranges, or a malformed one — a server may ignore those)."""
    match = _RANGE_RE.match(header.strip())
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        n = int(last)
        if n == 0:
            return "unsatisfiable"
        return max(0, size - n), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None  # malformed: ignored
    if start >= size:
        return "unsatisfiable"
    return start, min(end, size - 1)


def content_disposition(evidence: Evidence, *, attachment: bool) -> str:
    """RFC 6266: an ASCII fallback name and the UTF-8 name (percent-encoded, so no header injection) (BI-3)."""
    kind = "attachment" if attachment else "inline"
    return (f'{kind}; filename="{ev.ascii_filename(evidence)}"; '
            f"filename*=UTF-8''{quote(ev.download_filename(evidence), safe='')}")


def blob_response(request: HttpRequest, evidence: Evidence, *, attachment: bool) -> HttpResponseBase:
    """The blob with Range support (206/416), a strong ETag (the hash), nosniff and a sandboxing CSP."""
    size = evidence.size
    etag = f'"{evidence.sha256}"'
    start, end, status = 0, size - 1, 200
    header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if header and (if_range is None or if_range.strip() == etag):
        parsed = parse_range(header, size)
        if parsed == "unsatisfiable":
            refused = HttpResponse(status=416)
            refused["Content-Range"] = f"bytes */{size}"
            _security_headers(refused)
            return refused
        if isinstance(parsed, tuple):
            start, end = parsed
            status = 206
    f = default_store().open(evidence.sha256, start, end + 1)
    response = FileResponse(_RangeFile(f, end - start + 1), status=status, content_type=evidence.content_type)
    response["Content-Length"] = str(end - start + 1)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Content-Disposition"] = content_disposition(evidence, attachment=attachment)
    _security_headers(response)
    return response


def _security_headers(response: HttpResponseBase) -> None:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = BLOB_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"  # evidence is not kept in shared or disk caches


# Resumable sessions for the browser (JSON; CSRF token in the X-CSRFToken header)


def json_error(exc: ServiceError, **extra: Any) -> JsonResponse:
    body: dict[str, Any] = {"code": exc.code, "message": exc.message, **extra}
    response = JsonResponse(body, status=exc.status, json_dumps_params={"ensure_ascii": False})
    if "offset" in extra:
        response["Upload-Offset"] = str(extra["offset"])
    return response


def session_json(session: UploadSession) -> dict[str, Any]:
    evidence = session.evidence if session.evidence_id else None
    return {
        "id": str(session.public_id), "offset": session.received, "size": session.expected_size,
        "state": session.state,
        "chunk_url": reverse("records:upload_session", args=[session.public_id]),
        "finish_url": reverse("records:upload_session_finish", args=[session.public_id]),
        "evidence_url": reverse("records:evidence_detail", args=[evidence.public_id]) if evidence else None,
    }


def service_errors_as_json(view: Any) -> Any:
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except uploads.OffsetMismatch as exc:
            return json_error(exc, offset=exc.offset)
        except ServiceError as exc:
            return json_error(exc)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper
