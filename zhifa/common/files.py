"""Durable writes to local folders, shared by the storage port, key files, backups and the witness state.

A new name is durable only once its folder is synced; a file appears under its final name only when complete
(written to a temporary name in the same folder, fsynced, then linked or renamed into place).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from pathlib import Path

READ_CHUNK = 1024 * 1024


def fsync_dir(path: Path) -> None:
    """Make a new directory entry durable (a rename or link is only on disk once its directory is synced)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_copy(source: Path, folder: Path, *, prefix: str = ".incoming-") -> Path:
    """A fsynced copy of `source` under a temporary name in `folder` (the caller links or renames it into place,
    then removes the temporary name)."""
    fd, name = tempfile.mkstemp(prefix=prefix, dir=folder)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, READ_CHUNK)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def create_locked_temp(folder: Path, *, prefix: str) -> tuple[int, str]:
    """A new temporary file holding an exclusive flock for as long as its descriptor is open. The lock tells the
    sweep (`uploads.upload_sweep`) that a live process owns the file; the kernel drops it when that process dies,
    even by SIGKILL. A file swept between creation and locking has no link left: make another."""
    for _attempt in range(5):
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_nlink:
            return fd, name
        os.close(fd)
    raise OSError("temporary upload files keep disappearing")  # pragma: no cover
