"""The blob storage port (architecture.md "Ports"; ADR 0026, ADR 0027).

One interface, two backends chosen by `ZHIFA_STORAGE_URL`:

- unset: `LocalStorage`, the folder ZHIFA_BLOB_DIR (`ab/cd/<sha256>`, read-only files, hard links refuse an
  existing name: ADR 0010);
- `s3://bucket?endpoint=http://host:port&region=…&prefix=…&lock_days=…`: `S3Storage`, any S3-compatible store
  (Ceph RGW, a province's object store), through boto3.

A blob is stored under its SHA-256 and never overwritten: storing content whose name exists verifies the existing
copy and reuses it, or refuses (`BlobConflict`) when that copy no longer matches. Resumable uploads keep their parts
in the same backend (`part_put`, `parts`, …), keyed by the upload session, so consecutive chunks may reach
different app servers (ADR 0027).

Nothing outside a backend knows where a blob lives; callers name blobs by hash. This module imports no zhifa app.
"""

from __future__ import annotations

import hashlib
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from urllib.parse import parse_qs, urlsplit

from zhifa.common.files import fsync_dir, temp_copy

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


def _check_upload(upload: str) -> str:
    if not UPLOAD_ID_RE.match(upload):
        raise ValueError("not an upload id")
    return upload


def _hash_file(path: Path) -> tuple[str, int]:
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


class _RangeReader:
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

    def __enter__(self) -> _RangeReader:
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


# -------------------------------------------------------------------------------------------------------------------
# Local folder
# -------------------------------------------------------------------------------------------------------------------


