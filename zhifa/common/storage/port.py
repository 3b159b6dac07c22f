"""The blob storage port itself (architecture.md "Ports"; ADR 0026, 0027, 0031, 0043): the interface every backend
implements, its errors and the helpers they share. The backends are `local` and `s3`; `zhifa.common.storage`
chooses one from the settings."""

from __future__ import annotations

import hashlib
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

READ_CHUNK = 1024 * 1024
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
UPLOAD_ID_RE = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
FILE_NAME_RE = re.compile(r"^[0-9A-Za-z_-]{1,80}(\.[a-z0-9]{1,8})?$")
PART_RE = re.compile(r"^(\d{16})-(\d{16})-([0-9a-f]{64})$")


class StorageError(Exception):
    """The store cannot be reached or refused an operation it should allow (not a missing blob)."""


class BlobConflict(StorageError):
    """A blob with this name exists but its content no longer hashes to the name: it is neither overwritten nor
    reused."""


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Part:
    """One stored piece of a resumable upload: bytes [start, end) with their SHA-256."""

    start: int
    end: int
    sha256: str

    @property
    def name(self) -> str:
        return f"{self.start:016d}-{self.end:016d}-{self.sha256}"


def check_name(sha256: str) -> str:
    if not SHA256_RE.match(sha256):
        raise ValueError("not a lowercase hex SHA-256")
    return sha256


def check_file_name(name: str) -> str:
    if not FILE_NAME_RE.match(name):
        raise ValueError("not a work file name")
    return name


def check_upload(upload: str) -> str:
    if not UPLOAD_ID_RE.match(upload):
        raise ValueError("not an upload id")
    return upload


def hash_file(path: Path) -> tuple[str, int]:
    with open(path, "rb") as f:
        return hash_stream(f)


