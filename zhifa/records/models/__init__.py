"""Records: the ledger (RFC 6962 log, checkpoints) and the evidence store. See architecture rules 5 and 6."""

from zhifa.records.models.ledger import Checkpoint, LedgerEntry, LedgerHead, LedgerNode, RestoreEvent

__all__ = ["Checkpoint", "LedgerEntry", "LedgerHead", "LedgerNode", "RestoreEvent"]
