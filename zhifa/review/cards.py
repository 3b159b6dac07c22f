"""The review rounds card of the case page (and the queue's countdowns): presentation of review rows only.

It lives in the review domain, not in review's views, so that the case page (cases, above review) can draw it
without importing a view module (issue 10 point 5: no view calls another app's views).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import prefetch_related_objects

from zhifa.common.countdown import Countdown
from zhifa.review.models import CheckItem, ReviewRound, ReviewState

URGENT_DAYS = 1  # a review round's due date is shown urgent from the day before it
STATE_BADGES: dict[str, str] = {
    ReviewState.PENDING: "text-bg-secondary",
    ReviewState.IN_REVIEW: "text-bg-info",
    ReviewState.MATERIALS_REQUESTED: "text-bg-warning",
    ReviewState.PASSED: "text-bg-success",
    ReviewState.RETURNED: "text-bg-danger",
}


def round_countdown(rnd: ReviewRound, today: date) -> Countdown | None:
    """`rnd.due`: annotated from the case's review clock (`with_due`, ADR 0024)."""
    due: date | None = getattr(rnd, "due", None)
    if due is None or not rnd.is_open or rnd.state == ReviewState.MATERIALS_REQUESTED:
        return None  # no clock yet, decided, or paused while materials are completed (REV-6)
    return Countdown.until(due, today, urgent_days=URGENT_DAYS)


@dataclass
class RoundCard:
    round: ReviewRound
    badge: str
    countdown: Countdown | None
    checks: list[Any] = field(default_factory=list)  # CheckResult rows in checklist order
    document: Any = None  # its 法制审核意见书


def round_cards(rounds: Iterable[ReviewRound], today: date) -> list[RoundCard]:
    """The case page's review rounds (with `due` annotated) with their pauses, checklist results, coordinations
    and opinion document (the round's `opinion_document`, linked when it was issued)."""
    rounds = sorted(rounds, key=lambda r: r.number)
    prefetch_related_objects(rounds, "pauses", "checks", "coordinations__recorded_by", "assigned_to",
                             "extension_approved_by", "opinion_document")
    order = {item.value: i for i, item in enumerate(CheckItem)}
    return [RoundCard(rnd, STATE_BADGES.get(rnd.state, "text-bg-light"), round_countdown(rnd, today),
                      sorted(rnd.checks.all(), key=lambda c: order.get(c.item, 99)), rnd.opinion_document)
            for rnd in rounds]
