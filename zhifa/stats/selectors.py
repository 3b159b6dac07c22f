"""Reads of the stats app (architecture rule 2: they take the user; another agency's report is a 404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from zhifa.accounts.models import User
from zhifa.stats.models import StatsNarrative, StatsPublication, StatsReport
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


def stats_narrative(user: User, year: int) -> str:
    """The 行政执法情况说明 the user's agency has written for `year` so far ("" if none)."""
    if user.agency_id is None:
        return ""
    return StatsNarrative.objects.filter(agency_id=user.agency_id, year=year).values_list("text", flat=True).first() \
        or ""


def stats_publication(user: User, year: int) -> StatsPublication | None:
    if user.agency_id is None:
        return None
    return StatsPublication.objects.filter(agency_id=user.agency_id, year=year).select_related("report").first()


@dataclass(frozen=True)
class StatsDue:
    """DISC-29 / STAT-1: last year's report is due on 31 January; shown until it is published."""

    year: int
    due: date
    days_left: int  # negative once missed

    @property
    def missed(self) -> bool:
        return self.days_left < 0

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)

    @property
    def level(self) -> str:
        """"red" when missed, "yellow" in the last 10 days, "info" before."""
        return "red" if self.missed else "yellow" if self.days_left <= 10 else "info"


def stats_due(agency_id: int | None, today: date) -> StatsDue | None:
    """The reminder of DISC-29 for an agency: from 1 January to the publication of last year's report (a year after
    the due date a missing report still shows, missed)."""
    if agency_id is None:
        return None
    year = today.year - 1
    if StatsPublication.objects.filter(agency_id=agency_id, year=year).exists():
        return None
    due = date(today.year, 1, 31)
    return StatsDue(year=year, due=due, days_left=(due - today).days)
