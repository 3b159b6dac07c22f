"""Running legal deadlines of cases: one row each (rule, start, due, working or calendar days, state, history).

Actions start and meet them; `deadlines_tick` (run by `zhifa tick` from a timer) marks the missed ones and records
each mark in the case's ledger stream. Dates come from `workdays` (official calendar with make-up workdays).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from zhifa.cases.history import MISSED, case_event_record
from zhifa.cases.models import Case, Deadline, DeadlineState
from zhifa.records import ledger
from zhifa.workdays.calendar import Deadline as Due

if TYPE_CHECKING:
    from zhifa.accounts.models import User

OPEN = (DeadlineState.RUNNING, DeadlineState.SUSPENDED, DeadlineState.EXTENDED)


def _event(event: str, **extra: Any) -> dict[str, Any]:
    return {"at": timezone.now().isoformat(timespec="seconds"), "event": event,
            **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in extra.items()}}


def deadline_start(*, case: Case, code: str, rule: str, label: str, start: date, due: Due,
                   party_facing: bool = False) -> Deadline:
    """Open a deadline (an open one with the same code is closed as replaced first)."""
    for old in Deadline.objects.filter(case=case, code=code, state__in=OPEN):
        old.state = DeadlineState.MET
        old.closed_on = start
        old.history = [*old.history, _event("replaced")]
        old.save(update_fields=["state", "closed_on", "history"])
    return Deadline.objects.create(
        case=case, agency_id=case.agency_id, code=code, rule=rule, label=label, start=start, due=due.due,
        day_kind=str(due.day_kind), party_facing=party_facing, provisional=due.provisional, basis=due.basis,
        history=[_event("started", due=due.due)],
    )


def deadline_open(case: Case, code: str) -> Deadline | None:
    return Deadline.objects.filter(case=case, code=code, state__in=OPEN).first()


def deadline_meet(*, case: Case, code: str, on: date) -> Deadline | None:
    """Close a deadline as met on `on`; if `on` is after the due date it stays on record as missed."""
    row = deadline_open(case, code)
    if row is None:
        return None
    late = on > row.due
    row.state = DeadlineState.MISSED if late else DeadlineState.MET
    row.closed_on = on
    row.history = [*row.history, _event("met_late" if late else "met", on=on)]
    row.save(update_fields=["state", "closed_on", "history"])
    return row


def deadline_extend(*, case: Case, code: str, new_due: date, reason: str) -> Deadline | None:
    """Extend an open deadline, or reopen one already marked missed (an approved extension after the fact)."""
    row = Deadline.objects.filter(case=case, code=code).exclude(state=DeadlineState.MET).order_by("-id").first()
    if row is None:
        return None
    row.history = [*row.history, _event("extended", old_due=row.due, due=new_due, reason=reason)]
    row.due = new_due
    row.state = DeadlineState.EXTENDED
    row.save(update_fields=["due", "state", "history"])
    return row


def deadline_latest(case: Case, code: str) -> Deadline | None:
    """The newest row of `code` in any state (a missed one included)."""
    return Deadline.objects.filter(case=case, code=code).order_by("-id").first()


def deadline_suspend(*, case: Case, code: str, on: date, reason: str) -> Deadline | None:
    """Stop an open deadline's clock (CAL-14): a suspended deadline cannot be missed until it runs again."""
    row = Deadline.objects.filter(case=case, code=code,
                                  state__in=[DeadlineState.RUNNING, DeadlineState.EXTENDED]).first()
    if row is None:
        return None
    row.state = DeadlineState.SUSPENDED
    row.history = [*row.history, _event("suspended", on=on, reason=reason)]
    row.save(update_fields=["state", "history"])
    return row


def deadline_resume(*, case: Case, code: str, new_due: date, extended: bool = False) -> Deadline | None:
    """Run a suspended (or running) deadline again with its due date moved by the pause."""
    row = deadline_open(case, code)
    if row is None:
        return None
    row.state = DeadlineState.EXTENDED if extended else DeadlineState.RUNNING
    row.history = [*row.history, _event("resumed", due=new_due)]
    row.due = new_due
    row.save(update_fields=["state", "history", "due"])
    return row


def deadline_cancel(*, case: Case, codes: tuple[str, ...], on: date, reason: str) -> None:
    """Deadlines that no longer apply (e.g. the party waived the hearing request) end without a miss."""
    for row in Deadline.objects.filter(case=case, code__in=codes, state__in=OPEN):
        row.state = DeadlineState.MET
        row.closed_on = on
        row.history = [*row.history, _event("not_applicable", reason=reason)]
        row.save(update_fields=["state", "closed_on", "history"])


@dataclass
class TickResult:
    missed: int
    cases: int


def deadlines_tick(*, today: date, actor: User | None = None, batch: int = 500) -> TickResult:
    """Mark every open deadline whose due date has passed as missed (CAL-5: a deadline ends at 24:00 of its due
    date, so it is missed from the next day on), one ledger entry per deadline in its case's stream."""
    missed = 0
    cases: set[int] = set()
    while True:
        with transaction.atomic():
            # A suspended deadline's clock is stopped (CAL-14): it cannot be missed until it runs again.
            rows = list(Deadline.objects.select_for_update()
                        .filter(state__in=[DeadlineState.RUNNING, DeadlineState.EXTENDED], due__lt=today)
                        .select_related("case")[:batch])
            for row in rows:
                row.state = DeadlineState.MISSED
                row.history = [*row.history, _event("missed", on=today)]
                row.save(update_fields=["state", "history"])
                entry = ledger.ledger_append(
                    kind="case.deadline_missed", stream=row.case.stream, agency_id=row.agency_id, actor=actor,
                    payload={"case_id": str(row.case.public_id), "reference": row.case.reference, "deadline": row.code,
                             "rule": row.rule, "label": row.label, "due": row.due.isoformat(),
                             "marked_on": today.isoformat()},
                )
                case_event_record(case=row.case, entry=entry, action=MISSED, actor=actor, label=row.label)
                cases.add(row.case_id)
            missed += len(rows)
        if len(rows) < batch:
            return TickResult(missed=missed, cases=len(cases))
