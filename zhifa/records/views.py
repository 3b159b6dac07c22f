"""Staff pages of the records app (issue 3 part 7) and the public checkpoint page (/transparency/).

Thin views: parse input, call a service or selector in `zhifa.records.evidence` / `zhifa.records.uploads`, render.
Every read of evidence or of a stream's timeline goes through a `*_read_for` selector, which writes the 调阅 entry
before data is returned; `fail_closed` turns a failed entry into a 503 with no data (FC-5).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhifa.common.errors import ServiceError
from zhifa.common.paging import page_number
from zhifa.records import evidence as ev
from zhifa.records import uploads
from zhifa.records.access import AccessLogUnavailable, fail_closed, record_access, unavailable_response
from zhifa.records.archive import SHANGHAI, archive_export
from zhifa.records.blobstore import TYPES, allowed_types_text, default_store, human_size, upload_limit
from zhifa.records.checkpoints import latest_checkpoint, public_key, sm2_key, sm2_public_key
from zhifa.records.models import Evidence, LedgerEntry, UploadSession

MEDIA_GRANT_SECONDS = 30 * 60  # after a logged view, the page's player may fetch ranges without new entries
_SESSION_KEY = "records_media_grants"
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
BLOB_CSP = "default-src 'none'; sandbox"


# ---------------------------------------------------------------------------------------------------------------
# Forms (input parsing only; validation of meaning is in the services)
# ---------------------------------------------------------------------------------------------------------------

_DT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class CaptureForm(forms.Form):
    stream = forms.CharField(label=gettext_lazy("记录流"), max_length=128)
    captured_at = forms.DateTimeField(label=gettext_lazy("采集时间"), input_formats=_DT_FORMATS)
    captured_by = forms.CharField(label=gettext_lazy("采集人员"), max_length=100, required=False)
    device_serial = forms.CharField(label=gettext_lazy("设备编号"), max_length=64, required=False)
    gps_lat = forms.DecimalField(label=gettext_lazy("纬度"), max_digits=9, decimal_places=6, required=False,
                                 min_value=-90, max_value=90)
    gps_lon = forms.DecimalField(label=gettext_lazy("经度"), max_digits=10, decimal_places=6, required=False,
                                 min_value=-180, max_value=180)
    duration_seconds = forms.IntegerField(label=gettext_lazy("时长（秒）"), required=False, min_value=0)

    def capture(self) -> ev.CaptureInfo:
        d = self.cleaned_data
        return ev.capture_clean(
            captured_at=d["captured_at"], captured_by=d.get("captured_by") or "",
            device_serial=d.get("device_serial") or "", gps_lat=d.get("gps_lat"), gps_lon=d.get("gps_lon"),
            duration_seconds=d.get("duration_seconds"),
        )


class SessionForm(CaptureForm):
    filename = forms.CharField(max_length=1000, required=False)
    size = forms.IntegerField(min_value=1)
    content_type = forms.CharField(max_length=200, required=False)
    sha256 = forms.CharField(max_length=64, required=False)


def _form_error_text(form: forms.Form) -> str:
    return "；".join(f"{form.fields[k].label if k in form.fields else ''}{' ' if k in form.fields else ''}{m}"
                    for k, msgs in form.errors.items() for m in msgs)


# ---------------------------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------------------------


def _require_records_user(request: HttpRequest) -> None:
    if not (ev.can_read_evidence(request.user) or ev.can_upload(request.user)):  # type: ignore[arg-type]
        raise PermissionDenied


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Entry point: open a stream's timeline, see streams with recent evidence, go to the upload page."""
    _require_records_user(request)
    return render(request, "records/index.html", {
        "streams": ev.streams_recent_for(user=request.user),  # type: ignore[arg-type]
        "can_upload": ev.can_upload(request.user),  # type: ignore[arg-type]
    })


def _upload_context(request: HttpRequest, form: CaptureForm | None = None, error: str = "") -> dict[str, Any]:
    initial = {
        "stream": request.GET.get("stream", "")[:128], "captured_by": getattr(request.user, "full_name", ""),
        "captured_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),  # the datetime-local input's format
    }
    return {
        "form": form or CaptureForm(initial=initial), "error": error, "limit": upload_limit(),
        "limit_text": human_size(upload_limit()), "allowed_text": allowed_types_text(),
        "accept": ",".join(sorted(TYPES) + ["." + t.extension for t in TYPES.values()]),
    }


