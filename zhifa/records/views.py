"""Staff pages of the records app (issue 3 part 7) and the public checkpoint page (/transparency/).

Thin views: parse input, call a service or selector in `zhifa.records.evidence` / `zhifa.records.uploads`, render.
Every read of evidence or of a stream's timeline goes through a `*_read_for` selector, which writes the 调阅 entry
before data is returned; `fail_closed` turns a failed entry into a 503 with no data (FC-5).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhifa.common.http import PORTAL_CSP
from zhifa.common.paging import page_number
from zhifa.records import evidence as ev
from zhifa.records import security, uploads
from zhifa.records.access import AccessLogUnavailable, fail_closed, record_access, unavailable_response
from zhifa.records.blobstore import TYPES, human_size
from zhifa.records.checkpoints import latest_checkpoint, public_key, sm2_key, sm2_public_key
from zhifa.records.forms import CaptureForm, upload_form_context, upload_session_from_post, upload_single
from zhifa.records.http import blob_response, chunk_offset, content_length, service_errors_as_json, session_json
from zhifa.records.integrity import is_servable
from zhifa.records.models import Evidence, PackagePurpose, PackageStatus
from zhifa.records.packages import archive_package_request, package_file_open, package_for, packages_for

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


@csrf_exempt  # the CSRF check reads the body, so it comes after our upload handler is installed (upload_single)
@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    """The upload page. Without JavaScript the form posts here in one request (streamed by our handler); with
    JavaScript, upload.js uses the resumable session endpoints below and shows a progress bar."""
    if not ev.can_upload(request.user):  # type: ignore[arg-type]
        raise PermissionDenied
    if request.method != "POST":
        return _upload_page(request)

    def done(evidence: Evidence) -> HttpResponse:
        messages.success(request, _("证据已上传并记入账本（第 %(seq)d 条）。") % {"seq": evidence.ledger_seq})
        return redirect("records:evidence_detail", public_id=evidence.public_id)

    def failed(form: CaptureForm | None, error: str, status: int) -> HttpResponse:
        return _upload_page(request, form=form, error=error, status=status)

    return upload_single(request, done=done, failed=failed)


def _upload_page(request: HttpRequest, *, form: CaptureForm | None = None, error: str = "",
                 status: int = 200) -> HttpResponse:
    context = upload_form_context(request.user, stream=request.GET.get("stream", ""), form=form,  # type: ignore[arg-type]
                                  error=error)
    return render(request, "records/upload.html", context, status=status)


# ---------------------------------------------------------------------------------------------------------------
# Resumable sessions for the browser (JSON; CSRF token in the X-CSRFToken header)
# ---------------------------------------------------------------------------------------------------------------


@login_required
@require_POST
@service_errors_as_json
def upload_session_create(request: HttpRequest) -> HttpResponse:
    session = upload_session_from_post(request)
    return JsonResponse(session_json(session), status=201)


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


@login_required
@require_GET
@fail_closed
def evidence_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    evidence = ev.evidence_read_for(user=request.user, public_id=public_id, action="view",  # type: ignore[arg-type]
                                    request=request)
    servable = is_servable(evidence)
    if servable and evidence.media_kind != "document":
        ev.media_grant(request.session, evidence)
    ftype = TYPES.get(evidence.content_type)
    return render(request, "records/evidence_detail.html", {
        "evidence": evidence, "servable": servable, "type_label": ftype.label if ftype else evidence.content_type,
        "size_text": human_size(evidence.size),
        "timeline_url": reverse("records:timeline") + "?" + urlencode({"stream": evidence.stream}),
    })


def _integrity_refusal() -> HttpResponse:
    return HttpResponse(
        ev.integrity_refusal_message(),
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
    granted = ev.media_granted(request.session, evidence)
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
    try:
        servable = ev.evidence_serve_check(user=request.user, evidence=evidence, action=action,  # type: ignore[arg-type]
                                           request=request, log=log)
    except AccessLogUnavailable:
        return unavailable_response()
    if not servable:
        return _integrity_refusal()
    return blob_response(request, evidence, attachment=attachment)


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

@login_required
@require_POST
def timeline_archive(request: HttpRequest) -> HttpResponseBase:
    """The 下载归档包 button: the stream's archive package (the same as `zhifa archive export STREAM`), as a zip.
    POST, because it signs a checkpoint. The 调阅 entry (action "export") is written first; the package is then
    built and zipped by a background task (ADR 0028) and offered on the timeline page to its requester only."""
    stream = request.POST.get("stream", "").strip()[:ev.STREAM_MAX]
    if not stream:
        return redirect("records:index")
    agency_ids = ev.stream_export_agency_ids_for(user=request.user, stream=stream)  # type: ignore[arg-type]
    try:  # the 调阅 entries first: if they cannot be written, nothing is built or sent (FC-5)
        for agency_id in sorted(agency_ids):
            record_access(user=request.user, agency_id=agency_id, object_kind="stream", object_id=stream,
                          action="export", request=request)
    except AccessLogUnavailable:
        return unavailable_response()
    archive_package_request(stream=stream, purpose=PackagePurpose.EXPORT, requested_by=request.user)
    messages.info(request, _("归档包正在后台生成，完成后可在本页下载。"))
    return redirect(reverse("records:timeline") + "?" + urlencode({"stream": stream}) + "#archive-packages")


@login_required
@require_GET
def archive_packages(request: HttpRequest) -> HttpResponse:
    """The packages of a stream being built or ready (HTMX fragment on the case page; polls while one is built)."""
    stream = request.GET.get("stream", "").strip()[:ev.STREAM_MAX]
    packages = list(packages_for(user=request.user, stream=stream)[:5]) if stream else []
    return render(request, "records/_packages.html", {
        "packages": packages, "polling": any(p.in_progress for p in packages), "url": request.get_full_path(),
    })


@login_required
@require_GET
def archive_package_download(request: HttpRequest, public_id: uuid.UUID) -> HttpResponseBase:
    """A built package's zip. A case's package is a 调阅 of the whole stream (logged before anything is sent);
    an export was logged when it was requested and is served to its requester only."""
    package = package_for(user=request.user, public_id=public_id)
    if package is None or package.status != PackageStatus.READY:
        raise Http404
    if package.purpose == PackagePurpose.CASE:
        agency_ids = ev.stream_export_agency_ids_for(user=request.user, stream=package.stream)  # type: ignore[arg-type]
        try:
            for agency_id in sorted(agency_ids):
                record_access(user=request.user, agency_id=agency_id, object_kind="stream",
                              object_id=package.stream, action="export", request=request)
        except AccessLogUnavailable:
            return unavailable_response()
    try:
        zipped, size = package_file_open(package)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(zipped, content_type="application/zip")  # closed by FileResponse
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = (
        f'attachment; filename="{package.ascii_name or package.public_id}.zip"; '
        f"filename*=UTF-8''{quote(package.download_name or 'archive.zip', safe='')}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["X-Zhifa-Personal-Data"] = "included" if package.personal_data else "withheld"
    if package.problems:
        response["X-Zhifa-Export-Problems"] = str(package.problems)
    return response


# ---------------------------------------------------------------------------------------------------------------
# Security events (denied attempts; issue 9 defect 9)
# ---------------------------------------------------------------------------------------------------------------

SECURITY_PAGE = 100


@login_required
@require_GET
def security_events(request: HttpRequest) -> HttpResponse:
    """Denied attempts of the agencies the user audits: the agency head, the bureau's supervisors, the admin."""
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
    rows = security.security_rows(list(qs[(page - 1) * SECURITY_PAGE:page * SECURITY_PAGE]))
    return render(request, "records/security.html", {"rows": rows, "total": total, "page": page, "pages": pages})
