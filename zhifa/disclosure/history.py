"""The provable publication history (ADR 0045; DISC-24, DISC-25, REC-9).

Every publish, correction, withdrawal and expiry of a public snapshot appends one entry to the ledger's disclosure
stream (`verify_history.STREAM`), in the transaction that changes the snapshot. The entry carries the snapshot's
identity and the SHA-256 of its canonical JSON bytes (`snapshot_bytes`), never the snapshot's text, and refers to
those bytes as a content-addressed file: the archive package of the stream carries the bytes (from the stored
snapshot rows, through the blob source registered in `DisclosureConfig.ready`), and the offline verifier checks each
against its hash. The entry is appended without an actor: the publishing officer's login name is not public; who
published is kept on the snapshot row (`published_by`).

The history records what the public could see, which is not always what was stored: an agency's entries are public
only while the agency's own subject information (AGENCY snapshot) is (DISC-3, `selectors._public`). A snapshot of an
agency that is not public gets its hash but no history entry; when the agency's snapshot is published, each of its
current entries is recorded as published then, and when the agency's snapshot is withdrawn, each is recorded as
withdrawn with it. So neither the proof endpoint nor the history package ever shows a snapshot that was not public.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from zhifa.disclosure.models import EntryKind, PublicationAction, PublicationEvent, PublicEntry
from zhifa.records import verify_history
from zhifa.records.ledger import BlobRef, ledger_append
from zhifa.records.models import LedgerEntry

STREAM = verify_history.STREAM


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def snapshot_document(entry: Any) -> dict[str, Any]:
    """What a published version says, as one JSON object: its identity, agency, title, body and publication time.
    Works on a historical model of a migration as well (attributes only)."""
    return {
        "public_id": str(entry.public_id),
        "kind": entry.kind,
        "version": entry.version,
        "agency": str(entry.agency.public_id),
        "title": entry.title,
        "body": entry.body,
        "published_at": _utc(entry.published_at),
    }


def canonical_json(document: Any) -> bytes:
    """The ledger's canonical JSON (sorted keys, no white space, UTF-8)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode()


def snapshot_bytes(entry: Any) -> bytes:
    return canonical_json(snapshot_document(entry))


def snapshot_sha256(entry: Any) -> str:
    return hashlib.sha256(snapshot_bytes(entry)).hexdigest()


def history_payload(entry: Any, action: str, sha: str, prev: int | None) -> dict[str, Any]:
    return {
        "action": action,
        "public_id": str(entry.public_id),
        "kind": entry.kind,
        "version": entry.version,
        "agency": str(entry.agency.public_id),
        "source": f"{entry.kind}:{entry.source_id}",
        "snapshot_sha256": sha,
        "prev": prev,
    }


def history_record(*, entry: PublicEntry, action: str, at: datetime | None = None) -> PublicationEvent:
    """Append the disclosure entry of `action` on `entry` in the caller's transaction, and its `PublicationEvent`.
    Callers hold the portal generation's row (`portal_generation_bump`), which orders disclosure writes, so `prev`
    is the stream's last entry."""
    data = snapshot_bytes(entry)
    sha = hashlib.sha256(data).hexdigest()
    prev = LedgerEntry.objects.filter(stream=STREAM).order_by("-seq").values_list("seq", flat=True).first()
    row = ledger_append(
        kind=f"{verify_history.KIND_PREFIX}{action}", stream=STREAM, agency_id=entry.agency_id, actor=None,
        payload=history_payload(entry, action, sha, prev),
        blobs=[BlobRef(sha256=sha, size=len(data), content_type=verify_history.SNAPSHOT_CONTENT_TYPE)], at=at,
    )
    return PublicationEvent.objects.create(entry=entry, action=PublicationAction(action), seq=row.seq,
                                           snapshot_sha256=sha, recorded_at=row.recorded_at)


def _open(entry: PublicEntry) -> bool:
    """Whether the history shows `entry` as public now (its last history entry publishes or corrects it)."""
    last = PublicationEvent.objects.filter(entry=entry).order_by("-seq").values_list("action", flat=True).first()
    return last in (PublicationAction.PUBLISH, PublicationAction.CORRECT)


def _agency_public(agency_id: int) -> bool:
    return PublicEntry.objects.filter(kind=EntryKind.AGENCY, agency_id=agency_id, is_current=True).exists()


def _agency_entries(agency_id: int) -> list[PublicEntry]:
    return list(PublicEntry.objects.select_related("agency").filter(agency_id=agency_id, is_current=True)
                .exclude(kind=EntryKind.AGENCY).order_by("pk"))


def history_published(*, entry: PublicEntry, replaced: list[PublicEntry]) -> None:
    """`entry` has just become the current version, replacing `replaced` (call inside the publishing transaction,
    after the rows are written). Recorded as a correction if the version it replaces was public, else as a
    publication; nothing while its agency is not public. Publishing an agency's snapshot makes its current entries
    public too: each is recorded."""
    was_public = any(_open(r) for r in replaced)
    if entry.kind == EntryKind.AGENCY:
        history_record(entry=entry, action=PublicationAction.CORRECT if was_public else PublicationAction.PUBLISH)
        if not was_public:
            for other in _agency_entries(entry.agency_id):
                if not _open(other):
                    history_record(entry=other, action=PublicationAction.PUBLISH)
        return
    if _agency_public(entry.agency_id):
        history_record(entry=entry, action=PublicationAction.CORRECT if was_public else PublicationAction.PUBLISH)


def history_taken_down(*, entries: list[PublicEntry], action: PublicationAction) -> None:
    """`entries` have just been taken off the portal (withdrawn or expired; inside that transaction). Only what the
    history shows as public is recorded; an agency's snapshot taken down takes its public entries with it."""
    for entry in entries:
        if _open(entry):
            history_record(entry=entry, action=action)
        if entry.kind == EntryKind.AGENCY:
            for other in _agency_entries(entry.agency_id):
                if _open(other):
                    history_record(entry=other, action=PublicationAction.WITHDRAW)


def snapshot_source(sha: str) -> bytes | None:
    """The canonical bytes of the stored snapshot recorded under `sha` (the archive's blob source). The bytes are
    rebuilt from the row as it is now: a row changed behind the services no longer hashes to `sha`, and the export
    and the verifier say so."""
    if not _is_sha256(sha):
        return None
    entry = PublicEntry.objects.select_related("agency").filter(snapshot_sha256=sha).order_by("pk").first()
    return snapshot_bytes(entry) if entry is not None else None


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)
