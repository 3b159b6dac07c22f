"""REC-14 archiving of a case in the background (ADR 0028): the `archive` action commits at once and enqueues the
package; this task builds it (`records.packages`) and then records the package's hash on the case and in its
stream, as the action itself did before."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from zhifa.cases.models import Case
from zhifa.records import ledger
from zhifa.records.models import ArchivePackage, PackagePurpose, PackageStatus
from zhifa.records.packages import archive_package_build, archive_package_request

STREAM_PREFIX = "case/"


def case_archive_request(*, case: Case, actor: object) -> ArchivePackage:
    """In the action's transaction: the package row; its build starts after commit."""
    return archive_package_request(stream=case.stream, purpose=PackagePurpose.CASE, requested_by=actor,
                                   build=case_archive_build)


def case_archive_recorded(*, package: ArchivePackage) -> Case:
    """The built package's tag-manifest hash goes on the case and, with its counts, into the case's stream."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(public_id=package.stream.removeprefix(STREAM_PREFIX))
        case.archive_sha256 = package.tagmanifest_sha256
        case.save(update_fields=["archive_sha256"])
        ledger.ledger_append(
            kind="case.archive_built", stream=case.stream, agency_id=case.agency_id, actor=None,
            payload={"case_id": str(case.public_id), "reference": case.reference,
                     "archive": {"package": str(package.public_id), "tagmanifest_sha256": package.tagmanifest_sha256,
                                 "entries": package.entries, "blobs": package.blobs,
                                 "checkpoint_size": package.checkpoint_size, "path": package.folder}},
        )
    return case


@task()
def case_archive_build(package_id: int) -> str:
    package = archive_package_build(package_id=package_id)
    recorded = Case.objects.filter(archive_sha256=package.tagmanifest_sha256,
                                   public_id=package.stream.removeprefix(STREAM_PREFIX)).exists()
    if package.status == PackageStatus.READY and not recorded:  # a retry after a failed recording records once
        case_archive_recorded(package=package)
    return package.status
