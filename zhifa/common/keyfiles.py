"""Key files created once, whichever process gets there first (issue 10 item 8, ADR 0030).

Keys live in one configured location (ZHIFA_KEY_DIR; a shared mount when several app servers run). A key that does
not exist yet is created lazily by whichever process needs it first; two processes (two app servers, a server and a
worker) may race there. `create_once` writes the new key whole under a temporary name in the same folder (mode 0600,
fsync) and then hard-links it to its final name; `link` fails when the name exists, so exactly one key wins and
every process reads the winner. Nothing is ever written over an existing key file, and no reader can see a
half-written one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from zhifa.common.files import fsync_dir


def create_once(path: Path, make: Callable[[], bytes]) -> bool:
    """Create `path` (0600) with the bytes `make()` returns, unless it exists. True if this call created it;
    False if it existed or another process created it first (its content is then what counts)."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    content = make()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)  # mkstemp creates it with mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        fsync_dir(path.parent)
        return True
    finally:
        os.unlink(tmp)


def read_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The key file's bytes, created first with `make()` if missing (see `create_once`)."""
    create_once(path, make)
    return path.read_bytes()
