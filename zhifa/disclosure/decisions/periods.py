"""Publicity periods of published penalty decisions (公示期, DISC-26…28): computed per record when it is published,
with the version of the rule used, so a later change of the rules never moves a period already computed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from zhifa.workdays.periods import add_months

#: NDRC 信用修复管理办法, effective 2026-04-01 (DISC-28).
CREDIT_REPAIR_EFFECTIVE = date(2026, 4, 1)
VERSION_2026 = "DISC-28 信用修复管理办法（2026-04-01施行）"
VERSION_NDRC58 = "DISC-27 信用中国公示期限（NDRC58）"
LIGHT = frozenset({"warning", "circulated_criticism"})
SEVERE = frozenset({"revoke_license", "lower_qualification", "suspend_business", "close_down", "restrict_business",
                    "restrict_practice", "suspend_license"})
#: DISC-27: food, drugs, special equipment, work safety, fire: at least one year (sector codes as they are added).
MIN_ONE_YEAR_SECTORS = frozenset({"food", "drug", "special_equipment", "work_safety", "fire"})


def publicity_end(*, category: str, decided_on: date, penalty_kinds: Iterable[str],
                  sector: str = "") -> tuple[date | None, str]:
    """(last day of publication, rule version); (None, "") when no period applies (non-penalty decisions).

    Counted from the decision date (DISC-27). From 2026-04-01 (DISC-28): slight (warning or 通报批评 only) 3 months,
    serious (licence, qualification, business or practice restrictions) 3 years, general 1 year. Before: 3 months
    for slight penalties, else 3 years; at least one year in the DISC-27 sectors. The longest applies (DISC-27)."""
    if category != "penalty":
        return None, ""
    kinds = set(penalty_kinds)
    light = bool(kinds) and kinds <= LIGHT
    if decided_on >= CREDIT_REPAIR_EFFECTIVE:
        months = 3 if light else 36 if kinds & SEVERE else 12
        version = VERSION_2026
    else:
        months = 3 if light else 36
        version = VERSION_NDRC58
    if sector in MIN_ONE_YEAR_SECTORS:
        months = max(months, 12)
    return add_months(decided_on, months), version
