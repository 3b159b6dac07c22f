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

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from zhifa.common.storage.local import LocalStorage
from zhifa.common.storage.port import (
    FILE_NAME_RE,
    PART_RE,
    READ_CHUNK,
    SHA256_RE,
    UPLOAD_ID_RE,
    BlobConflict,
    BlobStorage,
    Crc32,
    Part,
    PartsDamaged,
    PartWriter,
    Readable,
    StorageError,
    check_file_name,
    check_name,
    hash_stream,
)
from zhifa.common.storage.s3 import S3Config, S3Storage

__all__ = [
    "FILE_NAME_RE", "PART_RE", "READ_CHUNK", "SHA256_RE", "UPLOAD_ID_RE", "BadStorageUrl", "BlobConflict",
    "BlobStorage", "Crc32", "LocalStorage", "Part", "PartWriter", "PartsDamaged", "Readable", "S3Config", "S3Storage", "StorageError", "check_file_name",
    "check_name", "hash_stream", "parse_s3_url", "storage_from_settings",
]

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
