"""The 双公示 export page and download for an agency's disclosure officer and agency head (ADR 0040).

Thin: parse the date range, read rows through `selectors.penalty_rows_for` (the user's own agency only), write the
调阅 entry of the cases shown or exported before anything is sent (fail closed), render or stream the file."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhifa.cases.engine import today_in_china
from zhifa.common.errors import ServiceError
from zhifa.disclosure.dualpub import push, selectors
from zhifa.disclosure.dualpub.export import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, csv_bytes, xlsx_bytes
from zhifa.disclosure.dualpub.records import PENALTY_COLUMNS
from zhifa.records.access import fail_closed, record_list_access

FORMATS = ("csv", "xlsx")


class RangeError(ValueError):
    pass


def parse_range(start_raw: str | None, end_raw: str | None, *, today: date) -> tuple[date, date]:
    """[start, end] by decision date; default: 1 January of this year to today."""
    try:
        start = date.fromisoformat(start_raw) if start_raw else date(today.year, 1, 1)
        end = date.fromisoformat(end_raw) if end_raw else today
    except ValueError as exc:
        raise RangeError(_("日期格式应为 YYYY-MM-DD")) from exc
    if start > end:
        raise RangeError(_("开始日期不能晚于结束日期"))
    if (end - start).days > selectors.MAX_RANGE_DAYS:
        raise RangeError(_("日期范围不能超过五年"))
    return start, end


def check_agency(user: Any, agency_raw: str | None) -> None:
    """An `agency` parameter naming another agency (or not a UUID) is a 404: its data never appear."""
    if not agency_raw:
        return
    try:
        wanted = UUID(agency_raw)
    except ValueError:
        raise Http404 from None
    if user.agency is None or user.agency.public_id != wanted:
        raise Http404


def log_rows(request: HttpRequest, rows: list[selectors.PenaltyRow], action: str) -> None:
    shown = sorted({(r.agency_id, r.case_id) for r in rows}, key=lambda x: x[1])
    record_list_access(user=request.user, object_kind="case", shown=list(shown), action=action, request=request)


def file_response(rows: list[selectors.PenaltyRow], fmt: str, start: date, end: date) -> HttpResponse:
    data = [r.record.row() for r in rows if not r.refused]
    if fmt == "xlsx":
        body, content_type = xlsx_bytes(PENALTY_COLUMNS, data, title="行政处罚"), XLSX_CONTENT_TYPE
    else:
        body, content_type = csv_bytes(PENALTY_COLUMNS, data), CSV_CONTENT_TYPE
    response = HttpResponse(body, content_type=content_type)
    name = f"shuanggongshi-penalty-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["X-Zhifa-Records"] = str(len(data))
    response["X-Zhifa-Refused"] = str(sum(1 for r in rows if r.refused))
    return response


@login_required
@require_GET
@fail_closed
def page(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not selectors.can_export(user):
        raise PermissionDenied
    check_agency(user, request.GET.get("agency"))
    today = today_in_china()
    try:
        start, end = parse_range(request.GET.get("start"), request.GET.get("end"), today=today)
    except RangeError as exc:
        return render(request, "disclosure/dualpub.html", {"error": str(exc), "start": request.GET.get("start", ""),
                                                           "end": request.GET.get("end", "")}, status=400)
    rows = selectors.penalty_rows_for(user=user, start=start, end=end)
    log_rows(request, rows, "dualpub_view")
    return render(request, "disclosure/dualpub.html", {
        "start": start.isoformat(), "end": end.isoformat(), "rows": rows,
        "accepted": sum(1 for r in rows if not r.refused), "refused": [r for r in rows if r.refused],
        "warned": [r for r in rows if not r.refused and r.warnings], "agency": user.agency,
        "push_configured": bool(push.push_url()), "deliveries": list(push.deliveries_for(user)[:10]),
    })


@login_required
@require_GET
@fail_closed
def download(request: HttpRequest, fmt: str) -> HttpResponse:
    user: Any = request.user
    if not selectors.can_export(user):
        raise PermissionDenied
    if fmt not in FORMATS:
        raise Http404
    check_agency(user, request.GET.get("agency"))
    try:
        start, end = parse_range(request.GET.get("start"), request.GET.get("end"), today=today_in_china())
    except RangeError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    rows = selectors.penalty_rows_for(user=user, start=start, end=end)
    log_rows(request, rows, f"dualpub_export:{fmt}")
    return file_response(rows, fmt, start, end)


@login_required
@require_POST
@fail_closed
def push_request(request: HttpRequest) -> HttpResponse:
    """Ask the worker to send the range's records to the provincial platform (ADR 0046)."""
    user: Any = request.user
    if not selectors.can_export(user):
        raise PermissionDenied
    back = redirect(f"{reverse('dualpub:page')}?start={request.POST.get('start', '')}&end={request.POST.get('end', '')}")
    try:
        start, end = parse_range(request.POST.get("start"), request.POST.get("end"), today=today_in_china())
        delivery, rows = push.dualpub_push_request(user=user, start=start, end=end)
    except (RangeError, ServiceError) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
        return back
    log_rows(request, rows, "dualpub_push")
    messages.success(request, _("已提交推送：%(n)d 条记录，后台正在发送，可在本页查看送达情况。") % {"n": delivery.records})
    return redirect("dualpub:delivery", public_id=delivery.public_id)


@login_required
@require_GET
def delivery_page(request: HttpRequest, public_id: UUID) -> HttpResponse:
    delivery = push.delivery_for(request.user, public_id)
    return render(request, "disclosure/dualpub_delivery.html", {"delivery": delivery,
                                                                "attempts": push.attempts_of(delivery)})


@login_required
@require_POST
def push_retry(request: HttpRequest, public_id: UUID) -> HttpResponse:
    delivery = push.delivery_for(request.user, public_id)
    try:
        push.dualpub_push_retry(user=request.user, delivery=delivery)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已重新提交推送。"))
    return redirect("dualpub:delivery", public_id=delivery.public_id)
