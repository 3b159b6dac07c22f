"""Records: the ledger (RFC 6962 log, checkpoints) and the evidence store. See architecture rules 5 and 6."""

from zhifa.records.models.archive import ArchivePackage, PackagePurpose, PackageStatus
from zhifa.records.models.evidence import Blob, BlobFlag, BlobSm3, Evidence, IntegrityStatus, UploadSession, UploadState
from zhifa.records.models.ledger import Checkpoint, LedgerEntry, LedgerHead, LedgerNode, RestoreEvent
from zhifa.records.models.personal import PersonalRecord

__all__ = [
    "ArchivePackage", "PackagePurpose", "PackageStatus",
    "BlobFlag", "BlobSm3",
    "Blob", "Checkpoint", "Evidence", "IntegrityStatus", "LedgerEntry", "LedgerHead", "LedgerNode", "PersonalRecord",
    "RestoreEvent",
    "UploadSession", "UploadState",
]
