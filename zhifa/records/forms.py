"""The evidence upload form, shared by the records upload page and the case page's upload (ADR 0029: one form,
no view calling another). Input parsing only: what the fields mean is checked by the services in
`zhifa.records.evidence` and `zhifa.records.uploads`.

`upload_single` handles the one-request upload (no JavaScript): it installs the streaming upload handler before
the body is read, checks CSRF after that (the check reads the body), parses the form and stores the file.
`upload_session_from_post` opens a resumable session (upload.js). A caller that fixes the stream (the case page)
passes it; the posted `stream` field is then ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_protect

from zhifa.common.errors import ServiceError
from zhifa.records import evidence as ev
from zhifa.records import uploads
from zhifa.records.blobstore import TYPES, allowed_types_text, human_size, upload_limit
from zhifa.records.models import Evidence, UploadSession

if TYPE_CHECKING:
    from zhifa.accounts.models import User

_DT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
CAMERA_ACCEPT = "image/*,video/*,audio/*"  # phones offer the camera for these


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

    def __init__(self, *args: Any, stream: str | None = None, **kwargs: Any) -> None:
        """`stream`: the stream fixed by the page (the case's); the posted value is then not used."""
        if stream is not None and args and args[0] is not None:
            data = args[0].copy()
            data["stream"] = stream
            args = (data, *args[1:])
        super().__init__(*args, **kwargs)

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


def form_error_text(form: forms.Form) -> str:
    return "；".join(f"{form.fields[k].label if k in form.fields else ''}{' ' if k in form.fields else ''}{m}"
                    for k, msgs in form.errors.items() for m in msgs)


def upload_form_context(user: User, *, stream: str = "", form: CaptureForm | None = None, error: str = "",
                        camera: bool = False) -> dict[str, Any]:
    """What the one upload form (`records/_upload_form.html`) shows: the form (kept input after an error), the
    limits and the accepted types. `camera`: offer the phone's camera (the case page)."""
    initial = {
        "stream": stream[:128], "captured_by": getattr(user, "full_name", ""),
        "captured_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),  # the datetime-local input's format
    }
    accept = CAMERA_ACCEPT if camera else ",".join(sorted(TYPES) + ["." + t.extension for t in TYPES.values()])
    return {
        "form": form or CaptureForm(initial=initial), "error": error, "limit": upload_limit(),
        "limit_text": human_size(upload_limit()), "allowed_text": allowed_types_text(), "accept": accept,
        "camera": camera,
    }


Failed = Callable[[CaptureForm | None, str, int], HttpResponse]


def upload_single(request: HttpRequest, *, stream: str | None = None, done: Callable[[Evidence], HttpResponse],
                  failed: Failed) -> HttpResponse:
    """The one-request upload: store the posted file and answer `done(evidence)`, or `failed(form, error, status)`
    (form None when the body could not be parsed: its stream is consumed). The calling view must be
    `csrf_exempt`: CSRF is checked here, once the streaming handler is installed."""
    try:
        handler = uploads.install_upload_handler(request)
    except ServiceError as exc:
        return failed(None, exc.message, exc.status)

    @csrf_protect
    def post(request: HttpRequest) -> HttpResponse:
        form = CaptureForm(request.POST, stream=stream)
        staged = request.FILES.get("file")
        if not isinstance(staged, uploads.StagedUpload):
            return failed(form, _("请选择要上传的文件。"), 400)
        if not form.is_valid():
            return failed(form, form_error_text(form), 400)
        evidence = ev.evidence_create(
            actor=request.user, stream=form.cleaned_data["stream"], staged=staged.staged,  # type: ignore[arg-type]
            original_filename=staged.original_name, capture=form.capture(), method="single",
        )
        return done(evidence)

    try:
        return post(request)
    except ServiceError as exc:
        parsed = hasattr(request, "_post")
        return failed(CaptureForm(request.POST, stream=stream) if parsed else None, exc.message, exc.status)
    finally:
        handler.cleanup()


def upload_session_from_post(request: HttpRequest, *, stream: str | None = None) -> UploadSession:
    """Open a resumable upload session from the posted form (raises ServiceError; bad input is InvalidInput)."""
    form = SessionForm(request.POST, stream=stream)
    if not form.is_valid():
        raise ev.InvalidInput(form_error_text(form))
    d = form.cleaned_data
    return uploads.upload_session_create(actor=request.user, request=uploads.SessionRequest(  # type: ignore[arg-type]
        stream=d["stream"], filename=d.get("filename") or "", size=d["size"], capture=form.capture(),
        declared_type=d.get("content_type") or "", sha256=d.get("sha256") or "",
    ))
