"""Reads of the calendar override tables. Calendar data is public reference data, not scoped to an agency."""

from __future__ import annotations

from django.db.models import QuerySet

from zhifa.workdays.models import CalendarOverride, CalendarYear


def calendar_overrides_list(*, year: int | None = None, region_code: str | None = None) -> QuerySet[CalendarOverride]:
    """Override rows by date. `region_code=None` lists every region; "" lists nationwide rows only."""
    rows = CalendarOverride.objects.select_related("created_by").order_by("date", "region_code")
    if year is not None:
        rows = rows.filter(date__year=year)
    if region_code is not None:
        rows = rows.filter(region_code=region_code)
    return rows


def calendar_years_list(*, region_code: str | None = None) -> QuerySet[CalendarYear]:
    """Years entered in the override tables, with their status."""
    rows = CalendarYear.objects.order_by("year", "region_code")
    if region_code is not None:
        rows = rows.filter(region_code=region_code)
    return rows
