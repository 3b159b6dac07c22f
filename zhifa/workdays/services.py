"""Writes to the calendar override tables. Keyword-only, one transaction each, system administrators only.

Both services drop the per-process calendar cache (at once and again after commit); other processes notice the
change through `load_calendar()`'s generation check.
Ledger: the records app does not exist yet; when it does, both services append their event here, in the same
transaction (architecture rule 1).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhifa.accounts.models import User
from zhifa.accounts.roles import Role
from zhifa.records.ledger import ledger_append
from zhifa.workdays.calendar import (
    REGION_CODE_RE,
    Direction,
    OverrideKind,
    WorkCalendar,
    invalidate_calendar_cache,
    provisional_rest_days,
)
from zhifa.workdays.models import CalendarOverride, CalendarYear

MIN_YEAR, MAX_YEAR = 1990, 2100
_PACKAGE_ONLY = WorkCalendar()  # the package plus nothing: used to validate make-up workdays


def _require_system_admin(actor: User) -> None:
    if not actor.has_role(Role.SYSTEM_ADMIN):
        raise PermissionDenied(_("只有系统管理员可以维护节假日安排。"))


def _invalidate() -> None:
    invalidate_calendar_cache()
    transaction.on_commit(invalidate_calendar_cache)


def _check_region(region_code: str, errors: dict[str, list[str]]) -> None:
    if not REGION_CODE_RE.match(region_code):
        errors.setdefault("region_code", []).append(_("行政区划代码应为6位数字（留空表示全国）。"))


def _check_source(source_document: str, errors: dict[str, list[str]]) -> None:
    if not source_document.strip():
        errors.setdefault("source_document", []).append(_("请填写发文字号（如：国办发明电〔2026〕X号）。"))


@transaction.atomic
def calendar_override_create(
    *,
    actor: User,
    date: dt.date,
    kind: str,
    region_code: str = "",
    name: str,
    source_document: str,
) -> CalendarOverride:
    """Record one holiday, make-up workday or local holiday (CAL-9, CAL-12)."""
    _require_system_admin(actor)
    region_code, name, source_document = region_code.strip(), name.strip(), source_document.strip()
    errors: dict[str, list[str]] = {}
    if kind not in CalendarOverride.Kind.values:
        errors.setdefault("kind", []).append(_("未知的类型：%(kind)s。") % {"kind": kind})
    if not MIN_YEAR <= date.year <= MAX_YEAR:
        errors.setdefault("date", []).append(
            _("日期须在%(min)d年至%(max)d年之间。") % {"min": MIN_YEAR, "max": MAX_YEAR})
    _check_region(region_code, errors)
    if kind == OverrideKind.LOCAL_HOLIDAY and not region_code:
        errors.setdefault("region_code", []).append(_("地方节假日须填写适用地区的行政区划代码。"))
    if not name:
        errors.setdefault("name", []).append(_("请填写名称（如：春节）。"))
    _check_source(source_document, errors)
    if kind == OverrideKind.MAKEUP_WORKDAY and "date" not in errors and _PACKAGE_ONLY.is_workday(date):
        errors.setdefault("date", []).append(
            _("%(date)s本来就是工作日，无需登记为调休上班日。") % {"date": date.isoformat()})
    if not errors and CalendarOverride.objects.filter(date=date, region_code=region_code).exists():
        errors.setdefault("date", []).append(_("%(date)s在该地区已有节假日调整记录。") % {"date": date.isoformat()})
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():  # a savepoint, so that the outer transaction survives the error
            override = CalendarOverride.objects.create(
                date=date, kind=kind, region_code=region_code, name=name, source_document=source_document,
                created_by=actor,
            )
    except IntegrityError as exc:  # a concurrent insert of the same date and region
        raise ValidationError(
            {"date": [_("%(date)s在该地区已有节假日调整记录。") % {"date": date.isoformat()}]}) from exc
    ledger_append(
        kind="calendar.override_created", stream="calendar", agency_id=None, actor=actor,
        payload={"date": date.isoformat(), "kind": kind, "region_code": region_code, "name": name,
                 "source_document": source_document, "rule": "CAL-12"},
    )
    _invalidate()
    return override


@transaction.atomic
def calendar_year_mark_official(
    *,
    actor: User,
    year: int,
    source_document: str,
    region_code: str = "",
) -> CalendarYear:
    """Mark `year` as officially entered (CAL-13): deadlines in it stop being provisional.

    For a nationwide year the package does not cover, every statutory holiday day (CAL-7) must already be entered
    as a nationwide holiday override; otherwise the year would silently become "Mon–Fri only".
    Callers owning provisional deadlines (cases) must recompute them after this call (CAL-13).
    """
    _require_system_admin(actor)
    region_code, source_document = region_code.strip(), source_document.strip()
    errors: dict[str, list[str]] = {}
    if not MIN_YEAR <= year <= MAX_YEAR:
        errors.setdefault("year", []).append(_("年份须在%(min)d至%(max)d之间。") % {"min": MIN_YEAR, "max": MAX_YEAR})
    _check_region(region_code, errors)
    _check_source(source_document, errors)
    if errors:
        raise ValidationError(errors)
    if not region_code and not _PACKAGE_ONLY.is_official_year(year):
        entered = set(
            CalendarOverride.objects.filter(
                date__year=year, region_code="", kind=CalendarOverride.Kind.HOLIDAY
            ).values_list("date", flat=True)
        )
        statutory = provisional_rest_days(year, direction=Direction.AGENCY_OBLIGATION)
        missing = sorted(day for day in statutory if day not in entered)
        if missing:
            listed = "、".join(f"{_(statutory[day])}（{day.month}月{day.day}日）" for day in missing)
            raise ValidationError({"year": [
                _("%(year)d年尚未录入以下法定节假日：%(days)s。请先按国务院办公厅通知录入全部放假和调休日期。")
                % {"year": year, "days": listed}
            ]})
    record, _created = CalendarYear.objects.update_or_create(
        year=year, region_code=region_code,
        defaults={
            "status": CalendarYear.Status.OFFICIAL,
            "source_document": source_document,
            "loaded_at": timezone.now(),
            "loaded_by": actor,
        },
    )
    ledger_append(
        kind="calendar.year_official", stream="calendar", agency_id=None, actor=actor,
        payload={"year": year, "region_code": region_code, "source_document": source_document, "rule": "CAL-13"},
    )
    _invalidate()
    return record
