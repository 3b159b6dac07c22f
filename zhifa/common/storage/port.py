"""The blob storage port itself (architecture.md "Ports"; ADR 0026, 0027, 0031, 0043): the interface every backend
implements, its errors and the helpers they share. The backends are `local` and `s3`; `zhifa.common.storage`
chooses one from the settings."""

from __future__ import annotations

import hashlib
import os
import re
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from zhifa.common.files import create_locked_temp

READ_CHUNK = 1024 * 1024
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
UPLOAD_ID_RE = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
FILE_NAME_RE = re.compile(r"^[0-9A-Za-z_-]{1,80}(\.[a-z0-9]{1,8})?$")
PART_RE = re.compile(r"^(\d{16})-(\d{16})-([0-9a-f]{64})$")


class StorageError(Exception):
    """The store cannot be reached or refused an operation it should allow (not a missing blob)."""


class PartsDamaged(StorageError):
    """Acknowledged bytes of a resumable upload no longer match their recorded hash (or are missing): the upload
    cannot be finished and must start again."""


class BlobConflict(StorageError):
    """A blob with this name exists but its content no longer hashes to the name: it is neither overwritten nor
    reused."""


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Part:
    """One stored piece of a resumable upload: bytes [start, end) with their SHA-256 (S3, ADR 0027), or with their
    CRC-32 (the local backend, ADR 0043, whose parts are ranges of one file: the CRC guards the acknowledged bytes
    against accidental change until the finish, which computes the file's SHA-256 from the bytes themselves)."""

    start: int
    end: int
    sha256: str = ""
    crc32: str = ""

    @property
    def name(self) -> str:
        if self.crc32:
            return f"{self.start:016d}-{self.end:016d}-crc32-{self.crc32}"
        return f"{self.start:016d}-{self.end:016d}-{self.sha256}"

    def checker(self) -> Any:
        """A new hashlib-like object whose hexdigest() must equal this part's recorded hash over its bytes."""
        return Crc32() if self.crc32 else hashlib.sha256()

    @property
    def recorded(self) -> str:
        return self.crc32 or self.sha256


class Crc32:
    """zlib's CRC-32 with hashlib's update/hexdigest (it releases the GIL for large buffers too)."""

    name = "crc32"

    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes) -> None:
        self.value = zlib.crc32(data, self.value)

    def hexdigest(self) -> str:
        return f"{self.value:08x}"


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


class SideHasher:
    """Feeds buffers to hashlib objects in a second thread while the caller writes them (hashlib and file writes
    release the GIL for large buffers, so two cores share the work). At most one buffer is in flight."""

    def __init__(self, *hashers: Any) -> None:
        self.hashers = hashers
        self._side = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hash")
        self._pending: Future[None] | None = None

    def _update(self, data: bytes) -> None:
        for hasher in self.hashers:
            hasher.update(data)

    def update(self, data: bytes) -> None:
        self.wait()
        self._pending = self._side.submit(self._update, data)

    def wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._side.shutdown(wait=True)


