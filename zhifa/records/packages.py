"""Archive packages built in the background (ADR 0028).

A request (the case `archive` action, the 下载归档包 button) only adds an `ArchivePackage` row and enqueues its build
after the request's transaction commits; the task writes the BagIt package (`archive.archive_export`, reporting how
many evidence files it has copied) and zips it, so neither the case's row lock nor the database's write lock is held
while files are copied, and no request waits for a zip. A failed build is marked failed with its error and retried by
the task runner (`zhifa.common.tasks`); the package row shows each state to the person waiting for it.

Where the results live: the zip that is downloaded is a work file of the storage port (`package-<public id>.zip`,
ADR 0031), so any app server can offer what the worker built; a case's unzipped package is also kept under the
worker's DATA_DIR/archives/<folder>, as REC-14 asked before (its zip in the store is the copy every server sees).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task

from zhifa.common.storage import Readable
from zhifa.common.tasks import enqueue_after_commit
from zhifa.records import evidence as ev
from zhifa.records.archive import SHANGHAI, archive_export, default_output
from zhifa.records.blobstore import default_store
from zhifa.records.models import ArchivePackage, PackagePurpose, PackageStatus

_UNSAFE_FILENAME_RE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def archive_names(stream: str) -> tuple[str, str]:
    """(ASCII name, UTF-8 name) of a stream's package, without ".zip": the ASCII one is also the zip's top folder."""
    stamp = timezone.now().astimezone(SHANGHAI).strftime("%Y%m%d-%H%M%S")
    ascii_stream = re.sub(r"[^0-9A-Za-z_.-]+", "-", stream).strip("-.")[:60]
    if ascii_stream != stream:  # lossy: a short hash keeps two streams' packages apart
        ascii_stream = f"{ascii_stream}-{hashlib.sha256(stream.encode()).hexdigest()[:8]}".strip("-")
    readable = _UNSAFE_FILENAME_RE.sub("-", stream).strip(" .-")[:80] or ascii_stream
    return f"zhifa-archive-{ascii_stream}-{stamp}", f"归档包-{readable}-{stamp}"


def zip_package(folder: Path, zip_path: Path, top: str) -> None:
    """Zip the package folder under `top/`. Evidence files (JPEG, MP4, ...) are already compressed: stored as they
    are, which saves minutes of CPU on long videos; the text files are deflated."""
    folder = Path(folder)
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            rel = path.relative_to(folder).as_posix()
            method = zipfile.ZIP_STORED if rel.startswith("data/blobs/") else zipfile.ZIP_DEFLATED
            zf.write(path, f"{top}/{rel}", compress_type=method)


def package_file_open(package: ArchivePackage) -> tuple[Readable, int]:
    """The built zip and its size, from the storage port; FileNotFoundError if it is not (or no longer) there."""
    backend = default_store().backend
    size = backend.file_size(package.zip_name) if package.zip_name else None
    if size is None:
        raise FileNotFoundError(package.zip_name)
    return backend.file_open(package.zip_name), size


# ------------------------------------------------------------------------------------------------ writes


@task()
def archive_package_build_task(package_id: int) -> str:
    """The background build of one package (what `archive_package_request` enqueues by default)."""
    return archive_package_build(package_id=package_id).status


def archive_package_request(
    *, stream: str, purpose: str, requested_by: Any, build: Task[..., Any] | None = None,
) -> ArchivePackage:
    """Add a package row and enqueue its build after the caller's transaction commits. `build` is the task that
    builds it (it takes the package id; cases pass one that also records the result on the case)."""
    with transaction.atomic():
        package = ArchivePackage.objects.create(stream=stream, purpose=purpose, requested_by=requested_by)
        enqueue_after_commit(build or archive_package_build_task, package.pk)
    return package


def archive_package_build(*, package_id: int) -> ArchivePackage:
    """Build the package: the BagIt folder (the case's copy is kept under DATA_DIR/archives/) and its zip. Raises
    after marking the row failed, so that the task runner retries it; a package already built is left as it is."""
    package = ArchivePackage.objects.get(pk=package_id)
    if package.status == PackageStatus.READY:
        return package
    ArchivePackage.objects.filter(pk=package.pk).update(status=PackageStatus.BUILDING, files_done=0, error="")

    def progress(done: int, total: int) -> None:
        ArchivePackage.objects.filter(pk=package.pk).update(files_done=done, files_total=total)

    ascii_name, utf8_name = archive_names(package.stream)
    store = default_store()
    store.tmp_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="build-", dir=store.tmp_dir))
    try:
        if package.purpose == PackagePurpose.CASE:
            # Without the whole-ledger leaf list: at 2 million entries it is 145 MB per case (bench/README.md). Each
            # entry still carries its inclusion proof against the package's signed checkpoint (ADR 0012). No
            # recipient: the package stays in the data folder beyond the retention of personal data, so it holds
            # the ledger's commitments only; the values stay in the vault until erased (ADR 0018).
            result = archive_export(stream=package.stream, output=default_output(package.stream),
                                    include_leaves=False, progress=progress)
        elif package.purpose == PackagePurpose.HISTORY:
            # The public disclosure stream (ADR 0045): for anyone, so no recipient (no personal data) and no
            # whole-ledger leaf list (its size grows with every 调阅; the stream's own chain shows a removed entry).
            result = archive_export(stream=package.stream, output=work / ascii_name, include_leaves=False,
                                    progress=progress)
        else:
            result = archive_export(stream=package.stream, output=work / ascii_name,
                                    recipient=package.requested_by, progress=progress)
        name = f"package-{package.public_id}.zip"
        zip_package(result.path, work / name, ascii_name)
        manifest = (result.path / "tagmanifest-sha256.txt").read_bytes()
        store.backend.file_put(name, work / name)  # shared: whichever app server is asked offers it
    except Exception as exc:
        ArchivePackage.objects.filter(pk=package.pk).update(status=PackageStatus.FAILED, error=str(exc)[:2000],
                                                            finished_at=timezone.now())
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)  # an export's folder and the local zip go; the stored zip stays
    package.status = PackageStatus.READY
    package.folder = result.path.name if package.purpose == PackagePurpose.CASE else ""
    package.zip_name = name
    package.ascii_name, package.download_name = ascii_name, f"{utf8_name}.zip"
    package.tagmanifest_sha256 = hashlib.sha256(manifest).hexdigest()
    package.entries, package.blobs, package.checkpoint_size = result.entries, result.blobs, result.checkpoint_size
    package.files_done = package.files_total = result.blobs
    package.problems = len(result.problems)
    package.personal_data = result.personal_data
    package.error = ""
    package.finished_at = timezone.now()
    with transaction.atomic():
        package.save()
    return package


# ------------------------------------------------------------------------------------------------ reads


def packages_for(*, user: Any, stream: str) -> QuerySet[ArchivePackage]:
    """The stream's packages the user may see: the case packages of a stream the user sees, and the user's own
    export requests (an export may carry personal data chosen by its requester's role)."""
    mine = Q(purpose=PackagePurpose.EXPORT, requested_by=user)
    if ev.stream_entries_for(user=user, stream=stream).exists():
        mine |= Q(purpose=PackagePurpose.CASE)
    return ArchivePackage.objects.filter(mine, stream=stream)


def package_for(*, user: Any, public_id: UUID) -> ArchivePackage | None:
    package = ArchivePackage.objects.filter(public_id=public_id).first()
    if package is None or not packages_for(user=user, stream=package.stream).filter(pk=package.pk).exists():
        return None
    return package
