"""The provable publication history (ADR 0045; DISC-24, DISC-25, REC-9).

Every publish, correction, withdrawal and expiry of a public snapshot appends one entry to the ledger's disclosure
stream (`verify_history.STREAM`), in the transaction that changes the snapshot. The entry carries the snapshot's
identity and the SHA-256 of its canonical JSON bytes (`snapshot_bytes`), never the snapshot's text, and refers to
those bytes as a content-addressed file: the archive package of the stream carries the bytes (from the stored
snapshot rows, through the blob source registered in `DisclosureConfig.ready`), and the offline verifier checks each
against its hash. The entry is appended without an actor: the publishing officer's login name is not public; who
published is kept on the snapshot row (`published_by`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from zhifa.disclosure.models import PublicationAction, PublicationEvent, PublicEntry
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


def snapshot_source(sha: str) -> bytes | None:
    """The canonical bytes of the stored snapshot recorded under `sha` (the archive's blob source). The bytes are
    rebuilt from the row as it is now: a row changed behind the services no longer hashes to `sha`, and the export
    and the verifier say so."""
    if not verify_history_sha(sha):
        return None
    entry = PublicEntry.objects.select_related("agency").filter(snapshot_sha256=sha).order_by("pk").first()
    return snapshot_bytes(entry) if entry is not None else None


def verify_history_sha(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)
