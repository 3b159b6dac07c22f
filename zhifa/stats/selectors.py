"""Reads of the stats app (architecture rule 2: they take the user; another agency's report is a 404)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from zhifa.accounts.models import User
from zhifa.stats.models import StatsReport
from zhifa.stats.report import stats_compute


def stats_preview(user: User, year: int) -> dict[str, Any]:
    """The live (unfrozen) report of the user's agency for `year`."""
    if user.agency is None:
        raise Http404
    return stats_compute(agency=user.agency, year=year)


def stats_reports(user: User) -> QuerySet[StatsReport]:
    """The frozen reports of the user's agency, newest year and version first."""
    if user.agency_id is None:
        return StatsReport.objects.none()
    return StatsReport.objects.filter(agency_id=user.agency_id)