def hash_stream(f: Readable, *extra: Any) -> tuple[str, int]:
    """SHA-256 and size of what `f` yields; each of `extra` (hashlib-like objects) is fed the same bytes."""
    digest = hashlib.sha256()
    size = 0
    while chunk := f.read(READ_CHUNK):
        digest.update(chunk)
        for other in extra:
            other.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class RangeReader:
    """At most `remaining` bytes of a seekable file, from its current position."""

    def __init__(self, f: BinaryIO, remaining: int | None) -> None:
        self._f = f
        self._remaining = remaining

    def read(self, size: int = -1, /) -> bytes:
        if self._remaining is None:
            return self._f.read(size)
        if self._remaining <= 0:
            return b""
        want = self._remaining if size is None or size < 0 else min(size, self._remaining)
        data = self._f.read(want)
        self._remaining -= len(data)
        return data

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> RangeReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BlobStorage(ABC):
    """Content-addressed, append-only blob storage plus the parts of resumable uploads."""

    kind = ""

    # --- blobs ---------------------------------------------------------------------------------------------------
    @abstractmethod
    def put(self, sha256: str, source: Path, size: int, *, link: bool = True) -> bool:
        """Store the complete file `source` (already hashed by the caller) under `sha256`. True if written now,
        False if an intact copy was there already; BlobConflict if a changed copy is there. `link`: the local
        backend may hard-link `source` (a staged temporary file) instead of copying it."""

    @abstractmethod
    def open(self, sha256: str, start: int = 0, end: int | None = None) -> Readable:
        """The blob's bytes [start, end) (end None: to the end). FileNotFoundError if it is not stored."""

    @abstractmethod
    def size(self, sha256: str) -> int | None:
        """The stored size, or None if there is no such blob."""

    def exists(self, sha256: str) -> bool:
        return self.size(sha256) is not None

    @abstractmethod
    def iterate(self) -> Iterator[tuple[str, str | None]]:
        """Every stored object as (where, sha256), sha256 None when the place is not a blob name."""

    @abstractmethod
    def location(self, sha256: str) -> str:
        """Where the blob lives, for messages to administrators."""

    def verify(self, sha256: str, size: int | None = None) -> bool:
        """True if the blob is stored and hashes to its name (and has `size`, if given)."""
        try:
            stored = self.size(sha256)
            if stored is None or (size is not None and stored != size):
                return False
            f = self.open(sha256)
        except FileNotFoundError:
            return False
        try:
            return hash_stream(f)[0] == sha256
        finally:
            f.close()

    def copy_to(self, sha256: str, dest: Path, *, link: bool = False) -> None:
        """Write the blob to the new file `dest` (fsynced). `link`: a hard link where the backend can (local)."""
        source = self.open(sha256)
        try:
            with open(dest, "xb") as out:
                while chunk := source.read(READ_CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        finally:
            source.close()

    # --- parts of resumable uploads (ADR 0027) --------------------------------------------------------------------
    @abstractmethod
    def part_put(self, upload: str, start: int, source: Path, *, hashed: tuple[str, int] | None = None) -> Part:
        """Store `source` as the part of `upload` that starts at `start`. Storing the same bytes again is a no-op.
        `hashed`: (SHA-256, size) the caller computed while writing `source`, so it is not read again."""

    @abstractmethod
    def parts(self, upload: str) -> list[Part]:
        """The stored parts of `upload`, by start."""

    @abstractmethod
    def part_open(self, upload: str, part: Part) -> Readable: ...

    @abstractmethod
    def parts_delete(self, upload: str) -> int:
        """Remove every part of `upload`; the number removed."""

    @abstractmethod
    def uploads(self) -> list[str]:
        """The ids of uploads that have parts stored (for the sweep)."""

    # --- shared work files (ADR 0031): built by one process, read by any app server, removable --------------------
    # Not evidence: no hash name, no lock, never walked by fixity or copied by backup (e.g. archive zips).
    @abstractmethod
    def file_put(self, name: str, source: Path) -> int:
        """Store `source` as the work file `name` (replacing one of that name); its size."""

    @abstractmethod
    def file_open(self, name: str) -> Readable:
        """The work file's bytes; FileNotFoundError if there is none."""

    @abstractmethod
    def file_size(self, name: str) -> int | None: ...

    @abstractmethod
    def file_delete(self, name: str) -> bool:
        """Remove the work file; False if there was none."""

    def parts_chain(self, upload: str, total: int) -> list[Part] | None:
        """The parts that make up bytes [0, total) in order, or None when they do not. A part a crashed request
        left behind at the same start is skipped when the chain through it does not reach `total`."""
        by_start: dict[int, list[Part]] = {}
        for part in self.parts(upload):
            by_start.setdefault(part.start, []).append(part)

        def walk(at: int) -> list[Part] | None:
            if at == total:
                return []
            for part in sorted(by_start.get(at, []), key=lambda p: -p.end):
                if part.end <= total:
                    rest = walk(part.end)
                    if rest is not None:
                        return [part, *rest]
            return None

        return walk(0)

    def assemble(self, upload: str, chain: list[Part], target: BinaryIO, *whole: Any) -> None:
        """Copy the parts of `chain` into `target` in order, checking each part's hash; `whole` hashers (hashlib-like)
        see every byte, so the caller need not read the joined file again."""
        # The part's own hash runs in a second thread, beside the whole file's hashes and the write (hashlib and
        # file writes release the GIL for large buffers), so two cores share the finish.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="assemble") as side:
            for part in chain:
                f = self.part_open(upload, part)
                digest = hashlib.sha256()
                pending: Future[None] | None = None
                try:
                    while chunk := f.read(READ_CHUNK):
                        if pending is not None:
                            pending.result()
                        pending = side.submit(digest.update, chunk)
                        for hasher in whole:
                            hasher.update(chunk)
                        target.write(chunk)
                    if pending is not None:
                        pending.result()
                finally:
                    f.close()
                if digest.hexdigest() != part.sha256:
                    raise StorageError(f"part {part.name} of upload {upload} does not match its hash")
