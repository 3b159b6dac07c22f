"""Calendar arithmetic that needs no holiday data: month/year periods (CAL-3) and capped daily amounts (CASE-52).

Pure functions on `date` and `Decimal`; no database, no floats.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date
from decimal import Decimal


def add_months(start: date, n: int) -> date:
    """The last day of a period of `n` months starting after `start` (CAL-3, Civil Code Art. 201–202).

    The period ends on the corresponding date of the target month, or on that month's last day when the month
    has no corresponding date (2025-01-31 + 1 month → 2025-02-28). `n` may be negative (look-back periods).
    """
    index = start.year * 12 + (start.month - 1) + n
    year, month0 = divmod(index, 12)
    month = month0 + 1
    return date(year, month, min(start.day, monthrange(year, month)[1]))


def add_years(start: date, n: int) -> date:
    """The last day of a period of `n` years (2024-02-29 + 1 year → 2025-02-28)."""
    return add_months(start, 12 * n)


def capped_daily_surcharge(principal: Decimal, rate: Decimal, days: int) -> Decimal:
    """Simple (non-compounding) daily surcharge on `principal`, never more than the principal (CASE-52).

    `rate` is the daily rate as a fraction (Decimal("0.03") for 3 %); `days` counts overdue days that accrue
    (pauses under CASE-53 must already be excluded by the caller). Returns the surcharge only, not the total.
    """
    if principal < 0:
        raise ValueError("principal must not be negative")
    if rate < 0:
        raise ValueError("rate must not be negative")
    if days <= 0:
        return Decimal(0)
    return min(principal * rate * days, principal)
