"""Backfill of the publication history (ADR 0045): the snapshot hash of every stored snapshot, and one ledger entry
per past publication, correction and withdrawal, so that the disclosure stream is complete from the upgrade on.

The entries are written now (their ledger time is the upgrade's) with `"backfill": true` and the original time as
`effective_at`, which the offline verifier uses for `--as-of`: what happened before the upgrade is the system's
account at the upgrade, signed from then on. The hash function is a copy of `zhifa.disclosure.history` as of this
migration (migrations do not import app code that may change later); the entries go through the ledger's one writer,
`ledger_append_many` (architecture rule 5), which only touches the ledger's own tables.
"""

import hashlib
import json
from datetime import UTC

from django.db import migrations

from zhifa.records.ledger import BlobRef, NewEntry, ledger_append_many

STREAM = "disclosure:public"
AGENCY = "agency"
_BATCH = 500


def _utc(value):
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _bytes(entry, agency_key):
    document = {"public_id": str(entry.public_id), "kind": entry.kind, "version": entry.version,
                "agency": agency_key, "title": entry.title, "body": entry.body,
                "published_at": _utc(entry.published_at)}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode()


def backfill(apps, schema_editor):
    PublicEntry = apps.get_model("disclosure", "PublicEntry")
    PublicationEvent = apps.get_model("disclosure", "PublicationEvent")
    LedgerEntry = apps.get_model("records", "LedgerEntry")
    rows = list(PublicEntry.objects.filter(events__isnull=True).select_related("agency").order_by("published_at", "pk"))
    if not rows:
        return
    # An agency's entries were public only once its subject information was (DISC-3): entries of an agency never
    # published get their hash but no history; the others count from the later of their own publication and the
    # agency's first; the current entries of an agency not public now are recorded as withdrawn with it.
    agency_rows = [e for e in PublicEntry.objects.filter(kind=AGENCY).order_by("published_at", "pk")]
    first_public = {}
    public_now = set()
    last_withdrawn = {}
    for row in agency_rows:
        first_public.setdefault(row.agency_id, row.published_at)
        if row.is_current:
            public_now.add(row.agency_id)
        if row.withdrawn_at is not None:
            last_withdrawn[row.agency_id] = max(row.withdrawn_at, last_withdrawn.get(row.agency_id, row.withdrawn_at))
    events = []  # (effective time, order, action, entry, size of bytes)
    by_source = {}
    for entry in rows:
        data = _bytes(entry, str(entry.agency.public_id))
        entry.snapshot_sha256 = hashlib.sha256(data).hexdigest()
        entry.save(update_fields=["snapshot_sha256"])
        if entry.agency_id not in first_public:
            continue
        since = entry.published_at if entry.kind == AGENCY else max(entry.published_at, first_public[entry.agency_id])
        earlier = by_source.get((entry.kind, entry.source_id))
        replaced = earlier is not None and (earlier.withdrawn_at is None or earlier.withdrawn_at > entry.published_at)
        by_source[(entry.kind, entry.source_id)] = entry
        events.append((since, 0, "correct" if replaced else "publish", entry, len(data)))
        if entry.withdrawn_at is not None:
            events.append((max(entry.withdrawn_at, since), 1, "withdraw", entry, len(data)))
        elif entry.is_current and entry.kind != AGENCY and entry.agency_id not in public_now:
            events.append((max(last_withdrawn.get(entry.agency_id, since), since), 1, "withdraw", entry, len(data)))
    events.sort(key=lambda e: (e[0], e[1], e[3].pk))
    prev = LedgerEntry.objects.filter(stream=STREAM).order_by("-seq").values_list("seq", flat=True).first()
    for start in range(0, len(events), _BATCH):
        batch = events[start : start + _BATCH]
        last = LedgerEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
        first_seq = 0 if last is None else last + 1  # the ledger is gapless: the batch gets first_seq, first_seq+1…
        new = []
        for i, (at, _order, action, entry, size) in enumerate(batch):
            new.append(NewEntry(
                kind=f"disclosure.{action}", stream=STREAM, agency_id=entry.agency_id, actor=None,
                payload={"action": action, "public_id": str(entry.public_id), "kind": entry.kind,
                         "version": entry.version, "agency": str(entry.agency.public_id),
                         "source": f"{entry.kind}:{entry.source_id}", "snapshot_sha256": entry.snapshot_sha256,
                         "prev": prev if i == 0 else first_seq + i - 1, "backfill": True,
                         "effective_at": _utc(at)},
                blobs=[BlobRef(sha256=entry.snapshot_sha256, size=size, content_type="application/json")],
            ))
        written = ledger_append_many(new)
        for row, (_at, _order, action, entry, _size) in zip(written, batch, strict=True):
            PublicationEvent.objects.create(entry=entry, action=action, seq=row.seq,
                                            snapshot_sha256=entry.snapshot_sha256, recorded_at=row.recorded_at)
        prev = written[-1].seq


class Migration(migrations.Migration):
    dependencies = [
        ("disclosure", "0005_publication_history"),
        ("records", "0008_archive_package_history_purpose"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
