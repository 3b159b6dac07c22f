"""Plausible dates on case input (issue 9 defect 12; reliability.md BI-8).

Every date a user types into a case (registration, the facts, each procedural step) is checked before anything is
written, in the services, so the staff UI and the API refuse the same input with the same reason:

- dates of the facts (when the act happened, ended, was discovered) are not before 1949-10-01;
- registration and every other procedural date is not before 1996-10-01, when the Administrative Penalty Law
  (行政处罚法) took effect: no case handled under it can be older (the registry has no founding date per agency);
- no date is after today, except the few that name a future day (a scheduled hearing, an extended deadline), which
  may lie at most `FUTURE_LIMIT_YEARS` ahead.

A case registered on 1900-01-01 would otherwise get the number 〔1900〕1号 and deadlines computed from a year the
working-day calendar knows nothing about; 9999-12-31 overflows date arithmetic.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel

from zhifa.common.errors import InvalidInput

EARLIEST_FACT = date(1949, 10, 1)
EARLIEST_PROCEDURE = date(1996, 10, 1)  # 《中华人民共和国行政处罚法》施行之日
FUTURE_LIMIT_YEARS = 5

FACT_FIELDS = frozenset({"act_date", "act_end_date", "discovered_on", "birth_date"})
FUTURE_FIELDS = frozenset({"hearing_on", "new_due"})  # a day that is planned, not one that has happened
SKIPPED_FIELDS = frozenset({"birth_date"})  # read from the ID number, which has its own check (ID-1)


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    return None


def _label(model: BaseModel, name: str) -> str:
    info = type(model).model_fields.get(name)
    return str(info.title) if info is not None and info.title else name


def date_problem(name: str, value: date, *, today: date, label: str = "") -> str:
    """The reason `value` is refused for field `name`, or "" if it is plausible."""
    label = label or name
    fact = name in FACT_FIELDS
    earliest = EARLIEST_FACT if fact else EARLIEST_PROCEDURE
    if value < earliest:
        if fact:
            return _("%(label)s不能早于1949年10月1日。") % {"label": label}
        return _("%(label)s不能早于1996年10月1日（《行政处罚法》施行之日）。") % {"label": label}
    if name in FUTURE_FIELDS:
        try:
            latest = today.replace(year=today.year + FUTURE_LIMIT_YEARS)
        except ValueError:  # 29 February
            latest = today.replace(year=today.year + FUTURE_LIMIT_YEARS, day=28)
        if value > latest:
            return _("%(label)s不能晚于今天起%(n)s年。") % {"label": label, "n": FUTURE_LIMIT_YEARS}
    elif value > today:
        return _("%(label)s不能晚于今天（%(today)s）。") % {"label": label, "today": today.isoformat()}
    return ""


def _walk(model: BaseModel, today: date, prefix: str, out: list[dict[str, Any]]) -> None:
    for name in type(model).model_fields:
        value = getattr(model, name, None)
        items = value if isinstance(value, list | tuple) else [value]
        for i, item in enumerate(items):
            where = f"{prefix}{name}" + (f".{i}" if isinstance(value, list | tuple) else "")
            if isinstance(item, BaseModel):
                _walk(item, today, where + ".", out)
                continue
            day = _as_date(item)
            if day is None or name in SKIPPED_FIELDS:
                continue
            problem = date_problem(name, day, today=today, label=_label(model, name))
            if problem:
                out.append({"field": where, "message": problem})


def date_problems(data: object, *, today: date) -> list[dict[str, Any]]:
    """Every implausible date in a validated input (nested parties included), as {field, message}."""
    out: list[dict[str, Any]] = []
    if isinstance(data, BaseModel):
        _walk(data, today, "", out)
    return out


def check_dates(data: object, *, today: date) -> None:
    """Raise InvalidInput (422, the reason in Chinese) if any date in `data` is implausible."""
    problems = date_problems(data, today=today)
    if problems:
        raise InvalidInput("；".join(p["message"] for p in problems), errors=problems)
