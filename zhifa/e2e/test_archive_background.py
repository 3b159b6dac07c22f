"""REC-14 archiving in a real browser (issue 10 point 7, ADR 0028): the archivist's 归档 returns at once, the case
page shows the package queued and then being built (HTMX polls the progress), then offers it for download. The
test plays the worker: it runs the task runner in a thread, held at the first progress report until the page has
shown it."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import Page, expect

from zhifa.cases import engine
from zhifa.cases.testing import make_case_world, new_penalty_case, walk_to
from zhifa.common.tasks import run_pending
from zhifa.e2e.test_cases_ui import outside_the_event_loop
from zhifa.records import packages
from zhifa.records.models import ArchivePackage, PackageStatus
from zhifa.registry.testing import AgencyPersonas

pytestmark = pytest.mark.browser


@pytest.fixture
def case_dirs(settings, tmp_path: Path) -> None:  # noqa: ANN001
    settings.DATA_DIR = tmp_path / "data"
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "keys" / "ledger.pem"
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"


def test_rec_14_archiving_returns_at_once_shows_the_build_then_offers_the_package(
    site: str, page: Page, login: Callable[..., None], agency_a: AgencyPersonas, case_dirs: None,
    monkeypatch: pytest.MonkeyPatch, shots: Path,
) -> None:
    world = make_case_world(agency_a)
    case = outside_the_event_loop(lambda: walk_to(world, new_penalty_case(world), "closed"))
    monkeypatch.setattr(engine, "today_in_china", lambda: date(2026, 6, 15))

    login(page, "a_archivist")
    page.goto(f"{site}/staff/cases/{case.public_id}/")
    page.get_by_role("link", name="归档", exact=True).click()
    page.get_by_role("button", name="归档", exact=True).click()
    expect(page.locator("#case-state")).to_have_text("已归档")
    expect(page.locator("#archive-packages")).to_contain_text("归档包已排队")  # committed; nothing built yet
    assert ArchivePackage.objects.get(stream=case.stream).status == PackageStatus.QUEUED

    # The worker: held at its first progress report until the page has shown the build.
    reported, release = threading.Event(), threading.Event()
    real_export = packages.archive_export

    def held_export(**kwargs: Any) -> Any:
        progress = kwargs.pop("progress")

        def hold(done: int, total: int) -> None:
            progress(done, total)
            if not reported.is_set():
                reported.set()
                release.wait(30)

        return real_export(progress=hold, **kwargs)

    monkeypatch.setattr(packages, "archive_export", held_export)
    conn = connections["default"]
    outcome: dict[str, Any] = {}

    def work() -> None:
        connections["default"] = conn
        try:
            outcome["ran"] = run_pending()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            outcome["error"] = exc

    conn.inc_thread_sharing()
    worker = threading.Thread(target=work)
    try:
        worker.start()
        assert reported.wait(30)
        expect(page.locator("#archive-packages")).to_contain_text(re.compile(r"正在生成归档包（已处理 0/\d+ 个文件）"))
        page.screenshot(path=str(shots / "archive-building.png"), full_page=True)
        with page.expect_response(lambda r: "/staff/records/archives/" in r.url):  # finish between two polls
            pass
        release.set()
        worker.join(60)
    finally:
        release.set()
        worker.join(60)
        conn.dec_thread_sharing()
    if "error" in outcome:
        raise outcome["error"]
    assert outcome["ran"] == 1

    link = page.locator("#archive-packages").get_by_role("link", name="下载归档包")
    expect(link).to_be_visible()
    page.screenshot(path=str(shots / "archive-ready.png"), full_page=True)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".zip")
    case.refresh_from_db()
    assert len(case.archive_sha256) == 64
