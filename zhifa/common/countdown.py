"""A countdown to a due date as the pages show it (template `cases/_countdown.html`).

One class for every clock a page shows: a case's legal deadlines (urgent within 3 days) and a review round's due
date (urgent within 1 day). It knows only days; the deadline row it counts down to, if any, is the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass
class Countdown:
    """Days left to a due date (negative when overdue); urgent from `urgent_days` days before it to the day itself.

    `deadline` is the row counted down to (a case's `Deadline`; none for a review round's due date) and
    `day_kind_label` how its days are counted (工作日 / 自然日), both for the pages that show them."""

    days_left: int
    urgent_days: int
    deadline: Any = None
    day_kind_label: str = ""

    @classmethod
    def until(cls, due: date, today: date, *, urgent_days: int, deadline: Any = None,
              day_kind_label: str = "") -> Countdown:
        """The countdown to `due` seen on `today`, in calendar days."""
        return cls((due - today).days, urgent_days, deadline, day_kind_label)

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def days_overdue(self) -> int:
        return -self.days_left

    @property
    def urgent(self) -> bool:
        return 0 <= self.days_left <= self.urgent_days
