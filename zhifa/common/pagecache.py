"""What the process-local page caches share (the portal's, ADR 0036, and the case page's, ADR 0042): a cache key
made from the values that decide a page's content, hashed so that its length and characters suit any backend."""

from __future__ import annotations

import hashlib
from typing import Any


def hashed_key(prefix: str, parts: tuple[Any, ...]) -> str:
    """`prefix:` + the SHA-256 of the parts' repr (parts are plain values: str, int, tuples, lists of them)."""
    return f"{prefix}:" + hashlib.sha256(repr(parts).encode()).hexdigest()