class PartWriter(ABC):
    """One chunk of a resumable upload on its way into the store (`BlobStorage.part_writer`, ADR 0043): `write`
    the bytes in order, then `commit()` what was written (durable when it returns), and always `close()` (it is a
    context manager). The bytes are hashed while they are written; the part is named by that hash."""

    def __init__(self, upload: str, start: int) -> None:
        self.upload = check_upload(upload)
        self.start = start
        self.written = 0
        self._digest: Any = None
        self._hasher: SideHasher | None = None

    def _begin(self) -> Any:
        """The hash object the chunk's bytes go to (its digest names the part); called before the first write."""
        return hashlib.sha256()

    @abstractmethod
    def _write_at(self, data: bytes, position: int) -> None:
        """Write all of `data` at `position` (from the chunk's start) or raise."""

    @abstractmethod
    def _store(self, part: Part) -> None:
        """Make the written bytes durable and the part visible to `parts()`."""

    def write(self, data: bytes) -> None:
        if self._hasher is None:
            self._digest = self._begin()
            self._hasher = SideHasher(self._digest)
        self._write_at(data, self.written)
        self._hasher.update(data)  # only bytes that were written count (a failed write raised above)
        self.written += len(data)

    def commit(self) -> Part | None:
        """Store what was written as one part (None if nothing was). A chunk cut short stores what arrived."""
        if not self.written or self._hasher is None:
            return None
        self._hasher.wait()
        part = self._part(self._digest.hexdigest())
        self._store(part)
        return part

    def _part(self, digest: str) -> Part:
        return Part(self.start, self.start + self.written, digest)

    def acknowledge(self) -> None:
        """The caller recorded the committed part as received (the upload's offset advanced in the database): a
        backend may keep state for the next chunk from here (local: the running SHA-256). Nothing by default."""
        return

    def close(self) -> None:
        if self._hasher is not None:
            self._hasher.close()

    def __enter__(self) -> PartWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TempPartWriter(PartWriter):
    """The default: the chunk goes to a temporary file of this request (locked against the sweep), then into the
    backend as one part with `part_put` (ADR 0027; the S3 backend)."""

    def __init__(self, backend: BlobStorage, upload: str, start: int, tmp_dir: Path) -> None:
        super().__init__(upload, start)
        self.backend = backend
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = create_locked_temp(tmp_dir, prefix="chunk-")
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")

    def _write_at(self, data: bytes, position: int) -> None:
        self._file.write(data)

    def _store(self, part: Part) -> None:
        self._file.truncate(self.written)  # exactly the bytes hashed, even after a failed write
        self._file.flush()
        os.fsync(self._file.fileno())
        self.backend.part_put(self.upload, self.start, self.path, hashed=(part.sha256, self.written))

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._file.close()
            self.path.unlink(missing_ok=True)


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

    def part_writer(self, upload: str, start: int, tmp_dir: Path) -> PartWriter:
        """A writer for the chunk of `upload` that starts at `start` (ADR 0043). The caller checks, after opening
        it, that `start` is still where the upload's acknowledged bytes end: a backend that serialises the chunks
        of one upload (local) does so from here until the writer is closed. `tmp_dir`: a local folder for the
        backends that receive a chunk into a temporary file first (S3)."""
        return TempPartWriter(self, upload, start, tmp_dir)

    @contextmanager
    def parts_file(self, upload: str, chain: list[Part], tmp_dir: Path, *extra: Any) -> Iterator[tuple[Path, str]]:
        """A complete local file holding the bytes of `chain` (from 0 to its end), every part checked against its
        recorded hash (PartsDamaged if one does not match), with the file's SHA-256; `extra` hashers (hashlib-like,
        e.g. SM3) are fed every byte, so the caller need not read it again. Valid inside the `with` block only; the
        caller may hard-link the file into the blob store (`put`). By default the parts are joined into a temporary
        file in `tmp_dir` (locked against the sweep), removed on exit (ADR 0027); the local backend hands out the
        upload's own file (ADR 0043)."""
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = create_locked_temp(tmp_dir, prefix="single-")
        path = Path(name)
        digest = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as target:  # open (and locked against the sweep) until the caller is done
                self.assemble(upload, chain, target, digest, *extra)
                target.flush()
                os.fsync(target.fileno())
                if target.tell() != (chain[-1].end if chain else 0):
                    raise PartsDamaged(f"the parts of upload {upload} changed while they were joined")
                yield path, digest.hexdigest()
        finally:
            path.unlink(missing_ok=True)

    def assemble(self, upload: str, chain: list[Part], target: BinaryIO, *whole: Any) -> None:
        """Copy the parts of `chain` into `target` in order, checking each part's hash; `whole` hashers (hashlib-like)
        see every byte, so the caller need not read the joined file again."""
        # The part's own hash runs in a second thread, beside the whole file's hashes and the write (hashlib and
        # file writes release the GIL for large buffers), so two cores share the finish.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="assemble") as side:
            for part in chain:
                f = self.part_open(upload, part)
                digest = part.checker()
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
                if digest.hexdigest() != part.recorded:
                    raise PartsDamaged(f"part {part.name} of upload {upload} does not match its hash")
