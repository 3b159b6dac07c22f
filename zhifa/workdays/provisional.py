"""The provisional calendar for years whose holiday arrangement is not yet announced (CAL-13).

Two estimates bracket the plausible arrangements: FEWEST_REST (only the statutory holiday days off; weekends near
a holiday may be make-up workdays) and MOST_REST (the usual extended blocks, no make-up workdays). Each deadline
direction takes the estimate that errs on the side of the law. Holiday dates come from the fixed calendar and the
lunar calendar (`lunar_python`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from enum import Enum
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from lunar_python import Lunar

ONE_DAY = timedelta(days=1)


class Direction(Enum):
    """Who bears the deadline (CAL-13). Only matters in years whose holiday arrangement is not yet known."""

    AGENCY_OBLIGATION = "agency_obligation"  # publish, review, serve, notify: err towards the earliest date
    PARTY_RIGHT = "party_right"  # hearing request, defence, payment, remedies: err towards the latest date



class Assume(Enum):
    """How to fill in a year whose arrangement is unknown.

    FEWEST_REST and MOST_REST bracket the plausible arrangements: a FEWEST_REST rest day is a rest day in every
    arrangement, and every arrangement's rest days are MOST_REST rest days. Deadlines under them are therefore no
    later (FEWEST_REST) or no earlier (MOST_REST) than the official ones, as far as past practice goes;
    tests/test_calendar.py checks this against the real arrangements of 2020–2023 and 2025–2026 (2024 differs
    only where the 2025 amendment made 除夕 a holiday).
    """

    STATUTORY = "statutory"  # display only: statutory holiday days and weekends off
    FEWEST_REST = "fewest_rest"  # statutory days off; weekends near a holiday block may be make-up workdays
    MOST_REST = "most_rest"  # the usual extended blocks off, no make-up workdays


# Which estimate yields the conservative answer for each direction.
# Forward counting (add N days): fewer rest days → earlier due date.
FORWARD = {Direction.AGENCY_OBLIGATION: Assume.FEWEST_REST, Direction.PARTY_RIGHT: Assume.MOST_REST}
# Backward counting (latest date X such that X + N working days <= D): more rest days → earlier X.
BACKWARD = {Direction.AGENCY_OBLIGATION: Assume.MOST_REST, Direction.PARTY_RIGHT: Assume.FEWEST_REST}
# Make-up workdays 2008–2026 lie at most 8 days from the extended blocks below (2023-04-23), apart from the
# one-off 2015 victory-day holiday; 10 leaves a margin.
_MAKEUP_REACH_DAYS = 10

NEW_YEAR = gettext_noop("元旦")
SPRING_FESTIVAL = gettext_noop("春节")
QINGMING = gettext_noop("清明节")
LABOUR_DAY = gettext_noop("劳动节")
DRAGON_BOAT = gettext_noop("端午节")
MID_AUTUMN = gettext_noop("中秋节")
NATIONAL_DAY = gettext_noop("国庆节")

# Extra rest days that join a single-day holiday to the adjacent weekend (a 3-day block), by the holiday's weekday
# (Mon=0). This is the State Council's recent practice: Tue → Mon off; Thu → Fri off; Sat/Sun → Mon off.
_BLOCK_EXTRA_DAYS: dict[int, int] = {1: -1, 3: 1, 5: 2, 6: 1}


def _solar_to_date(solar: Any) -> date:
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _lunar_to_date(year: int, month: int, day: int) -> date:
    return _solar_to_date(Lunar.fromYmd(year, month, day).getSolar())


def _qingming(year: int) -> date:
    """清明 is the day of the solar term 清明 (always 4–6 April)."""
    day = _solar_to_date(Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"])
    if (day.year, day.month) != (year, 4):  # pragma: no cover - guards a change in lunar_python's table keys
        raise RuntimeError(f"lunar_python returned {day} for 清明 {year}")
    return day


def _span(first: date, days: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(days)]


def _single_day_block(day: date) -> list[date]:
    extra = _BLOCK_EXTRA_DAYS.get(day.weekday())
    return [day] if extra is None else [day, day + timedelta(days=extra)]


def _holiday_blocks(year: int, *, extended: bool) -> list[tuple[str, list[date]]]:
    """Holiday blocks of `year`: the statutory days (CAL-7, since 2025: 元旦 1, 春节 除夕 + 初一…初三, 清明 1,
    劳动节 1–2 May, 端午 1, 中秋 1, 国庆 1–3 Oct) or the usual extended blocks around them."""
    eve = _lunar_to_date(year, 1, 1) - ONE_DAY  # 除夕 is the day before 正月初一
    blocks = [
        (SPRING_FESTIVAL, _span(eve, 8 if extended else 4)),
        (LABOUR_DAY, _span(date(year, 5, 1), 5 if extended else 2)),
        (NATIONAL_DAY, _span(date(year, 10, 1), 8 if extended else 3)),
    ]
    single_days = [
        (NEW_YEAR, date(year, 1, 1)),
        (QINGMING, _qingming(year)),
        (DRAGON_BOAT, _lunar_to_date(year, 5, 5)),
        (MID_AUTUMN, _lunar_to_date(year, 8, 15)),
    ]
    for name, day in single_days:
        blocks.append((name, _single_day_block(day) if extended else [day]))
    return blocks


def _as_days(blocks: list[tuple[str, list[date]]]) -> dict[date, str]:
    days: dict[date, str] = {}
    for name, block in blocks:
        for day in block:
            days.setdefault(day, name)
    return days


@lru_cache(maxsize=128)
def rest_days(year: int, assume: Assume) -> Mapping[date, str]:
    """Rest days (date → holiday name) of the CAL-13 estimate for `year`, weekends excluded. Blocks of the
    neighbouring years count where they spill over (元旦 on a Tuesday puts 31 December of the year before off)."""
    extended = assume is Assume.MOST_REST
    blocks = [block for y in (year - 1, year, year + 1) for block in _holiday_blocks(y, extended=extended)]
    return {day: name for day, name in _as_days(blocks).items() if day.year == year}


@lru_cache(maxsize=128)
def possible_makeup_days(year: int) -> frozenset[date]:
    """Weekend days of `year` that the State Council might turn into make-up workdays: every weekend day within
    reach of an extended holiday block (neighbouring years' blocks count too), except the statutory days."""
    extended: set[date] = set()
    for y in (year - 1, year, year + 1):
        extended.update(_as_days(_holiday_blocks(y, extended=True)))
    statutory = rest_days(year, Assume.STATUTORY)
    near: set[date] = set()
    for day in extended:
        for offset in range(-_MAKEUP_REACH_DAYS, _MAKEUP_REACH_DAYS + 1):
            other = day + timedelta(days=offset)
            if other.year == year and other.weekday() >= 5 and other not in statutory:
                near.add(other)
    return frozenset(near)


def provisional_rest_days(year: int, *, direction: Direction | None = None) -> dict[date, str]:
    """The holiday days (date → Chinese name) the CAL-13 estimate assumes for `year`; weekends are not listed.

    None or AGENCY_OBLIGATION: the statutory days only (for agency obligations, weekends near a holiday may in
    addition count as make-up workdays). PARTY_RIGHT: the usual extended blocks (春节 8 days from 除夕,
    劳动节 1–5 May, 国庆节 1–8 Oct, other holidays joined to the adjacent weekend).
    """
    assume = Assume.MOST_REST if direction is Direction.PARTY_RIGHT else Assume.STATUTORY
    return dict(rest_days(year, assume))


def assumption_text(assume: Assume) -> str:
    if assume is Assume.MOST_REST:
        return _("按惯常连休（春节8天、劳动节5天、国庆节8天、其他节日连同周末3天）且不调休")
    if assume is Assume.FEWEST_REST:
        return _("仅按法定节假日当天放假、节日前后10天内的周末均可能调休上班")
    return _("按法定节假日当天及周末")
