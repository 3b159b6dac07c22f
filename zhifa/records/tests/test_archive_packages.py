"""REC-14 archiving in the background (issue 10 point 7, ADR 0028): the case `archive` action commits at once and
enqueues the package; the case page shows it queued, then being built (files copied of how many), then offers the
zip. The download is a 调阅 of the stream (REC-12), scoped like every records read (another agency's user sees
nothing and gets a 404, architecture rule 2). A build that fails is marked failed, retried and listed for the
system administrator."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.test import Client
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from zhifa.accounts.roles import Role
from zhifa.cases.testing import make_case_world, new_penalty_case, walk_to
from zhifa.common.tasks import failed_tasks, run_pending
from zhifa.records import archive, packages
from zhifa.records.access import ACCESS_KIND
from zhifa.records.models import ArchivePackage, LedgerEntry, PackageStatus


@pytest.fixture
def archived(agency_a, settings, tmp_path: Path):  # noqa: ANN001, ANN201
    settings.DATA_DIR = tmp_path
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "keys" / "ledger.pem"
    world = make_case_world(agency_a)
    return walk_to(world, new_penalty_case(world), "archived")


def client_for(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


def fragment(client: Client, case) -> str:  # noqa: ANN001
    response = client.get("/staff/records/archives/", {"stream": case.stream})
    assert response.status_code == 200
    return response.content.decode()


def test_rec_14_archive_action_commits_at_once_and_the_page_follows_the_build(archived, agency_a) -> None:
    case = archived
    package = ArchivePackage.objects.get(stream=case.stream)
    assert (case.state, case.archive_sha256, package.status) == ("archived", "", PackageStatus.QUEUED)
    head = client_for(agency_a[Role.AGENCY_HEAD])
    page = head.get(f"/staff/cases/{case.public_id}/").content.decode()
    assert 'hx-get="/staff/records/archives/?stream=' in page
    html = fragment(head, case)
    assert "归档包已排队" in html and 'hx-trigger="every 2s"' in html

    ArchivePackage.objects.filter(pk=package.pk).update(status=PackageStatus.BUILDING, files_done=3, files_total=10)
    assert "正在生成归档包（已处理 3/10 个文件）" in fragment(head, case)
    ArchivePackage.objects.filter(pk=package.pk).update(status=PackageStatus.QUEUED, files_done=0, files_total=0)

    assert run_pending() == 1
    package.refresh_from_db()
    case.refresh_from_db()
    assert package.status == PackageStatus.READY and case.archive_sha256 == package.tagmanifest_sha256
    built = LedgerEntry.objects.filter(stream=case.stream, kind="case.archive_built")
    assert built.count() == 1
    html = fragment(head, case)
    assert "下载归档包" in html and "hx-trigger" not in html  # done: the poll stops

    reads = LedgerEntry.objects.filter(kind=ACCESS_KIND).count()
    response = head.get(f"/staff/records/archives/{package.public_id}/download/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["X-Zhifa-Personal-Data"] == "withheld"  # a case's kept package holds no personal data
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert any(n.endswith("/bagit.txt") for n in names) and any(n.endswith("/data/checkpoint.txt") for n in names)
    assert LedgerEntry.objects.filter(kind=ACCESS_KIND).count() == reads + 1  # REC-12: the download is a 调阅


def test_another_agency_sees_no_package_and_cannot_download_it(archived, agency_b) -> None:
    run_pending()
    package = ArchivePackage.objects.get(stream=archived.stream)
    other = client_for(agency_b[Role.AGENCY_HEAD])
    assert "暂无归档包" in fragment(other, archived)
    assert other.get(f"/staff/records/archives/{package.public_id}/download/").status_code == 404


def test_progress_is_reported_while_evidence_files_are_copied(archived, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    archive.archive_export(stream=archived.stream, output=tmp_path / "out", progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[0][0] == 0 and seen[-1][0] == seen[-1][1]


def test_failed_build_is_marked_retried_and_listed(archived, agency_a, system_admin, monkeypatch) -> None:
    real = packages.archive_export

    def broken(**kwargs):  # noqa: ANN003, ANN202
        raise OSError("磁盘已满")

    monkeypatch.setattr(packages, "archive_export", broken)
    assert run_pending() == 1
    package = ArchivePackage.objects.get(stream=archived.stream)
    assert package.status == PackageStatus.FAILED and "磁盘已满" in package.error
    assert "归档包生成失败" in fragment(client_for(agency_a[Role.AGENCY_HEAD]), archived)
    assert [(f.name, f.retried) for f in failed_tasks()] == [("case_archive_build", True)]
    admin_page = client_for(system_admin).get("/accounts/tasks/").content.decode()
    assert "case_archive_build" in admin_page and "磁盘已满" in admin_page

    monkeypatch.setattr(packages, "archive_export", real)  # the disk is freed; the retry comes due
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=datetime(2000, 1, 1, tzinfo=UTC))
    assert run_pending() == 1
    package.refresh_from_db()
    archived.refresh_from_db()
    assert package.status == PackageStatus.READY and archived.archive_sha256 == package.tagmanifest_sha256


def test_an_export_is_served_to_its_requester_only(archived, agency_a) -> None:
    """REC-13: an export carries personal data chosen by its requester's role (ADR 0018), so nobody else gets it."""
    head = client_for(agency_a[Role.AGENCY_HEAD])
    assert head.post("/staff/records/timeline/archive/", {"stream": archived.stream}).status_code == 302
    assert run_pending() == 2  # the case's package and the export
    export = ArchivePackage.objects.get(stream=archived.stream, purpose="export")
    assert export.status == PackageStatus.READY and export.personal_data
    url = f"/staff/records/archives/{export.public_id}/download/"
    assert url in fragment(head, archived)
    assert head.get(url)["X-Zhifa-Personal-Data"] == "included"
    officer = client_for(agency_a[Role.OFFICER])
    assert url not in fragment(officer, archived)
    assert officer.get(url).status_code == 404
