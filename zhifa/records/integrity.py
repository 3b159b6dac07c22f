"""Stored files checked before they are served (issue 9 defect 5, reliability.md FC-8, ADR 0017).

`read_problem(sha256, size)` is called by every evidence and document download before one byte leaves: a file
flagged by fixity is refused; otherwise its size is checked and, up to ZHIFA_VERIFY_ON_READ_MAX_BYTES (20 MB by
default: documents, photos, short recordings), its SHA-256 is recomputed. A file found changed or missing is flagged
(`BlobFlag`), its evidence rows marked and the change recorded in the ledger, exactly as `zhifa fixity` would.
Larger files rely on the scheduled fixity run (`zhifa run` runs it daily).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from zhifa.records import ledger
from zhifa.records.blobstore import BlobStore, default_store
from zhifa.records.models import BlobFlag, Evidence, IntegrityStatus

logger = logging.getLogger(__name__)

INTEGRITY_KIND = "evidence.integrity"


def verify_limit() -> int:
    return int(settings.ZHIFA_VERIFY_ON_READ_MAX_BYTES)


def read_problem(sha256: str, size: int, *, store: BlobStore | None = None) -> str | None:
    """None if the file may be served; otherwise its integrity status ("changed" or "missing")."""
    flag = BlobFlag.objects.filter(sha256=sha256).values_list("status", flat=True).first()
    if flag is not None:
        return str(flag)
    store = store or default_store()
    on_disk = store.size_on_disk(sha256)
    if on_disk is None:
        status = IntegrityStatus.MISSING
    elif on_disk != size or (size <= verify_limit() and not store.verify(sha256, size)):
        status = IntegrityStatus.CHANGED
    else:
        return None
    flag_blob(sha256, status, found_by="read")
    return str(status)


def is_servable(evidence: Evidence) -> bool:
    """Serve only evidence whose blob fixity says is intact, that is not flagged, and whose file is there with the
    recorded size and — up to ZHIFA_VERIFY_ON_READ_MAX_BYTES — the recorded hash, checked now (defect 5)."""
    return evidence.integrity_ok and read_problem(evidence.sha256, evidence.size) is None


def flag_blob(sha256: str, status: str, *, found_by: str) -> None:
    """Flag a file and every evidence row that holds it; each evidence status change is a ledger entry. If the
    ledger refuses writes the flag is not stored, but the caller still refuses the file."""
    now = timezone.now()
    try:
        with transaction.atomic():
            BlobFlag.objects.update_or_create(sha256=sha256, defaults={"status": status, "found_by": found_by,
                                                                       "flagged_at": now})
            mark_evidence(sha256, status, at=now)
    except (ledger.LedgerError, DatabaseError) as exc:
        logger.error("文件 %s 完整性受损（%s），但无法登记：%s", sha256, status, exc)
        return
    logger.error("文件 %s 完整性受损：%s（%s 发现）", sha256, status, found_by)


def mark_evidence(sha256: str, status: str, *, at: object) -> list[tuple[str, str, str]]:
    """Set the integrity status of the evidence rows of one blob; one ledger entry per change."""
    changes = []
    for evidence in Evidence.objects.filter(blob_id=sha256).exclude(integrity_status=status).order_by("pk"):
        Evidence.objects.filter(pk=evidence.pk).update(integrity_status=status, integrity_checked_at=at)
        ledger.ledger_append(
            kind=INTEGRITY_KIND, stream=evidence.stream, agency_id=evidence.agency_id, actor=None,
            payload={"evidence_id": str(evidence.public_id), "sha256": sha256, "from": evidence.integrity_status,
                     "to": str(status)},
            at=at,  # type: ignore[arg-type]
        )
        changes.append((str(evidence.public_id), evidence.integrity_status, str(status)))
    return changes


def sync_flags(bad: dict[str, str], *, found_by: str = "fixity") -> None:
    """After a full fixity pass: flag every bad file, and lift the flag of files that verify again."""
    now = timezone.now()
    for sha256, status in bad.items():
        BlobFlag.objects.update_or_create(sha256=sha256, defaults={"status": status, "found_by": found_by,
                                                                   "flagged_at": now})
    BlobFlag.objects.exclude(sha256__in=list(bad)).delete()
