"""The staff action that puts a frozen annual report on the portal (DISC-29, ADR 0047); mounted at
/staff/disclosure/stats/ (namespace "statspub"). The stats page posts here: the publication belongs to disclosure,
which sits above stats."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhifa.accounts.models import User
from zhifa.common.errors import ServiceError
from zhifa.disclosure.statspub import stats_report_publish


@login_required
@require_POST
def publish(request: HttpRequest, year: int, version: int) -> HttpResponse:
    user = request.user
    back = f"{reverse('stats:report')}?year={year}&version={version}"
    if not isinstance(user, User) or user.agency_id is None:
        return redirect(back)
    try:
        entry = stats_report_publish(actor=user, agency_id=user.agency_id, year=year, version=version)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, format_html('{} <a href="{}">{}</a>', _("第 %(v)s 版已在公示网站公开。") % {"v": version},
                                          reverse("portal:entry", args=[entry.public_id]), _("在公示网站查看")))
    return redirect(back)


app_name = "statspub"
urlpatterns = [path("<int:year>/<int:version>/publish", publish, name="publish")]
