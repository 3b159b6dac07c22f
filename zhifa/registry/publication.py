"""Who reacts when a registry entry is published or withdrawn (architecture.md "Floors", ADR 0023).

The registry sits below the portal: it never imports `disclosure`. The portal registers its snapshot builder here
from `DisclosureConfig.ready()`, and the registry's publish and withdraw services call every registered listener
inside their own transaction, so a published entry and its public snapshot still commit or fail together.
"""

from __future__ import annotations

from typing import Protocol

from django.db.models import Model

from zhifa.accounts.models import User


class PublicationListener(Protocol):
    """Told about every publish and withdraw, inside the service's transaction (an exception rolls both back)."""

    def published(self, *, obj: Model, agency_id: int, version: int, actor: User) -> None: ...

    def withdrawn(self, *, obj: Model) -> None: ...


_listeners: list[PublicationListener] = []


def listen(listener: PublicationListener) -> None:
    """Register `listener` once (an app's `ready()` may run more than once in tests)."""
    if listener not in _listeners:
        _listeners.append(listener)


def notify_published(*, obj: Model, agency_id: int, version: int, actor: User) -> None:
    for listener in list(_listeners):
        listener.published(obj=obj, agency_id=agency_id, version=version, actor=actor)


def notify_withdrawn(*, obj: Model) -> None:
    for listener in list(_listeners):
        listener.withdrawn(obj=obj)
