"""Signed tree heads of the ledger (C2SP tlog-checkpoint), made on demand and by `zhifa checkpoint` on a timer."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from zhifa.records import ledger, signednote, sm
from zhifa.records.models import Checkpoint

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _signer(path: str, origin: str) -> signednote.Signer:
    return signednote.load_or_create_signer(Path(path), origin)


@lru_cache(maxsize=1)
def _fd_signer(fd: int, origin: str) -> signednote.Signer:
    """The key read once from an inherited file descriptor (ADR 0017), which is then closed."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    chunks = []
    if _seekable(fd):
        os.lseek(fd, 0, os.SEEK_SET)
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    key = serialization.load_pem_private_key(b"".join(chunks), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise signednote.NoteError(f"file descriptor {fd} does not hold an Ed25519 private key")
    return signednote.Signer(origin, key)


def _seekable(fd: int) -> bool:
    try:
        os.lseek(fd, 0, os.SEEK_CUR)
    except OSError:
        return False
    return True


def log_signer() -> signednote.Signer:
    """The log's Ed25519 key, kept outside the database: a file (mode 0600, created on first use) or, with
    ZHIFA_LEDGER_KEY_FD, a file descriptor the supervisor passed in (ADR 0017)."""
    fd = settings.ZHIFA_LEDGER_KEY_FD
    if fd is not None:
        return _fd_signer(int(fd), settings.ZHIFA_LEDGER_ORIGIN)
    return _signer(str(settings.ZHIFA_LEDGER_KEY_FILE), settings.ZHIFA_LEDGER_ORIGIN)


def export_checkpoint(checkpoint: Checkpoint) -> Path | None:
    """Copy a signed checkpoint to ZHIFA_CHECKPOINT_EXPORT_DIR (meant to be off the box; ADR 0017) as
    `<origin-slug>-<size>.txt`, written whole (temporary file, fsync, rename). None when no folder is configured.
    A copy that already exists is left alone (one checkpoint per size)."""
    folder = str(settings.ZHIFA_CHECKPOINT_EXPORT_DIR or "")
    if not folder:
        return None
    from zhifa.records.witness import write_atomic

    target = Path(folder) / f"checkpoint-{checkpoint.size:012d}.txt"
    try:
        if not target.exists():
            write_atomic(target, checkpoint.note.encode(), 0o644)
    except OSError as exc:  # an unmounted share must not stop signing; it is logged loudly and checked at start-up
        logger.error("检查点 %s 无法写入外送目录 %s：%s", checkpoint.size, folder, exc)
        return None
    return target


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
        export_checkpoint(existing)
        return existing
    body = signednote.checkpoint_body(settings.ZHIFA_LEDGER_ORIGIN, size, root)
    note = sign_checkpoint_body(body)
    try:
        with transaction.atomic():
            checkpoint = Checkpoint.objects.create(size=size, root=root, note=note)
    except IntegrityError:  # another process signed the same size first
        checkpoint = Checkpoint.objects.get(size=size)
    export_checkpoint(checkpoint)
    return checkpoint


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-size").first()
