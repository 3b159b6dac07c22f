"""The one countdown class the pages share (issue 10 item 10): days left, overdue, and the caller's urgency."""

from __future__ import annotations

from datetime import date

import pytest

from zhifa.common.countdown import Countdown


@pytest.mark.parametrize(("due", "urgent_days", "left", "urgent", "overdue"), [
    (date(2026, 6, 10), 3, 9, False, False),
    (date(2026, 6, 4), 3, 3, True, False),
    (date(2026, 6, 4), 1, 3, False, False),
    (date(2026, 6, 2), 1, 1, True, False),
    (date(2026, 6, 1), 1, 0, True, False),
    (date(2026, 5, 30), 3, -2, False, True),
])
def test_countdown_until(due: date, urgent_days: int, left: int, urgent: bool, overdue: bool) -> None:
    c = Countdown.until(due, date(2026, 6, 1), urgent_days=urgent_days)
    assert (c.days_left, c.urgent, c.overdue) == (left, urgent, overdue)
    assert c.days_overdue == -left and c.deadline is None and c.day_kind_label == ""
