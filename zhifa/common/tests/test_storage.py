"""The blob storage port (ADR 0026, 0027) against both backends: the local folder and S3 (moto here; the real
Ceph gateway in the `s3` tests when ZHIFA_TEST_S3_URL is set)."""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from zhifa.common.storage import (
    BadStorageUrl,
    BlobConflict,
    BlobStorage,
    LocalStorage,
    S3Config,
    S3Storage,
    parse_s3_url,
)
from zhifa.settings.env import env_storage_url


def _s3_from_env() -> S3Storage | None:
    url = os.environ.get("ZHIFA_TEST_S3_URL", "")
    if not url:
        return None
    config = parse_s3_url(url, access_key=os.environ.get("ZHIFA_S3_ACCESS_KEY_ID", ""),
                          secret_key=os.environ.get("ZHIFA_S3_SECRET_ACCESS_KEY", ""))
    # A fresh prefix per test: the bucket is shared and never emptied (blobs cannot be deleted).
    return S3Storage(S3Config(**{**config.__dict__, "prefix": f"t-{uuid.uuid4().hex}/"}))


@pytest.fixture(params=["local", "moto", pytest.param("ceph", marks=pytest.mark.s3)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStorage]:
    if request.param == "local":
        yield LocalStorage(tmp_path / "blobs", tmp_path / "parts")
    elif request.param == "moto":
        moto = pytest.importorskip("moto")
        import boto3

        with moto.mock_aws():
            client = boto3.client("s3", region_name="us-east-1")
            client.create_bucket(Bucket="zhifa")
            yield S3Storage(S3Config(bucket="zhifa", prefix="p/"), client=client)
    else:
        storage = _s3_from_env()
        if storage is None:
            pytest.skip("ZHIFA_TEST_S3_URL is not set (scripts/ceph-s3.sh start prints it)")
        yield storage


def _file(tmp_path: Path, data: bytes) -> tuple[Path, str]:
    path = tmp_path / f"src-{uuid.uuid4().hex}"
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def test_put_open_ranges_size_exists_iterate_verify(backend: BlobStorage, tmp_path: Path) -> None:
    data = bytes(range(256)) * 40
    src, sha = _file(tmp_path, data)
    assert not backend.exists(sha) and backend.size(sha) is None
    assert backend.put(sha, src, len(data)) is True
    assert backend.put(sha, src, len(data)) is False  # stored already: reused, not written again
    assert backend.exists(sha) and backend.size(sha) == len(data)
    with_all = backend.open(sha)
    assert with_all.read() == data
    with_all.close()
    part = backend.open(sha, 100, 1100)
    assert part.read() == data[100:1100]
    part.close()
    tail = backend.open(sha, len(data) - 5)
    assert tail.read() == data[-5:]
    tail.close()
    assert backend.verify(sha, len(data)) and not backend.verify(sha, len(data) + 1)
    assert [name for _where, name in backend.iterate()] == [sha]
    assert sha in backend.location(sha)
    with pytest.raises(FileNotFoundError):
        backend.open("0" * 64)


def test_copy_to(backend: BlobStorage, tmp_path: Path) -> None:
    src, sha = _file(tmp_path, b"%PDF-1.7 copy")
    backend.put(sha, src, src.stat().st_size)
    backend.copy_to(sha, tmp_path / "copy")
    assert (tmp_path / "copy").read_bytes() == b"%PDF-1.7 copy"


def test_a_changed_blob_is_neither_overwritten_nor_reused(backend: BlobStorage, tmp_path: Path) -> None:
    """REC-6 / BI-3: the store never overwrites; a blob whose content changed is refused, not repaired."""
    src, sha = _file(tmp_path, b"original evidence")
    backend.put(sha, src, src.stat().st_size)
    _tamper(backend, sha, b"changed evidence!")
    assert not backend.verify(sha)
    with pytest.raises(BlobConflict):
        backend.put(sha, src, src.stat().st_size)


def _tamper(backend: BlobStorage, sha: str, data: bytes) -> None:
    """Change a stored blob behind the application's back (a raw client with the keys, or root on the disk)."""
    if isinstance(backend, LocalStorage):
        path = backend.path_for(sha)
        path.chmod(0o644)
        path.write_bytes(data)
    else:
        assert isinstance(backend, S3Storage)
        backend.client.put_object(Bucket=backend.bucket, Key=backend.key_for(sha), Body=data)


def test_a_stored_blob_survives_an_overwrite(backend: BlobStorage, tmp_path: Path) -> None:
    """ADR 0026: put() checks before it writes (and sends If-None-Match: *, which moto honours but Ceph 16 RGW
    ignores); with lock_days the blob's version is COMPLIANCE-locked, so a raw client with the keys can add a newer
    version (fixity then reports the change) but cannot delete the original."""
    if not isinstance(backend, S3Storage):
        pytest.skip("the local backend's link refuses an existing name (records tests)")
    src, sha = _file(tmp_path, b"race")
    assert backend.put(sha, src, 4) is True
    assert backend.put(sha, src, 4) is False
    if backend.config.lock_days <= 0:
        return
    client, key = backend.client, backend.key_for(sha)
    (first,) = client.list_object_versions(Bucket=backend.bucket, Prefix=key)["Versions"]
    client.put_object(Bucket=backend.bucket, Key=key, Body=b"evil")
    assert not backend.verify(sha)
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        client.delete_object(Bucket=backend.bucket, Key=key, VersionId=first["VersionId"])
    original = client.get_object(Bucket=backend.bucket, Key=key, VersionId=first["VersionId"])["Body"].read()
    assert original == b"race"


def test_parts_of_a_resumable_upload(backend: BlobStorage, tmp_path: Path) -> None:
    """ADR 0027: parts live in the backend, so any app server can add the next one or finish."""
    upload = str(uuid.uuid4())
    data = os.urandom(3000)
    a, _ = _file(tmp_path, data[:1000])
    stale, _ = _file(tmp_path, data[:400])  # a crashed request's leftover at the same start
    b, _ = _file(tmp_path, data[1000:])
    backend.part_put(upload, 0, stale)
    backend.part_put(upload, 0, a)
    backend.part_put(upload, 0, a)  # a retry of the same bytes: no second part
    backend.part_put(upload, 1000, b)
    assert len(backend.parts(upload)) == 3 and backend.uploads() == [upload]
    chain = backend.parts_chain(upload, 3000)
    assert chain is not None and [(p.start, p.end) for p in chain] == [(0, 1000), (1000, 3000)]
    out = io.BytesIO()
    backend.assemble(upload, chain, out)  # type: ignore[arg-type]
    assert out.getvalue() == data
    assert backend.parts_chain(upload, 3001) is None
    assert backend.parts_delete(upload) == 3
    assert backend.parts(upload) == [] and backend.uploads() == []


def test_storage_url_is_checked_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIFA_STORAGE_URL", "s3://evidence?endpoint=http://127.0.0.1:17480&lock_days=3650")
    assert env_storage_url("ZHIFA_STORAGE_URL").startswith("s3://evidence")
    config = parse_s3_url(env_storage_url("ZHIFA_STORAGE_URL"))
    assert (config.bucket, config.endpoint, config.lock_days) == ("evidence", "http://127.0.0.1:17480", 3650)
    for bad in ("ftp://x", "s3://", "s3://b?endpoint=127.0.0.1", "s3://b?lock_days=x", "s3://b?colour=red"):
        with pytest.raises(BadStorageUrl):
            parse_s3_url(bad)
        monkeypatch.setenv("ZHIFA_STORAGE_URL", bad)
        with pytest.raises(ImproperlyConfigured, match="配置错误.*ZHIFA_STORAGE_URL.*Configuration error"):
            env_storage_url("ZHIFA_STORAGE_URL")
    monkeypatch.setenv("ZHIFA_STORAGE_URL", "")
    assert env_storage_url("ZHIFA_STORAGE_URL") == ""


def test_part_writer_and_parts_file(backend: BlobStorage, tmp_path: Path) -> None:
    """ADR 0043: each backend receives chunks itself and hands out one checked local file of the upload with its
    SHA-256 (local: the upload's own file, CRC-32 per chunk; S3: parts joined into a temporary file)."""
    upload = str(uuid.uuid4())
    data = os.urandom(5000)
    for start, end in ((0, 2000), (2000, 5000)):
        with backend.part_writer(upload, start, tmp_path / "tmp") as writer:
            writer.write(data[start:end])
            part = writer.commit()
            writer.acknowledge()
        assert part is not None and (part.start, part.end) == (start, end)
    chain = backend.parts_chain(upload, 5000)
    assert chain is not None and [(p.start, p.end) for p in chain] == [(0, 2000), (2000, 5000)]
    with backend.parts_file(upload, chain, tmp_path / "tmp") as (path, sha256):
        assert path.read_bytes() == data and sha256 == hashlib.sha256(data).hexdigest()
    assert backend.parts_delete(upload) == 2 and backend.parts(upload) == []
