"""Signed tree heads of the ledger (C2SP tlog-checkpoint), made on demand and by `zhifa checkpoint` on a timer."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from zhifa.records import ledger, signednote
from zhifa.records.models import Checkpoint


@lru_cache(maxsize=1)
def _signer(path: str, origin: str) -> signednote.Signer:
    return signednote.load_or_create_signer(Path(path), origin)


def log_signer() -> signednote.Signer:
    """The log's Ed25519 key, kept in a file outside the database (mode 0600), created on first use."""
    return _signer(str(settings.ZHIFA_LEDGER_KEY_FILE), settings.ZHIFA_LEDGER_ORIGIN)


def public_key() -> str:
    return log_signer().verifier_key()


def checkpoint_create() -> Checkpoint:
    """Sign the current tree head; return the stored checkpoint of that size (idempotent per size)."""
    size, root = ledger.tree_head()
    existing = Checkpoint.objects.filter(size=size).first()
    if existing is not None:
        return existing
    body = signednote.checkpoint_body(settings.ZHIFA_LEDGER_ORIGIN, size, root)
    note = signednote.sign_note(body, log_signer())
    try:
        with transaction.atomic():
            return Checkpoint.objects.create(size=size, root=root, note=note)
    except IntegrityError:  # another process signed the same size first
        return Checkpoint.objects.get(size=size)


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-size").first()
