"""The Chinese working-day calendar and deadline arithmetic (rules CAL-1…CAL-14).

`WorkCalendar` answers "is this a working day?" from three sources, in this order:

1. the admin-maintained override table (`CalendarOverride`; overrides win, CAL-12), filtered to the region the
   calendar was built for (CAL-9);
2. the `chinese_calendar` package (State Council arrangements 2004–2026, CAL-10) using the CAL-11 rule
   "make-up workday OR (Mon–Fri AND not a holiday)";
3. for years that neither the package nor an official `CalendarYear` covers, a PROVISIONAL calendar (CAL-13):
   weekends plus statutory holidays (fixed-date and lunar, computed with `lunar_python`), chosen per direction so
   that the answer errs on the side of the law: agency obligations get the earliest plausible due date, party
   rights the latest. Every result that relied on it is marked `provisional=True` and says so in its basis.

The class itself is pure (constructed from plain values, no database). `load_calendar()` builds one from the
database and caches it per process; `invalidate_calendar_cache()` drops the cache after an edit.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

import chinese_calendar
from django.utils.translation import gettext as _

from zhifa.workdays.periods import add_months, add_years
from zhifa.workdays.provisional import (
    BACKWARD,
    FORWARD,
    ONE_DAY,
    Assume,
    Direction,
    assumption_text,
    possible_makeup_days,
    provisional_rest_days,
    rest_days,
)

__all__ = [
    "DayInfo",
    "DayKind",
    "Deadline",
    "Direction",
    "Override",
    "OverrideKind",
    "WorkCalendar",
    "add_months",
    "add_years",
    "invalidate_calendar_cache",
    "load_calendar",
    "provisional_rest_days",
]

REGION_CODE_RE = re.compile(r"^(\d{6})?$")
# A deadline search that walks further than this is a broken override table (everything a holiday), not a date.
_MAX_WALK_DAYS = 20 * 366



class DayKind(StrEnum):
    WORKING = "working"
    CALENDAR = "calendar"


class OverrideKind(StrEnum):
    """Kinds of calendar override; the values are those of `CalendarOverride.Kind` in models.py."""

    HOLIDAY = "holiday"
    MAKEUP_WORKDAY = "makeup_workday"
    LOCAL_HOLIDAY = "local_holiday"


@dataclass(frozen=True)
class Override:
    """One override row as a plain value. `region_code` "" means nationwide."""

    day: date
    kind: OverrideKind
    name: str = ""
    region_code: str = ""


@dataclass(frozen=True)
class DayInfo:
    day: date
    is_workday: bool
    provisional: bool  # True when the answer comes from the CAL-13 estimate, not from official data
    reason: str  # Chinese, for display: "国庆节", "调休上班（国庆节）", "周末", "工作日", an override's name


@dataclass(frozen=True)
class Deadline:
    due: date  # the last day of the period; it ends at 24:00 Asia/Shanghai (CAL-5)
    provisional: bool
    basis: str  # Chinese explanation of how `due` was computed, including the provisional assumption if any
    day_kind: DayKind



# --- chinese_calendar, wrapped ---------------------------------------------------------------------------------


class _PackageDay(NamedTuple):
    is_workday: bool
    reason: str


def _holiday_name(english: str) -> str:
    try:
        return str(chinese_calendar.Holiday(english).chinese)
    except ValueError:  # pragma: no cover - a name added to the package after 1.11.0
        return english


@lru_cache(maxsize=4096)
def _package_day(day: date) -> _PackageDay | None:
    """The package's answer for `day`, or None outside its data range.

    This is the only place that calls `chinese_calendar`; its NotImplementedError for unknown years (CAL-10,
    CAL-T8) becomes None here and the caller switches to the CAL-13 path.
    """
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    weekend = day.weekday() >= 5
    if name is None:  # an ordinary day (CAL-11: Mon–Fri works, Sat/Sun rests)
        return _PackageDay(not weekend, _("周末") if weekend else _("工作日"))
    if on_holiday:
        return _PackageDay(False, _holiday_name(name))
    # A make-up workday (调休上班). Deliberately not chinese_calendar.get_workdays(include_weekends=False),
    # which drops exactly these days (CAL-11).
    return _PackageDay(True, _("调休上班（%(holiday)s）") % {"holiday": _holiday_name(name)})


@lru_cache(maxsize=256)
def _package_covers(year: int) -> bool:
    return _package_day(date(year, 1, 1)) is not None


# --- the calendar ----------------------------------------------------------------------------------------------


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _override_reason(override: Override) -> str:
    if override.kind is OverrideKind.MAKEUP_WORKDAY:
        if override.name:
            return _("调休上班（%(holiday)s）") % {"holiday": override.name}
        return _("调休上班")
    if override.name:
        return override.name
    return _("地方节假日") if override.kind is OverrideKind.LOCAL_HOLIDAY else _("放假")


def _normalize_pauses(pauses: Sequence[tuple[date, date]]) -> list[tuple[date, date]]:
    spans = []
    for first, last in pauses:
        if last < first:
            raise ValueError(f"pause interval ends before it starts: {first} > {last}")
        spans.append((first, last))
    return spans


def _paused(day: date, spans: list[tuple[date, date]]) -> bool:
    return any(first <= day <= last for first, last in spans)


class WorkCalendar:
    """Working days for one region (CAL-6, CAL-9, CAL-11…CAL-13). Immutable once built; safe to share.

    `overrides`: override rows, as an iterable or a date-keyed mapping. Rows for other regions are ignored; a row
    for this region wins over a nationwide row on the same date. `official_years`: years with an official
    nationwide arrangement entered as overrides (`CalendarYear`), in addition to the package's own years.
    `use_package=False` ignores `chinese_calendar` (tests and comparisons of the estimate with real years).
    """

    def __init__(
        self,
        overrides: Iterable[Override] | Mapping[date, Override] = (),
        official_years: Iterable[int] = (),
        *,
        region_code: str = "",
        use_package: bool = True,
    ) -> None:
        if not REGION_CODE_RE.match(region_code):
            raise ValueError(f"region_code must be 6 digits or empty, not {region_code!r}")
        rows = list(overrides.values() if isinstance(overrides, Mapping) else overrides)
        selected: dict[date, Override] = {}
        # Nationwide rows first, so that this region's row on the same date replaces them.
        for row in sorted(rows, key=lambda r: r.region_code != ""):
            if row.region_code in ("", region_code):
                selected[row.day] = Override(row.day, OverrideKind(row.kind), row.name, row.region_code)
        self.region_code = region_code
        self._overrides = selected
        self._official_years = frozenset(official_years)
        self._use_package = use_package
        self._memo: dict[tuple[date, Assume], DayInfo] = {}
        self._memo_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<WorkCalendar region={self.region_code or '全国'} overrides={len(self._overrides)}>"

    # -- single days --

    def is_official_year(self, year: int) -> bool:
        """Whether `year`'s nationwide holiday arrangement is known (package data or an official CalendarYear)."""
        return year in self._official_years or (self._use_package and _package_covers(year))

    def day_info(self, day: date, *, direction: Direction | None = None) -> DayInfo:
        """Working-day status of `day`. `direction` only matters in provisional years: None (for display) assumes
        the statutory days and weekends off; a direction gives the estimate its deadlines use."""
        return self._day(day, Assume.STATUTORY if direction is None else FORWARD[direction])

    def is_workday(self, day: date, *, direction: Direction | None = None) -> bool:
        return self.day_info(day, direction=direction).is_workday

    def _day(self, day: date, assume: Assume) -> DayInfo:
        key = (day, assume)
        info = self._memo.get(key)
        if info is None:
            info = self._compute_day(day, assume)
            with self._memo_lock:
                self._memo[key] = info
        return info

    def _compute_day(self, day: date, assume: Assume) -> DayInfo:
        override = self._overrides.get(day)
        if override is not None:
            return DayInfo(day, override.kind is OverrideKind.MAKEUP_WORKDAY, False, _override_reason(override))
        weekend = day.weekday() >= 5
        if self.is_official_year(day.year):
            package = _package_day(day) if self._use_package else None
            if package is not None:
                return DayInfo(day, package.is_workday, False, package.reason)
            # An official year entered by an admin: every holiday and make-up day is an override row.
            return DayInfo(day, not weekend, False, _("周末") if weekend else _("工作日"))
        name = rest_days(day.year, assume).get(day)
        if name is not None:
            return DayInfo(day, False, True, _(name))
        if weekend and assume is Assume.FEWEST_REST and day in possible_makeup_days(day.year):
            return DayInfo(day, True, True, _("周末（可能调休上班）"))
        return DayInfo(day, not weekend, True, _("周末") if weekend else _("工作日"))

    # -- deadlines --

    def add_working_days(
        self,
        start: date,
        n: int,
        *,
        direction: Direction,
        pauses: Sequence[tuple[date, date]] = (),
    ) -> Deadline:
        """The n-th working day after `start` (the start day itself is not counted; CAL-1, CAL-3).

        `pauses` are inclusive (first, last) intervals during which the clock stops (CAL-14): their days are not
        counted even when they are working days.
        """
        if n < 0:
            raise ValueError("n must not be negative; use latest_date_before() to count backwards")
        spans = _normalize_pauses(pauses)
        assume = FORWARD[direction]
        day, counted, paused_days, walked = start, 0, 0, 0
        provisional_years: set[int] = set()
        while counted < n:
            day += ONE_DAY
            walked += 1
            if walked > _MAX_WALK_DAYS:
                raise RuntimeError(f"no {n} working days found within {_MAX_WALK_DAYS} days after {start}")
            if _paused(day, spans):
                paused_days += 1
                continue
            info = self._day(day, assume)
            if info.provisional:
                provisional_years.add(day.year)
            if info.is_workday:
                counted += 1
        parts = [_("自%(start)s次日起算%(n)d个工作日（不含起算日；周末和法定节假日不计，调休上班日计入）")
                 % {"start": _cn(start), "n": n}]
        if paused_days:
            parts.append(_("期间暂停计算%(days)d天不计入") % {"days": paused_days})
        return self._deadline(day, parts, provisional_years, assume, direction, DayKind.WORKING)

    def add_calendar_days(
        self,
        start: date,
        n: int,
        *,
        party_facing: bool,
        pauses: Sequence[tuple[date, date]] = (),
    ) -> Deadline:
        """A period of `n` calendar days after `start` (CAL-2, CAL-3), with the CAL-4 end-day rule.

        Party-facing periods (payment, remedies) ending on a rest day end on the next working day; agency-facing
        limits (90-day decision, 30-day seizure) keep their nominal date. Paused days (CAL-14) are not counted.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        spans = _normalize_pauses(pauses)
        day, counted, paused_days = start, 0, 0
        while counted < n:
            day += ONE_DAY
            if _paused(day, spans):
                paused_days += 1
            else:
                counted += 1
        head = _("自%(start)s次日起算%(n)d日（自然日）") % {"start": _cn(start), "n": n}
        if paused_days:
            head += _("，期间暂停计算%(days)d天不计入") % {"days": paused_days}
        return self._calendar_deadline(day, head, party_facing=party_facing)

    def add_calendar_months(self, start: date, n: int, *, party_facing: bool) -> Deadline:
        """A period of `n` months (CAL-3: the corresponding date, or the month's last day), with CAL-4."""
        head = _("自%(start)s起算%(n)d个月，到期月的对应日（无对应日的为月末日）届满") % {"start": _cn(start), "n": n}
        return self._calendar_deadline(add_months(start, n), head, party_facing=party_facing)

    def add_calendar_years(self, start: date, n: int, *, party_facing: bool) -> Deadline:
        """A period of `n` years (CAL-3), with CAL-4."""
        head = _("自%(start)s起算%(n)d年，到期月的对应日（无对应日的为月末日）届满") % {"start": _cn(start), "n": n}
        return self._calendar_deadline(add_years(start, n), head, party_facing=party_facing)

    def latest_date_before(self, target: date, n: int, *, direction: Direction) -> Deadline:
        """The latest date X such that the n-th working day after X is on or before `target`.

        Used for "at least N working days before" rules, e.g. CASE-36: a hearing on `target` needs the notice by
        `latest_date_before(target, 7, direction=AGENCY_OBLIGATION)` (CAL-T3). In provisional years an agency
        obligation assumes the most rest days, so that X is early enough under any plausible arrangement.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        assume = BACKWARD[direction]
        day, counted, walked = target + ONE_DAY, 0, 0
        provisional_years: set[int] = set()
        while counted < n:
            day -= ONE_DAY
            walked += 1
            if walked > _MAX_WALK_DAYS:
                raise RuntimeError(f"no {n} working days found within {_MAX_WALK_DAYS} days before {target}")
            info = self._day(day, assume)
            if info.provisional:
                provisional_years.add(day.year)
            if info.is_workday:
                counted += 1
        latest = day - ONE_DAY
        parts = [_("最迟于%(latest)s，使其次日起第%(n)d个工作日不晚于%(target)s")
                 % {"latest": _cn(latest), "n": n, "target": _cn(target)}]
        return self._deadline(latest, parts, provisional_years, assume, direction, DayKind.WORKING)

    def working_days_between(
        self,
        first: date,
        last: date,
        *,
        direction: Direction = Direction.AGENCY_OBLIGATION,
        pauses: Sequence[tuple[date, date]] = (),
    ) -> int:
        """Working days in (first, last]; negative when `last` is before `first`.

        In provisional years AGENCY_OBLIGATION counts the most working days (an agency's elapsed time is never
        under-stated) and PARTY_RIGHT the fewest. Paused days are not counted.
        """
        if last < first:
            return -self.working_days_between(last, first, direction=direction, pauses=pauses)
        spans = _normalize_pauses(pauses)
        assume = FORWARD[direction]
        count, day = 0, first
        while day < last:
            day += ONE_DAY
            if not _paused(day, spans) and self._day(day, assume).is_workday:
                count += 1
        return count

    # -- helpers --

    def _calendar_deadline(self, nominal: date, head: str, *, party_facing: bool) -> Deadline:
        if not party_facing:
            basis = head + _("；机关期限届满日不因节假日顺延，按原届满日提醒")
            return Deadline(nominal, False, basis, DayKind.CALENDAR)
        direction = Direction.PARTY_RIGHT
        assume = FORWARD[direction]
        day = nominal
        provisional_years: set[int] = set()
        for _walked in range(_MAX_WALK_DAYS):
            info = self._day(day, assume)
            if info.provisional:
                provisional_years.add(day.year)
            if info.is_workday:
                break
            day += ONE_DAY
        else:
            raise RuntimeError(f"no working day found within {_MAX_WALK_DAYS} days after {nominal}")
        parts = [head]
        if day != nominal:
            parts.append(_("届满日%(nominal)s为法定休假日（%(reason)s），顺延至其后第一个工作日")
                         % {"nominal": _cn(nominal), "reason": self._day(nominal, assume).reason})
        return self._deadline(day, parts, provisional_years, assume, direction, DayKind.CALENDAR)

    def _deadline(
        self,
        due: date,
        parts: list[str],
        provisional_years: set[int],
        assume: Assume,
        direction: Direction,
        day_kind: DayKind,
    ) -> Deadline:
        if provisional_years:
            end = _("最早") if direction is Direction.AGENCY_OBLIGATION else _("最晚")
            parts.append(
                _("%(years)s年放假安排尚未公布，%(assumption)s暂定，取%(end)s可能日期；正式安排录入后须重新计算")
                % {"years": "、".join(str(y) for y in sorted(provisional_years)),
                   "assumption": assumption_text(assume), "end": end}
            )
        return Deadline(due, bool(provisional_years), "；".join(parts), day_kind)


# --- loading from the database, cached per process -------------------------------------------------------------

_cache_lock = threading.Lock()
_cache: dict[str, WorkCalendar] = {}
_cache_generation: tuple[object, ...] | None = None


def invalidate_calendar_cache() -> None:
    """Drop every cached calendar in this process. Services call it after editing overrides or years."""
    global _cache_generation
    with _cache_lock:
        _cache.clear()
        _cache_generation = None


def _generation() -> tuple[object, ...]:
    """A cheap token that changes whenever an override or year row is added, changed or deleted."""
    from django.db.models import Count, Max

    from zhifa.workdays.models import CalendarOverride, CalendarYear

    parts: list[object] = []
    for model in (CalendarOverride, CalendarYear):
        row = model.objects.aggregate(n=Count("pk"), last=Max("pk"), changed=Max("updated_at"))
        parts.extend((row["n"], row["last"], row["changed"]))
    return tuple(parts)


def _build(region_code: str) -> WorkCalendar:
    from django.db.models import Q

    from zhifa.workdays.models import CalendarOverride, CalendarYear

    rows = CalendarOverride.objects.filter(Q(region_code="") | Q(region_code=region_code))
    overrides = [
        Override(day=row.date, kind=OverrideKind(row.kind), name=row.name, region_code=row.region_code)
        for row in rows.only("date", "kind", "name", "region_code")
    ]
    official = CalendarYear.objects.filter(status=CalendarYear.Status.OFFICIAL, region_code="")
    return WorkCalendar(overrides, official.values_list("year", flat=True), region_code=region_code)


def load_calendar(region_code: str = "") -> WorkCalendar:
    """The calendar for `region_code` ("" = nationwide) from the override tables, cached per process.

    Each call costs one cheap generation check (two aggregate queries); the tables are read again only when they
    changed, in this process or another. Callers computing many deadlines should keep the returned calendar.
    """
    if not REGION_CODE_RE.match(region_code):
        raise ValueError(f"region_code must be 6 digits or empty, not {region_code!r}")
    global _cache_generation
    generation = _generation()
    with _cache_lock:
        if generation != _cache_generation:
            _cache.clear()
            _cache_generation = generation
        cached = _cache.get(region_code)
    if cached is not None:
        return cached
    calendar = _build(region_code)
    with _cache_lock:
        if _cache_generation == generation:
            calendar = _cache.setdefault(region_code, calendar)
    return calendar
