"""Writes of public snapshots. The registry's publication services call `SnapshotListener` inside their transaction;
`DisclosureConfig.ready()` registers it with `zhifa.registry.publication` (the registry never imports the portal,
ADR 0023)."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from zhifa.accounts.models import User
from zhifa.common.errors import ServiceError
from zhifa.common.tasks import enqueue_once_after_commit
from zhifa.disclosure import history
from zhifa.disclosure.history import history_published, history_taken_down, snapshot_sha256
from zhifa.disclosure.models import PortalGeneration, PublicationAction, PublicEntry, SearchTokens
from zhifa.disclosure.search import entry_tokens
from zhifa.disclosure.selectors import history_last_seq, history_package_current
from zhifa.disclosure.snapshots import KIND_BY_MODEL, build_snapshot
from zhifa.disclosure.tasks import search_index_rebuild
from zhifa.records.models import ArchivePackage, PackagePurpose
from zhifa.records.packages import archive_package_request


def portal_generation_bump() -> None:
    """Move the portal's page-cache generation (ADR 0036). Call it inside the transaction that changes the current
    snapshots: the change and the new generation then become visible together, to every process and server."""
    changed = PortalGeneration.objects.filter(pk=1).update(counter=F("counter") + 1, token=uuid.uuid4())
    if not changed:  # the row is made by the migration; only a hand-cleared table lacks it
        PortalGeneration.objects.create(pk=1, counter=1)


def public_entry_publish(*, obj: Model, agency_id: int, version: int, actor: User) -> PublicEntry:
    """Store a new current snapshot of `obj`; the previous version stays, no longer current. The publication
    history records it (`history_published`: a correction when it replaces a public version; ADR 0045)."""
    kind = KIND_BY_MODEL[type(obj)]
    snapshot = build_snapshot(obj)
    now = timezone.now()
    with transaction.atomic():
        portal_generation_bump()  # first: its row lock orders the disclosure stream's entries (ADR 0045)
        replaced = list(PublicEntry.objects.filter(kind=kind, source_id=obj.pk, is_current=True))
        PublicEntry.objects.filter(pk__in=[r.pk for r in replaced]).update(is_current=False)
        entry = PublicEntry(
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
        entry.snapshot_sha256 = snapshot_sha256(entry)
        entry.save(force_insert=True)
        SearchTokens.objects.create(entry=entry, tokens=entry_tokens(entry.title, entry.search_text))
        history_published(entry=entry, replaced=replaced)
    # Searchable at once from its stored tokens (the delta, ADR 0034); the task folds it into the stored base.
    enqueue_once_after_commit(search_index_rebuild)
    return entry


def public_entry_withdraw(*, obj: Model, reason: str = "") -> int:
    """Take the current snapshot of `obj` off the portal at once (it stays stored, marked withdrawn). `reason` is
    shown publicly for a withdrawn decision (DISC-23/24)."""
    return _take_down(obj, PublicationAction.WITHDRAW, reason=reason)


def public_entry_expire(*, obj: Model, reason: str = "") -> int:
    """The end of the current snapshot's publicity period (DISC-26…28): off the portal at once, like a withdrawal,
    and recorded in the publication history as an expiry (ADR 0045). For the publicity-period tick to call."""
    return _take_down(obj, PublicationAction.EXPIRE, reason=reason)


def _take_down(obj: Model, action: PublicationAction, *, reason: str = "") -> int:
    kind = KIND_BY_MODEL[type(obj)]
    now = timezone.now()
    with transaction.atomic():
        portal_generation_bump()  # first: its row lock orders the disclosure stream's entries (ADR 0045)
        current = list(PublicEntry.objects.select_related("agency").filter(kind=kind, source_id=obj.pk,
                                                                            is_current=True))
        count = PublicEntry.objects.filter(pk__in=[e.pk for e in current]).update(
            is_current=False, withdrawn_at=now, withdrawal_reason=reason)
        history_taken_down(entries=current, action=action)
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


def history_package_request() -> ArchivePackage:
    """The public's request for the publication history as an archive package (ADR 0045): a package being built,
    or a ready one that covers the stream's last entry, is reused; otherwise one is queued (one build per state of
    the stream, whoever asks and however often). Raises `NothingPublished` before the first publication."""
    if history_last_seq() is None:
        raise NothingPublished(_("尚无公示记录。"))
    with transaction.atomic():
        package = history_package_current()
        if package is None:
            package = archive_package_request(stream=history.STREAM, purpose=PackagePurpose.HISTORY,
                                              requested_by=None)
    return package


class NothingPublished(ServiceError):
    code = "not_found"
    status = 404
