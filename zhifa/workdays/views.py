"""Staff page: the working-day calculator and the holiday override table (editable by system administrators)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from zhifa.workdays import selectors, services
from zhifa.workdays.calendar import Deadline, Direction, load_calendar
from zhifa.workdays.models import CalendarOverride

EARLIEST_START = dt.date(1949, 10, 1)
LATEST_START = dt.date(2099, 12, 31)


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        try:
            day = _date(request.POST.get("date", ""))
            if request.POST.get("form") == "year":
                services.calendar_year_mark_official(
                    actor=user, year=int(request.POST.get("year", "0") or 0),  # type: ignore[arg-type]
                    source_document=request.POST.get("source_document", ""),
                    region_code=request.POST.get("region_code", ""),
                )
                messages.success(request, "已将该年度标记为正式放假安排。")
            else:
                if day is None:
                    raise ValidationError({"date": ["请填写正确的日期。"]})
                services.calendar_override_create(
                    actor=user, date=day, kind=request.POST.get("kind", ""),  # type: ignore[arg-type]
                    region_code=request.POST.get("region_code", ""), name=request.POST.get("name", ""),
                    source_document=request.POST.get("source_document", ""),
                )
                messages.success(request, "已登记。")
            return redirect("staff:calendar")
        except PermissionDenied:
            messages.error(request, "只有系统管理员可以维护节假日调整表。")
        except ValidationError as exc:
            messages.error(request, "；".join(m for msgs in exc.message_dict.values() for m in msgs))

    result: Deadline | None = None
    start = _date(request.GET.get("start", ""))
    days_raw = request.GET.get("days", "")
    kind = request.GET.get("kind", "working")
    party = request.GET.get("direction", "agency") == "party"
    region = request.user.agency.region_code if getattr(request.user, "agency", None) else ""  # type: ignore[union-attr]
    error = ""
    status = 200
    if start and not EARLIEST_START <= start <= LATEST_START:
        # Beyond these the lunar holidays and date arithmetic overflow (issue 9 defect 10: 9999-12-30 was a 500).
        error = f"开始日期须在{EARLIEST_START:%Y年%m月%d日}至{LATEST_START:%Y年%m月%d日}之间。"
        start, status = None, 400
    if start and days_raw:
        if not days_raw.isdigit() or not 0 < int(days_raw) <= 3650:
            error = "天数须为1至3650之间的整数。"
        else:
            cal = load_calendar(region)
            n = int(days_raw)
            try:
                if kind == "calendar":
                    result = cal.add_calendar_days(start, n, party_facing=party)
                else:
                    result = cal.add_working_days(
                        start, n, direction=Direction.PARTY_RIGHT if party else Direction.AGENCY_OBLIGATION
                    )
            except (ValueError, OverflowError):
                error, status = "该日期超出可计算的范围，请换一个开始日期或天数。", 400
    year = (start or timezone.localdate()).year
    return render(
        request, "staff/calendar.html",
        {
            "result": result, "error": error, "start": request.GET.get("start", ""), "days": days_raw,
            "kind": kind, "party": party, "overrides": selectors.calendar_overrides_list(year=year), "year": year,
            "kinds": CalendarOverride.Kind.choices, "can_edit": user.has_role("system_admin"),  # type: ignore[union-attr]
        },
        status=status,
    )
