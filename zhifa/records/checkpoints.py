"""Signed tree heads of the ledger (C2SP tlog-checkpoint), made on demand and by `zhifa checkpoint` on a timer."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from zhifa.records import ledger, signednote, sm
from zhifa.records.models import Checkpoint


@lru_cache(maxsize=1)
def _signer(path: str, origin: str) -> signednote.Signer:
    return signednote.load_or_create_signer(Path(path), origin)


def log_signer() -> signednote.Signer:
    """The log's Ed25519 key, kept in a file outside the database (mode 0600), created on first use."""
    return _signer(str(settings.ZHIFA_LEDGER_KEY_FILE), settings.ZHIFA_LEDGER_ORIGIN)


def public_key() -> str:
    return log_signer().verifier_key()


@lru_cache(maxsize=1)
def _sm2_key(path: str) -> sm.Sm2Key:
    return sm.load_or_create_key(Path(path))


def sm2_key() -> sm.Sm2Key:
    """The log's SM2 co-signing key (SM mode; ADR 0020), a PKCS#8 file beside the Ed25519 key, created on first use."""
    return _sm2_key(str(settings.ZHIFA_SM2_KEY_FILE))


def sm2_public_key() -> str:
    """The SM2 co-signing key as a vkey ("" outside SM mode)."""
    if not sm.sm_mode():
        return ""
    return signednote.sm2_vkey(settings.ZHIFA_LEDGER_ORIGIN, sm2_key().public)


def sign_checkpoint_body(body: str) -> str:
    """The signed note: Ed25519 (primary), then in SM mode the SM2 co-signature line."""
    note = signednote.sign_note(body, log_signer())
    if sm.sm_mode():
        note += signednote.sm2_signature_line(body, settings.ZHIFA_LEDGER_ORIGIN, sm2_key())
    return note


def checkpoint_create() -> Checkpoint:
    """Sign the current tree head; return the stored checkpoint of that size (idempotent per size)."""
    size, root = ledger.tree_head()
    existing = Checkpoint.objects.filter(size=size).first()
    if existing is not None:
        return existing
    body = signednote.checkpoint_body(settings.ZHIFA_LEDGER_ORIGIN, size, root)
    note = sign_checkpoint_body(body)
    try:
        with transaction.atomic():
            return Checkpoint.objects.create(size=size, root=root, note=note)
    except IntegrityError:  # another process signed the same size first
        return Checkpoint.objects.get(size=size)


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-size").first()
