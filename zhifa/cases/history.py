"""The case's history table (`CaseEvent`, ADR 0029): written beside each ledger entry the cases app appends to a
case's stream, in the same transaction, so that pages and other apps read a case's history from a table and never
from entry payloads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from zhifa.cases.models import Case, CaseEvent
from zhifa.records.models import LedgerEntry

# Facts an action reports about itself (`Ctx.payload`) that the history keeps beside the states.
EXTRA_KEYS = ("new_case", "source_case", "published", "changed", "correction", "review_round")
MISSED = "deadline_missed"


def actor_name(actor: Any) -> str:
    """The name the ledger's actor snapshot records (`records.ledger.actor_snapshot`)."""
    if actor is None:
        return ""
    return str(getattr(actor, "full_name", "") or actor.username)


def case_event_record(*, case: Case, entry: LedgerEntry, action: str, actor: Any, label: str = "",
                      from_state: str = "", to_state: str = "", documents: Iterable[Any] = (),
                      payload: Mapping[str, Any] | None = None) -> CaseEvent:
    """One history row for `entry` (call inside the transaction that appended it)."""
    extra = {k: payload[k] for k in EXTRA_KEYS if payload and k in payload}
    event = CaseEvent.objects.create(
        case=case, agency_id=case.agency_id, ledger_entry=entry, action=action, label=label[:100],
        from_state=from_state or "", to_state=to_state or "", actor=actor, actor_name=actor_name(actor)[:150],
        at=entry.recorded_at, extra=extra,
    )
    docs = list(documents)
    if docs:
        event.documents.add(*docs)
    return event