class LocalStorage(BlobStorage):
    """Blobs in `root/ab/cd/<sha256>` (read-only files); upload parts in `parts_root/<upload>/`; work files in
    `files_root` (by default `files` beside `parts_root`)."""

    kind = "local"

    def __init__(self, root: Path, parts_root: Path, files_root: Path | None = None) -> None:
        self.root = Path(root)
        self.parts_root = Path(parts_root)
        self.files_root = Path(files_root) if files_root is not None else self.parts_root.parent / "files"

    def path_for(self, sha256: str) -> Path:
        check_name(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def location(self, sha256: str) -> str:
        return str(self.path_for(sha256))

    def put(self, sha256: str, source: Path, size: int, *, link: bool = True) -> bool:
        dest = self.path_for(sha256)
        self._make_dirs(dest.parent)
        if not link:
            return self._copy_in(sha256, source, size, dest)
        try:
            os.link(source, dest)
        except FileExistsError:
            self._require_intact(sha256, size)
            return False
        except OSError as exc:
            if exc.errno not in (18, 1, 95):  # EXDEV, EPERM, ENOTSUP: another file system, or no hard links
                raise
            return self._copy_in(sha256, source, size, dest)
        os.chmod(dest, 0o444)
        fsync_dir(dest.parent)
        return True

    def _require_intact(self, sha256: str, size: int) -> None:
        if not self.verify(sha256, size):
            raise BlobConflict(f"blob {sha256} exists but no longer matches its name")

    def _copy_in(self, sha256: str, source: Path, size: int, dest: Path) -> bool:
        """Copy into the destination folder first, fsync, then link: the final name appears only when complete."""
        tmp = temp_copy(source, dest.parent)
        try:
            with open(tmp, "rb") as check:
                if hash_stream(check)[0] != sha256:
                    raise StorageError("copy into the blob folder does not match its hash")
            try:
                os.link(tmp, dest)
            except FileExistsError:
                self._require_intact(sha256, size)
                return False
            os.chmod(dest, 0o444)
            fsync_dir(dest.parent)
            return True
        finally:
            tmp.unlink(missing_ok=True)

    def _make_dirs(self, folder: Path) -> None:
        if folder.is_dir():
            return
        for level in (folder.parent.parent, folder.parent, folder):
            if not level.is_dir():
                level.mkdir(parents=True, exist_ok=True)
                fsync_dir(level.parent)

    def open(self, sha256: str, start: int = 0, end: int | None = None) -> Readable:
        f = open(self.path_for(sha256), "rb")  # noqa: SIM115 - the caller closes it
        if not start and end is None:
            return f  # a real file: FileResponse then knows its length
        f.seek(start)
        return _RangeReader(f, None if end is None else max(end - start, 0))

    def copy_to(self, sha256: str, dest: Path, *, link: bool = False) -> None:
        if link:
            try:
                os.link(self.path_for(sha256), dest)
                return
            except FileNotFoundError:
                raise
            except OSError:  # another file system, or links not allowed: copy
                pass
        super().copy_to(sha256, dest)

    def size(self, sha256: str) -> int | None:
        try:
            return self.path_for(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def iterate(self) -> Iterator[tuple[str, str | None]]:
        if not self.root.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            rel = Path(dirpath).relative_to(self.root).parts
            for name in sorted(filenames):
                ok = len(rel) == 2 and SHA256_RE.match(name) is not None and rel == (name[:2], name[2:4])
                yield str(Path(dirpath) / name), (name if ok else None)

    # --- parts -------------------------------------------------------------------------------------------------
    def _upload_dir(self, upload: str) -> Path:
        return self.parts_root / f"upload-{_check_upload(upload)}"

    def part_put(self, upload: str, start: int, source: Path, *, hashed: tuple[str, int] | None = None) -> Part:
        sha, size = hashed or _hash_file(source)
        part = Part(start, start + size, sha)
        folder = self._upload_dir(upload)
        folder.mkdir(parents=True, exist_ok=True)
        dest = folder / part.name
        try:
            os.link(source, dest)
        except FileExistsError:
            return part  # the same bytes at the same place: stored already
        except OSError:
            tmp = temp_copy(source, folder)
            try:
                os.link(tmp, dest)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        fsync_dir(folder)
        return part

    def parts(self, upload: str) -> list[Part]:
        folder = self._upload_dir(upload)
        if not folder.is_dir():
            return []
        found = []
        for path in folder.iterdir():
            m = PART_RE.match(path.name)
            if m:
                found.append(Part(int(m[1]), int(m[2]), m[3]))
        return sorted(found, key=lambda p: (p.start, p.end))

    def part_open(self, upload: str, part: Part) -> Readable:
        return open(self._upload_dir(upload) / part.name, "rb")  # noqa: SIM115 - the caller closes it

    def parts_delete(self, upload: str) -> int:
        folder = self._upload_dir(upload)
        if not folder.is_dir():
            return 0
        removed = 0
        for path in folder.iterdir():
            path.unlink(missing_ok=True)
            removed += 1
        folder.rmdir()
        return removed

    def uploads(self) -> list[str]:
        if not self.parts_root.is_dir():
            return []
        return sorted(p.name[len("upload-"):] for p in self.parts_root.iterdir()
                      if p.is_dir() and p.name.startswith("upload-"))

    # --- work files ----------------------------------------------------------------------------------------------
    def _file_path(self, name: str) -> Path:
        return self.files_root / check_file_name(name)

    def file_put(self, name: str, source: Path) -> int:
        dest = self._file_path(name)
        self.files_root.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = temp_copy(source, self.files_root)
        try:
            os.replace(tmp, dest)  # the name appears only when the file is complete
        finally:
            tmp.unlink(missing_ok=True)
        fsync_dir(self.files_root)
        return dest.stat().st_size

    def file_open(self, name: str) -> Readable:
        return open(self._file_path(name), "rb")  # noqa: SIM115 - the caller closes it

    def file_size(self, name: str) -> int | None:
        try:
            return self._file_path(name).stat().st_size
        except FileNotFoundError:
            return None

    def file_delete(self, name: str) -> bool:
        path = self._file_path(name)
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed


# -------------------------------------------------------------------------------------------------------------------
# S3-compatible
# -------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class S3Config:
    bucket: str
    endpoint: str = ""
    region: str = "us-east-1"
    prefix: str = ""
    lock_days: int = 0  # > 0: every blob gets Object Lock COMPLIANCE retention for this many days
    access_key: str = ""
    secret_key: str = ""
    addressing: str = "path"


class S3Storage(BlobStorage):
    """Blobs as objects `<prefix>blobs/ab/cd/<sha256>`; upload parts as `<prefix>uploads/<upload>/<part>`.

    Never overwrites (ADR 0026): an existing name is verified and reused; a new one is written with
    `If-None-Match: *`, so of two writers racing only one creates the object; with `lock_days` the object also
    gets COMPLIANCE retention, so even a raw client with the keys cannot delete that version before it expires
    (an overwrite in a versioned bucket only adds a newer version, which `zhifa fixity` reports as changed).
    """

    kind = "s3"

    def __init__(self, config: S3Config, client: Any = None) -> None:
        self.config = config
        if client is None:
            import boto3
            from botocore.config import Config

            s3_options: Any = {"addressing_style": config.addressing}
            client = boto3.client(
                "s3", endpoint_url=config.endpoint or None, region_name=config.region,
                aws_access_key_id=config.access_key or None, aws_secret_access_key=config.secret_key or None,
                config=Config(s3=s3_options, retries={"max_attempts": 3},
                              request_checksum_calculation="when_required",
                              response_checksum_validation="when_required"),
            )
        self.client = client
        self.bucket = config.bucket
        self.prefix = config.prefix

    def key_for(self, sha256: str) -> str:
        check_name(sha256)
        return f"{self.prefix}blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def location(self, sha256: str) -> str:
        return f"s3://{self.bucket}/{self.key_for(sha256)}"

    @staticmethod
    def _missing(exc: Exception) -> bool:
        response = getattr(exc, "response", None) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code in ("404", "NoSuchKey", "NotFound") or status == 404

    @staticmethod
    def _precondition_failed(exc: Exception) -> bool:
        response = getattr(exc, "response", None) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code in ("PreconditionFailed", "412", "ConditionalRequestConflict") or status in (409, 412)

    def size(self, sha256: str) -> int | None:
        return self._size_of(self.key_for(sha256))

    def _size_of(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if self._missing(exc):
                return None
            raise StorageError(str(exc)) from exc
        return int(head["ContentLength"])

    def _put_new(self, key: str, source: Path, size: int, *, lock: bool) -> bool:
        """Create `key` from `source` unless it exists: True if created, False if it was there."""
        from botocore.exceptions import ClientError

        extra: dict[str, Any] = {}
        if lock and self.config.lock_days > 0:
            extra["ObjectLockMode"] = "COMPLIANCE"
            extra["ObjectLockRetainUntilDate"] = datetime.now(UTC) + timedelta(days=self.config.lock_days)
        with open(source, "rb") as body:
            try:
                self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentLength=size,
                                       IfNoneMatch="*", **extra)
            except ClientError as exc:
                if self._precondition_failed(exc):
                    return False
                raise StorageError(str(exc)) from exc
        return True

    def put(self, sha256: str, source: Path, size: int, *, link: bool = True) -> bool:
        key = self.key_for(sha256)
        if self._size_of(key) is None and self._put_new(key, source, size, lock=True):
            return True
        if not self.verify(sha256, size):
            raise BlobConflict(f"blob {sha256} exists but no longer matches its name")
        return False

    def open(self, sha256: str, start: int = 0, end: int | None = None) -> Readable:
        return self._get(self.key_for(sha256), start, end)

    def _get(self, key: str, start: int = 0, end: int | None = None) -> Readable:
        from botocore.exceptions import ClientError

        args: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if end is not None and end <= start:
            return _Empty()
        if start or end is not None:
            args["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            return self.client.get_object(**args)["Body"]
        except ClientError as exc:
            if self._missing(exc):
                raise FileNotFoundError(key) from exc
            if getattr(exc, "response", {}).get("Error", {}).get("Code") == "InvalidRange":
                return _Empty()
            raise StorageError(str(exc)) from exc

    def _keys(self, prefix: str) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"]

    def iterate(self) -> Iterator[tuple[str, str | None]]:
        base = f"{self.prefix}blobs/"
        for key in self._keys(base):
            rel = key[len(base):].split("/")
            name = rel[-1]
            ok = len(rel) == 3 and SHA256_RE.match(name) is not None and rel[:2] == [name[:2], name[2:4]]
            yield f"s3://{self.bucket}/{key}", (name if ok else None)

    # --- parts -------------------------------------------------------------------------------------------------
    def _upload_prefix(self, upload: str) -> str:
        return f"{self.prefix}uploads/{_check_upload(upload)}/"

    def part_put(self, upload: str, start: int, source: Path, *, hashed: tuple[str, int] | None = None) -> Part:
        sha, size = hashed or _hash_file(source)
        part = Part(start, start + size, sha)
        self._put_new(self._upload_prefix(upload) + part.name, source, size, lock=False)
        return part

    def parts(self, upload: str) -> list[Part]:
        base = self._upload_prefix(upload)
        found = []
        for key in self._keys(base):
            m = PART_RE.match(key[len(base):])
            if m:
                found.append(Part(int(m[1]), int(m[2]), m[3]))
        return sorted(found, key=lambda p: (p.start, p.end))

    def part_open(self, upload: str, part: Part) -> Readable:
        return self._get(self._upload_prefix(upload) + part.name)

    def parts_delete(self, upload: str) -> int:
        keys = list(self._keys(self._upload_prefix(upload)))
        for key in keys:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        return len(keys)

    def uploads(self) -> list[str]:
        base = f"{self.prefix}uploads/"
        found = set()
        for key in self._keys(base):
            found.add(key[len(base):].split("/", 1)[0])
        return sorted(found)

    # --- work files ----------------------------------------------------------------------------------------------
    def _file_key(self, name: str) -> str:
        return f"{self.prefix}files/{check_file_name(name)}"

    def file_put(self, name: str, source: Path) -> int:
        size = Path(source).stat().st_size
        with open(source, "rb") as body:
            try:
                self.client.put_object(Bucket=self.bucket, Key=self._file_key(name), Body=body, ContentLength=size)
            except Exception as exc:  # botocore's ClientError and connection errors alike
                raise StorageError(str(exc)) from exc
        return size

    def file_open(self, name: str) -> Readable:
        return self._get(self._file_key(name))

    def file_size(self, name: str) -> int | None:
        return self._size_of(self._file_key(name))

    def file_delete(self, name: str) -> bool:
        key = self._file_key(name)
        if self._size_of(key) is None:
            return False
        self.client.delete_object(Bucket=self.bucket, Key=key)
        return True


class _Empty:
    def read(self, size: int = -1, /) -> bytes:
        return b""

    def close(self) -> None:
        pass


# -------------------------------------------------------------------------------------------------------------------
# Choosing a backend
# -------------------------------------------------------------------------------------------------------------------


class BadStorageUrl(ValueError):
    pass


def parse_s3_url(url: str, *, access_key: str = "", secret_key: str = "") -> S3Config:
    """`s3://bucket?endpoint=http://127.0.0.1:17480&region=us-east-1&prefix=zhifa/&lock_days=3650`."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.path not in ("", "/"):
        raise BadStorageUrl(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(query) - {"endpoint", "region", "prefix", "lock_days", "addressing"}
    if unknown:
        raise BadStorageUrl(f"unknown parameter {sorted(unknown)[0]}")
    endpoint = query.get("endpoint", "")
    if endpoint and urlsplit(endpoint).scheme not in ("http", "https"):
        raise BadStorageUrl("endpoint must be an http(s) URL")
    lock = query.get("lock_days", "0") or "0"
    if not lock.isdigit():
        raise BadStorageUrl("lock_days must be a whole number")
    prefix = query.get("prefix", "")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    addressing = query.get("addressing", "path") or "path"
    if addressing not in ("path", "virtual"):
        raise BadStorageUrl("addressing must be path or virtual")
    return S3Config(bucket=parts.netloc, endpoint=endpoint, region=query.get("region") or "us-east-1",
                    prefix=prefix, lock_days=int(lock), access_key=access_key, secret_key=secret_key,
                    addressing=addressing)


def storage_from_settings(settings: Any) -> BlobStorage:
    """The backend that `ZHIFA_STORAGE_URL` names (validated at start-up by the settings)."""
    url = str(getattr(settings, "ZHIFA_STORAGE_URL", "") or "")
    if not url:
        return LocalStorage(Path(settings.ZHIFA_BLOB_DIR), Path(settings.ZHIFA_UPLOAD_TMP_DIR) / "parts",
                            Path(settings.DATA_DIR) / "files")
    config = parse_s3_url(url, access_key=settings.ZHIFA_S3_ACCESS_KEY_ID,
                          secret_key=settings.ZHIFA_S3_SECRET_ACCESS_KEY)
    return _s3_cached(config)


_S3_CLIENTS: dict[S3Config, S3Storage] = {}


def _s3_cached(config: S3Config) -> S3Storage:
    """One client per configuration and process (boto3 clients are thread-safe and slow to build)."""
    storage = _S3_CLIENTS.get(config)
    if storage is None:
        storage = _S3_CLIENTS[config] = S3Storage(config)
    return storage
