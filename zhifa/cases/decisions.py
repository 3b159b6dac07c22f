"""Who reacts when a case reaches an enforcement decision (issue 12, ADR 0044; DISC-9/10).

The case engine sits below the portal: it never imports `disclosure`. `DisclosureConfig.ready()` registers its
listener here, and `case_act` calls every listener inside its transaction after an action marked as a decision
(`Action.decision`), so a decision and its publication draft commit or fail together (the ADR 0023 pattern).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from zhifa.accounts.models import User
    from zhifa.cases.models import Case
    from zhifa.documents.models import Document

#: `Action.decision` values: which publication period applies (DISC-9: penalty and licensing; DISC-10: others).
PENALTY = "penalty"
LICENSING = "licensing"
OTHER = "other"


@dataclass(frozen=True)
class Decided:
    """What a listener is told: the case as saved, the action, the decision date and the documents just issued."""

    case: Case
    action: str
    category: str  # PENALTY, LICENSING or OTHER
    on: date
    documents: tuple[Document, ...]
    actor: User


class DecisionListener(Protocol):
    def decided(self, event: Decided) -> None: ...


_listeners: list[DecisionListener] = []


def listen(listener: DecisionListener) -> None:
    """Register `listener` once (an app's `ready()` may run more than once in tests)."""
    if listener not in _listeners:
        _listeners.append(listener)


def notify_decided(event: Decided) -> None:
    for listener in list(_listeners):
        listener.decided(event)
