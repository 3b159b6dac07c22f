"""Staff pages of the stats app, mounted at /staff/stats/ (namespace "stats"): the annual report's tables for a
year as counted now, its frozen versions, the XLSX of either, and freezing (STAT-10). Thin: selectors read,
the service freezes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhifa.accounts.models import User
from zhifa.accounts.roles import Role
from zhifa.common.errors import ServiceError
from zhifa.stats import selectors
from zhifa.stats.counting import NO_SOURCE_LABEL
from zhifa.stats.pdf import report_pdf
from zhifa.stats.services import FREEZERS, PUBLISHERS, stats_narrative_save, stats_report_freeze
from zhifa.stats.xlsx import report_xlsx

READERS = (Role.AGENCY_HEAD, Role.AGENCY_ADMIN, Role.DISCLOSURE_OFFICER)
FIRST_YEAR = 2000


def _reader(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.agency_id is None or not user.has_role(*READERS):
        raise PermissionDenied
    return user


def _year(value: str | None, default: int) -> int:
    try:
        year = int(value) if value else default
    except ValueError:
        raise Http404 from None
    if not FIRST_YEAR <= year <= default + 1:
        raise Http404
    return year


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    """行政执法统计年报: the tables of a year (last year by default) and the frozen versions."""
    user = _reader(request)
    this_year = timezone.localdate().year
    year = _year(request.GET.get("year"), this_year - 1)
    frozen = list(selectors.stats_reports(user).filter(year=year))
    version = request.GET.get("version")
    shown = next((r for r in frozen if str(r.version) == version), None) if version else None
    data = shown.report if shown else selectors.stats_preview(user, year)
    tables = [{"table": t, "rows": [{"title": r["title"], "cells": [
        ("" if c["id"] not in r["cells"] else NO_SOURCE_LABEL if r["cells"][c["id"]] is None else r["cells"][c["id"]])
        for c in t["columns"]]} for r in t["rows"]]} for t in data["tables"]]
    return render(request, "stats/report.html", {
        "year": year, "years": range(this_year - 1, max(FIRST_YEAR, this_year - 6), -1), "report": data,
        "tables": tables, "frozen": frozen, "shown": shown, "can_freeze": user.has_role(*FREEZERS) and year < this_year,
        "narrative": selectors.stats_narrative(user, year), "publication": selectors.stats_publication(user, year),
        "can_publish": user.has_role(*PUBLISHERS), "due": selectors.stats_due(user.agency_id, timezone.localdate()),
    })


@login_required
@require_GET
def download(request: HttpRequest, year: int, fmt: str = "xlsx") -> HttpResponse:
    """The tables as XLSX, or the whole report (tables, charts, narrative) as PDF: a frozen version or as counted now
    (the narrative as written so far)."""
    user = _reader(request)
    version = request.GET.get("version")
    if version:
        found = selectors.stats_reports(user).filter(year=year, version=int(version)).first() \
            if version.isdigit() and len(version) <= 4 else None
        if found is None:
            raise Http404
        data, suffix, digest, number = found.report, f"-v{found.version}", found.sha256, found.version
    else:
        data = dict(selectors.stats_preview(user, _year(str(year), timezone.localdate().year)))
        data["narrative"] = selectors.stats_narrative(user, year)
        suffix, digest, number = "", "", None
    if fmt == "pdf":
        response = HttpResponse(report_pdf(data, version=number, sha256=digest),
                                content_type="application/pdf")
    else:
        response = HttpResponse(report_xlsx(data),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="stats-{year}{suffix}.{fmt}"'
    return response


@login_required
@require_POST
def narrative(request: HttpRequest, year: int) -> HttpResponse:
    """STAT-1 part 2: save the 行政执法情况说明 the next freeze will carry."""
    user = _reader(request)
    if user.agency is None:
        raise Http404
    try:
        stats_narrative_save(actor=user, agency=user.agency, year=year, text=request.POST.get("text", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("情况说明已保存；定稿时将一并固定。"))
    return redirect(f"{reverse('stats:report')}?year={year}#narrative")


@login_required
@require_POST
def freeze(request: HttpRequest, year: int) -> HttpResponse:
    user = _reader(request)
    if user.agency is None:
        raise Http404
    try:
        frozen = stats_report_freeze(actor=user, agency=user.agency, year=year)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('stats:report')}?year={year}")
    messages.success(request, _("已定稿第 %(v)s 版，SHA-256 %(h)s") % {"v": frozen.version, "h": frozen.sha256})
    return redirect(f"{reverse('stats:report')}?year={year}&version={frozen.version}")
