"""Writes of public snapshots. The registry's publication services call `SnapshotListener` inside their transaction;
`DisclosureConfig.ready()` registers it with `zhifa.registry.publication` (the registry never imports the portal,
ADR 0023)."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone

from zhifa.accounts.models import User
from zhifa.common.tasks import enqueue_once_after_commit
from zhifa.disclosure.models import PortalGeneration, PublicEntry, SearchTokens
from zhifa.disclosure.search import entry_tokens
from zhifa.disclosure.snapshots import KIND_BY_MODEL, build_snapshot
from zhifa.disclosure.tasks import search_index_rebuild


def portal_generation_bump() -> None:
    """Move the portal's page-cache generation (ADR 0036). Call it inside the transaction that changes the current
    snapshots: the change and the new generation then become visible together, to every process and server."""
    changed = PortalGeneration.objects.filter(pk=1).update(counter=F("counter") + 1, token=uuid.uuid4())
    if not changed:  # the row is made by the migration; only a hand-cleared table lacks it
        PortalGeneration.objects.create(pk=1, counter=1)


def public_entry_publish(*, obj: Model, agency_id: int, version: int, actor: User) -> PublicEntry:
    """Store a new current snapshot of `obj`; the previous version stays, no longer current."""
    kind = KIND_BY_MODEL[type(obj)]
    snapshot = build_snapshot(obj)
    now = timezone.now()
    with transaction.atomic():
        PublicEntry.objects.filter(kind=kind, source_id=obj.pk, is_current=True).update(is_current=False)
        entry = PublicEntry.objects.create(
            kind=kind,
            agency_id=agency_id,
            source_id=obj.pk,
            version=version,
            title=snapshot.title[:200],
            body=snapshot.body,
            search_text=snapshot.search_text,
            published_at=now,
            published_by=actor,
        )
        SearchTokens.objects.create(entry=entry, tokens=entry_tokens(entry.title, entry.search_text))
        portal_generation_bump()
    # Searchable at once from its stored tokens (the delta, ADR 0034); the task folds it into the stored base.
    enqueue_once_after_commit(search_index_rebuild)
    return entry


def public_entry_withdraw(*, obj: Model, reason: str = "") -> int:
    """Take the current snapshot of `obj` off the portal at once (it stays stored, marked withdrawn). `reason` is
    shown publicly for a withdrawn decision (DISC-23/24)."""
    kind = KIND_BY_MODEL[type(obj)]
    with transaction.atomic():
        count = PublicEntry.objects.filter(kind=kind, source_id=obj.pk, is_current=True).update(
            is_current=False, withdrawn_at=timezone.now(), withdrawal_reason=reason
        )
        portal_generation_bump()
    # Search reads its hits back through current snapshots only, so the entry is gone from results at once
    # (ADR 0034); the rebuilt base merely stops spending candidate places on it.
    enqueue_once_after_commit(search_index_rebuild)
    return count


class SnapshotListener:
    """Keeps the portal's snapshots in step with the registry's publish and withdraw services."""

    def published(self, *, obj: Model, agency_id: int, version: int, actor: User) -> None:
        public_entry_publish(obj=obj, agency_id=agency_id, version=version, actor=actor)

    def withdrawn(self, *, obj: Model) -> None:
        public_entry_withdraw(obj=obj)


SNAPSHOTS = SnapshotListener()
