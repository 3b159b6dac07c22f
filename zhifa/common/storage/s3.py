"""The S3-compatible backend of the storage port (ADR 0026, 0027, 0031)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from zhifa.common.storage.port import (
    PART_RE,
    SHA256_RE,
    BlobConflict,
    BlobStorage,
    Part,
    Readable,
    StorageError,
    check_file_name,
    check_name,
    check_upload,
    hash_file,
)


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
        return f"{self.prefix}uploads/{check_upload(upload)}/"

    def part_put(self, upload: str, start: int, source: Path, *, hashed: tuple[str, int] | None = None) -> Part:
        sha, size = hashed or hash_file(source)
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