@csrf_exempt  # the CSRF check reads the body, so it must come after our upload handler is installed
@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    """The upload page. Without JavaScript the form posts here in one request (streamed by our handler); with
    JavaScript, upload.js uses the resumable session endpoints below and shows a progress bar."""
    if not ev.can_upload(request.user):  # type: ignore[arg-type]
        raise PermissionDenied
    if request.method != "POST":
        return _upload_page(request)
    try:
        handler = uploads.install_upload_handler(request)
    except ServiceError as exc:
        return _upload_page(request, error=exc.message, status=exc.status)
    try:
        return _upload_post(request)
    except ServiceError as exc:
        # If the body could not be parsed, request.POST must not be touched again (the stream is consumed).
        parsed = hasattr(request, "_post")
        form = CaptureForm(request.POST) if parsed else None
        return _upload_page(request, form=form, error=exc.message, status=exc.status)
    finally:
        handler.cleanup()


def _upload_page(request: HttpRequest, *, form: CaptureForm | None = None, error: str = "",
                 status: int = 200) -> HttpResponse:
    return render(request, "records/upload.html", _upload_context(request, form, error), status=status)


@csrf_protect
def _upload_post(request: HttpRequest) -> HttpResponse:
    form = CaptureForm(request.POST)
    staged = request.FILES.get("file")
    if not isinstance(staged, uploads.StagedUpload):
        return _upload_page(request, form=form, error=_("请选择要上传的文件。"), status=400)
    if not form.is_valid():
        return _upload_page(request, form=form, error=_form_error_text(form), status=400)
    evidence = ev.evidence_create(
        actor=request.user, stream=form.cleaned_data["stream"], staged=staged.staged,  # type: ignore[arg-type]
        original_filename=staged.original_name, capture=form.capture(), method="single",
    )
    messages.success(request, _("证据已上传并记入账本（第 %(seq)d 条）。") % {"seq": evidence.ledger_seq})
    return redirect("records:evidence_detail", public_id=evidence.public_id)


# ---------------------------------------------------------------------------------------------------------------
# Resumable sessions for the browser (JSON; CSRF token in the X-CSRFToken header)
# ---------------------------------------------------------------------------------------------------------------


def _json_error(exc: ServiceError, **extra: Any) -> JsonResponse:
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
            return _json_error(exc, offset=exc.offset)
        except ServiceError as exc:
            return _json_error(exc)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@login_required
@require_POST
@service_errors_as_json
def upload_session_create(request: HttpRequest) -> HttpResponse:
    form = SessionForm(request.POST)
    if not form.is_valid():
        raise ev.InvalidInput(_form_error_text(form))
    d = form.cleaned_data
    session = uploads.upload_session_create(actor=request.user, request=uploads.SessionRequest(  # type: ignore[arg-type]
        stream=d["stream"], filename=d.get("filename") or "", size=d["size"], capture=form.capture(),
        declared_type=d.get("content_type") or "", sha256=d.get("sha256") or "",
    ))
    return JsonResponse(session_json(session), status=201)


def chunk_offset(request: HttpRequest) -> int | None:
    raw = request.headers.get("Upload-Offset") or request.GET.get("offset")
    if raw is None or not raw.isdigit():
        return None
    return int(raw)


def content_length(request: HttpRequest) -> int | None:
    raw = request.META.get("CONTENT_LENGTH")
    return int(raw) if raw and raw.isdigit() else None


@login_required
@require_http_methods(["GET", "PUT", "DELETE"])
@service_errors_as_json
def upload_session(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """GET: where to resume. PUT: one chunk (raw body at Upload-Offset). DELETE: abort."""
    session = uploads.upload_session_get_for(user=request.user, public_id=public_id)  # type: ignore[arg-type]
    if request.method == "PUT":
        uploads.upload_session_append(
            actor=request.user, session=session, offset=chunk_offset(request), body=request,  # type: ignore[arg-type]
            length=content_length(request),
        )
    elif request.method == "DELETE":
        uploads.upload_session_abort(actor=request.user, session=session)  # type: ignore[arg-type]
    response = JsonResponse(session_json(session))
    response["Upload-Offset"] = str(session.received)
    return response


@login_required
@require_POST
@service_errors_as_json
def upload_session_finish(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    session = uploads.upload_session_get_for(user=request.user, public_id=public_id)  # type: ignore[arg-type]
    uploads.upload_session_finish(actor=request.user, session=session)  # type: ignore[arg-type]
    return JsonResponse(session_json(session), status=201)


# ---------------------------------------------------------------------------------------------------------------
# Evidence viewer and file delivery
# ---------------------------------------------------------------------------------------------------------------


def _grants(request: HttpRequest) -> dict[str, float]:
    now = time.time()
    grants = {k: v for k, v in request.session.get(_SESSION_KEY, {}).items() if v > now}
    return grants


def _grant_media(request: HttpRequest, evidence: Evidence) -> None:
    grants = _grants(request)
    grants[str(evidence.public_id)] = time.time() + MEDIA_GRANT_SECONDS
    request.session[_SESSION_KEY] = grants


@login_required
@require_GET
@fail_closed
def evidence_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    evidence = ev.evidence_read_for(user=request.user, public_id=public_id, action="view",  # type: ignore[arg-type]
                                    request=request)
    servable = is_servable(evidence)
    if servable and evidence.media_kind != "document":
        _grant_media(request, evidence)
    ftype = TYPES.get(evidence.content_type)
    return render(request, "records/evidence_detail.html", {
        "evidence": evidence, "servable": servable, "type_label": ftype.label if ftype else evidence.content_type,
        "size_text": human_size(evidence.size),
        "timeline_url": reverse("records:timeline") + "?" + urlencode({"stream": evidence.stream}),
    })


def is_servable(evidence: Evidence) -> bool:
    """Serve only evidence whose blob fixity says is intact, that is not flagged, and whose file is there with the
    recorded size and — up to ZHIFA_VERIFY_ON_READ_MAX_BYTES — the recorded hash, checked now (defect 5)."""
    from zhifa.records.integrity import read_problem

    return evidence.integrity_ok and read_problem(evidence.sha256, evidence.size) is None


def _integrity_refusal() -> HttpResponse:
    return HttpResponse(
        _("该证据文件完整性受损（内容已改变或文件缺失），系统拒绝提供，以免使用被篡改的文件。请联系系统管理员。"),
        status=409, content_type="text/plain; charset=utf-8",
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def evidence_media(request: HttpRequest, public_id: uuid.UUID) -> HttpResponseBase:
    """Inline playback for the viewer's <img>/<audio>/<video> (Range requests). Within the grant the viewer page
    obtained (and logged), range fetches add no entries; outside it each fetch is logged as "play"."""
    evidence = ev.evidence_get_for(user=request.user, public_id=public_id)  # type: ignore[arg-type]
    if evidence.media_kind == "document":  # documents are never shown inline (a PDF may carry script)
        return redirect("records:evidence_download", public_id=evidence.public_id)
    granted = str(evidence.public_id) in _grants(request)
    return _serve(request, evidence, action="play", attachment=False, log=not granted)


@login_required
@require_http_methods(["GET", "HEAD"])
def evidence_download(request: HttpRequest, public_id: uuid.UUID) -> HttpResponseBase:
    evidence = ev.evidence_get_for(user=request.user, public_id=public_id)  # type: ignore[arg-type]
    return _serve(request, evidence, action="download", attachment=True, log=True)


def _serve(request: HttpRequest, evidence: Evidence, *, action: str, attachment: bool, log: bool) -> HttpResponseBase:
    """Check the file, write the 调阅 entry (result ok or refused_integrity), then send the file or refuse it.

    `log` false (playback within the viewer's grant) skips the entry of a file that is served, never of a refusal.
    The entry comes first: if it cannot be written, not one byte of the file leaves (FC-5)."""
    servable = is_servable(evidence)
    if log or not servable:
        try:
            ev.evidence_record_read(user=request.user, evidence=evidence, action=action,  # type: ignore[arg-type]
                                    request=request, result="ok" if servable else "refused_integrity")
        except AccessLogUnavailable:
            return unavailable_response()
    if not servable:
        return _integrity_refusal()
    return blob_response(request, evidence, attachment=attachment)


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


# ---------------------------------------------------------------------------------------------------------------
# Timeline and verification
# ---------------------------------------------------------------------------------------------------------------


def _timeline_page(request: HttpRequest, stream: str, *, deep: bool) -> HttpResponse:
    stream = stream.strip()[:ev.STREAM_MAX]
    if not stream:
        return redirect("records:index")
    page = page_number(request, ev.TIMELINE_PAGE)
    timeline = ev.stream_timeline_read_for(user=request.user, stream=stream, page=page, deep=deep,  # type: ignore[arg-type]
                                           request=request)
    pages = max(1, -(-timeline.total // ev.TIMELINE_PAGE))
    return render(request, "records/timeline.html", {
        "timeline": timeline, "stream": stream, "page": min(page, pages), "pages": pages,
        "stream_query": urlencode({"stream": stream}),
        "can_upload": ev.can_upload(request.user),  # type: ignore[arg-type]
    })


@login_required
@require_GET
@fail_closed
def timeline(request: HttpRequest) -> HttpResponse:
    return _timeline_page(request, request.GET.get("stream", ""), deep=False)


@login_required
@require_POST
@fail_closed
def timeline_verify(request: HttpRequest) -> HttpResponse:
    """The 验证 button: re-verify the stream's entries (this page of them) against the latest checkpoint."""
    return _timeline_page(request, request.POST.get("stream", ""), deep=True)


# ---------------------------------------------------------------------------------------------------------------
# Public: the latest checkpoint and the log's public key (/transparency/)
# ---------------------------------------------------------------------------------------------------------------


def checkpoint_context() -> dict[str, Any]:
    cp = latest_checkpoint()
    return {
        "checkpoint": cp, "public_key": public_key(), "sm2_public_key": sm2_public_key(),
        "sm2_public_pem": sm2_key().public_pem().decode() if sm2_public_key() else "",
        "root_hex": bytes(cp.root).hex() if cp else "", "note": cp.note if cp else "",
    }


def _public(response: HttpResponse) -> HttpResponse:
    from zhifa.disclosure.views import PORTAL_CSP

    response.headers.setdefault("Content-Security-Policy", PORTAL_CSP)
    return response


@require_GET
def transparency(request: HttpRequest) -> HttpResponse:
    return _public(render(request, "records/transparency.html", checkpoint_context()))


@require_GET
def transparency_checkpoint(request: HttpRequest) -> HttpResponse:
    """The signed note as text, for `curl` and offline verifiers."""
    cp = latest_checkpoint()
    if cp is None:
        return HttpResponse(_("尚未签发检查点。"), status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(cp.note, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def transparency_public_key(request: HttpRequest) -> HttpResponse:
    return HttpResponse(public_key() + "\n", content_type="text/plain; charset=utf-8")


# ---------------------------------------------------------------------------------------------------------------
# Archive package download (issue 3 parts 6 and 7): the stream's BagIt package, zipped
# ---------------------------------------------------------------------------------------------------------------

_UNSAFE_FILENAME_RE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def archive_names(stream: str) -> tuple[str, str]:
    """(ASCII name, UTF-8 name) of a stream's package, without ".zip": the ASCII one is also the zip's top folder."""
    stamp = timezone.now().astimezone(SHANGHAI).strftime("%Y%m%d-%H%M%S")
    ascii_stream = re.sub(r"[^0-9A-Za-z_.-]+", "-", stream).strip("-.")[:60]
    if ascii_stream != stream:  # lossy: a short hash keeps two streams' packages apart
        ascii_stream = f"{ascii_stream}-{hashlib.sha256(stream.encode()).hexdigest()[:8]}".strip("-")
    readable = _UNSAFE_FILENAME_RE.sub("-", stream).strip(" .-")[:80] or ascii_stream
    return f"zhifa-archive-{ascii_stream}-{stamp}", f"归档包-{readable}-{stamp}"


def zip_package(folder: Path, zip_path: Path, top: str) -> None:
    """Zip the package folder under `top/`. Evidence files (JPEG, MP4, ...) are already compressed: stored as they
    are, which saves minutes of CPU on long videos; the text files are deflated."""
    folder = Path(folder)
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            rel = path.relative_to(folder).as_posix()
            method = zipfile.ZIP_STORED if rel.startswith("data/blobs/") else zipfile.ZIP_DEFLATED
            zf.write(path, f"{top}/{rel}", compress_type=method)


def _stream_agency_ids_for_export(user: Any, stream: str) -> set[int]:
    """The agencies whose entries make up the stream, if the user may read every one of them. A stream the user
    sees nothing of is a 404 (no existence oracle); one that also holds entries the user may not read is refused,
    since the package carries the whole stream (entries and their files)."""
    visible = ev.stream_entries_for(user=user, stream=stream)
    agency_ids = set(visible.order_by().values_list("agency_id", flat=True).distinct())
    if not agency_ids:
        raise Http404
    if LedgerEntry.objects.filter(stream=stream).exclude(agency_id__in=agency_ids).exists():
        raise PermissionDenied(_("该记录流含有您无权调阅的记录（其他机关或系统记录），不能导出归档包。"))
    return agency_ids  # type: ignore[return-value]


@login_required
@require_POST
def timeline_archive(request: HttpRequest) -> HttpResponseBase:
    """The 下载归档包 button: the stream's archive package (the same as `zhifa archive export STREAM`), as a zip.
    POST, because it signs a checkpoint. The 调阅 entry (action "export") is written before the package is built;
    the package is built and zipped in a temporary folder beside the upload temp files, which is removed before
    the response starts: the open zip is all that remains, and it goes when the response is closed."""
    stream = request.POST.get("stream", "").strip()[:ev.STREAM_MAX]
    if not stream:
        return redirect("records:index")
    agency_ids = _stream_agency_ids_for_export(request.user, stream)
    try:  # the 调阅 entries first: if they cannot be written, nothing is built or sent (FC-5)
        for agency_id in sorted(agency_ids):
            record_access(user=request.user, agency_id=agency_id, object_kind="stream", object_id=stream,
                          action="export", request=request)
    except AccessLogUnavailable:
        return unavailable_response()
    ascii_name, utf8_name = archive_names(stream)
    store = default_store()
    store.tmp_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="archive-", dir=store.tmp_dir))
    try:
        result = archive_export(stream=stream, output=work / ascii_name, store=store, recipient=request.user)
        zip_path = work / f"{ascii_name}.zip"
        zip_package(result.path, zip_path, ascii_name)
        package = open(zip_path, "rb")  # noqa: SIM115 - closed by FileResponse
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the open zip stays readable until closed
    response = FileResponse(package, content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="{ascii_name}.zip"; filename*=UTF-8\'\'{quote(utf8_name + ".zip", safe="")}'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["X-Zhifa-Personal-Data"] = "included" if result.personal_data else "withheld"
    if result.problems:  # e.g. a damaged or missing evidence file: the package says so and fails verification
        response["X-Zhifa-Export-Problems"] = str(len(result.problems))
    return response


# ---------------------------------------------------------------------------------------------------------------
# Security events (denied attempts; issue 9 defect 9)
# ---------------------------------------------------------------------------------------------------------------

SECURITY_PAGE = 100


def security_rows(entries: list[LedgerEntry]) -> list[dict[str, Any]]:
    import json

    rows = []
    for entry in entries:
        data = json.loads(bytes(entry.canonical))
        actor = data.get("actor") or {}
        rows.append({"seq": entry.seq, "time": data.get("time", ""),
                     "when": parse_datetime(data.get("time", "")) or data.get("time", ""), "agency_id": entry.agency_id,
                     "actor": actor.get("name", ""), "username": actor.get("username", ""),
                     **{k: v for k, v in (data.get("payload") or {}).items()}})
    return rows


@login_required
@require_GET
def security_events(request: HttpRequest) -> HttpResponse:
    """Denied attempts of the agencies the user audits: the agency head, the bureau's supervisors, the admin."""
    from zhifa.records import security

    if not security.can_read_security(request.user):  # type: ignore[arg-type]
        raise PermissionDenied
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    qs = security.security_events_for(user=request.user)  # type: ignore[arg-type]
    total = qs.count()
    pages = max(1, -(-total // SECURITY_PAGE))
    page = min(page, pages)
    rows = security_rows(list(qs[(page - 1) * SECURITY_PAGE:page * SECURITY_PAGE]))
    return render(request, "records/security.html", {"rows": rows, "total": total, "page": page, "pages": pages})
