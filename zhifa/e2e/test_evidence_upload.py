"""An officer uploads a body-camera video with the progress bar, sees it in the stream's timeline and in the viewer,
downloads the stream's archive package, and the package passes the offline verifier (issue 3 parts 4, 6 and 7)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from zhifa.common.tasks import run_pending
from zhifa.e2e.test_cases_ui import outside_the_event_loop
from zhifa.records.models import Evidence
from zhifa.registry.testing import AgencyPersonas

pytestmark = pytest.mark.browser

PROJECT = Path(__file__).resolve().parents[2]
STREAM = "case:e2e-视频-001"
FILENAME = "执法记录仪-0815.mp4"
CHUNK = 8 * 1024 * 1024  # upload.js's chunk size (no data attribute sets it)
SIZE = 2 * CHUNK + 1024 * 1024  # three PUTs

# Records every value the progress bar takes, with the status text, in sessionStorage: it survives the redirect to
# the evidence page that follows 100% at once.
RECORD_PROGRESS = """
document.addEventListener("DOMContentLoaded", () => {
  const bar = document.getElementById("upload-bar");
  if (!bar) { return; }
  new MutationObserver(() => {
    const seen = JSON.parse(sessionStorage.getItem("zhifa-progress") || "[]");
    seen.push({value: bar.getAttribute("value"), max: bar.getAttribute("max"),
               text: (document.getElementById("upload-status") || {}).textContent || ""});
    sessionStorage.setItem("zhifa-progress", JSON.stringify(seen));
  }).observe(bar, {attributes: true, attributeFilter: ["value"]});
});
"""


def mp4_like(path: Path, size: int) -> Path:
    """An ISO base media file header (`ftyp` box, brand isom) and filler: accepted as video/mp4 by content."""
    head = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    path.write_bytes(head + os.urandom(size - len(head)))
    return path


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env["PYTHONPATH"] = str(PROJECT)
    return env


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def evidence_dirs(settings, tmp_path: Path) -> None:  # noqa: ANN001
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "keys" / "ledger.pem"
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"
    settings.DATA_DIR = tmp_path / "data"


def test_upload_video_then_download_and_verify_the_archive_package(
    site: str, new_page: Callable[..., Page], login: Callable[..., None], agency_a: AgencyPersonas,
    evidence_dirs: None, tmp_path: Path,
) -> None:
    video = mp4_like(tmp_path / FILENAME, SIZE)
    page = new_page(accept_downloads=True)
    page.add_init_script(RECORD_PROGRESS)
    chunk_puts: list[str] = []
    page.on("request", lambda r: chunk_puts.append(r.url) if r.method == "PUT" else None)
    login(page, "a_officer")

    # Upload page: the file, the stream and the capture metadata.
    page.goto(f"{site}/staff/records/upload/")
    page.get_by_label("文件").set_input_files(str(video))
    page.get_by_label("记录流").fill(STREAM)
    expect(page.get_by_label("采集时间")).not_to_have_value("")  # prefilled with now
    page.get_by_label("设备编号（执法记录仪等）").fill("DSJ-2026-07")
    page.get_by_label("时长（秒，音视频）").fill("95")
    bar = page.get_by_role("progressbar", include_hidden=True)  # the <progress>, shown once the upload starts
    expect(bar).to_have_attribute("max", "100")
    expect(bar).to_be_hidden()
    page.get_by_role("button", name="上传").click()

    # The progress bar ran through the chunks to 100%, then the page went on to the evidence viewer.
    expect(page.get_by_role("heading", name=FILENAME, level=1)).to_be_visible()
    seen = page.evaluate("JSON.parse(sessionStorage.getItem('zhifa-progress') || '[]')")
    values = [int(s["value"]) for s in seen]
    assert len(chunk_puts) == 3, chunk_puts
    assert values[-1] == 100 and seen[-1]["max"] == "100", seen
    assert any(0 < v < 100 for v in values), values  # it moved, not just jumped
    assert values == sorted(values), values
    assert any("（100%）" in s["text"] for s in seen), seen
    evidence = Evidence.objects.get(stream=STREAM)
    assert evidence.size == SIZE and evidence.content_type == "video/mp4" and evidence.device_serial == "DSJ-2026-07"

    # The stream's timeline lists it; its viewer plays it in a <video>.
    page.get_by_role("link", name="记录流时间线").click()
    expect(page.get_by_role("heading", name="记录流时间线")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=f"文件“{FILENAME}”")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("evidence.added")
    expect(row).to_contain_text("MP4 视频")
    row.get_by_role("link", name="查看证据").click()
    expect(page.get_by_role("heading", name=FILENAME, level=1)).to_be_visible()
    player = page.locator("video")
    expect(player).to_have_count(1)
    expect(player).to_have_attribute("src", f"/staff/records/evidence/{evidence.public_id}/media/")

    # 下载归档包 on the timeline: the package is built by the worker (ADR 0028), then offered on the same page.
    page.get_by_role("link", name="记录流时间线").click()
    page.get_by_role("button", name="下载归档包").click()
    expect(page.locator("#archive-packages")).to_contain_text("归档包已排队")
    assert outside_the_event_loop(run_pending) == 1
    with page.expect_download() as info:
        page.locator("#archive-packages").get_by_role("link", name="下载归档包").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".zip")
    saved = tmp_path / "download" / download.suggested_filename
    download.save_as(saved)
    with zipfile.ZipFile(saved) as zf:
        tops = {name.split("/", 1)[0] for name in zf.namelist()}
        assert len(tops) == 1
        zf.extractall(tmp_path / "unzipped")
    package = tmp_path / "unzipped" / tops.pop()
    blob = package / "data" / "blobs" / evidence.sha256
    assert blob.stat().st_size == SIZE

    # The log's key as a recipient gets it, from the public transparency page, pinned for the check.
    vkey = page.request.get(f"{site}/transparency/vkey.txt").text().strip()

    verified = run("-m", "zhifa.records.verify", str(package), "--key", vkey, env=offline_env())
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "核验通过 VERIFIED" in verified.stdout and f"记录流 {STREAM}" in verified.stdout
    assert "1 个证据文件" in verified.stdout

    # `zhifa verify` says the same.
    cli_env = {**offline_env(), "DJANGO_SETTINGS_MODULE": "zhifa.settings.test", "ZHIFA_DATA_DIR": str(tmp_path / "d")}
    cli = run("-m", "zhifa.cli", "verify", str(package), "--key", vkey, env=cli_env)
    assert cli.returncode == 0 and "核验通过" in cli.stdout, cli.stdout + cli.stderr

    # One flipped byte in the video, in a copy: the verifier fails, naming the file.
    tampered = tmp_path / "tampered"
    shutil.copytree(package, tampered)
    copy = tampered / "data" / "blobs" / evidence.sha256
    data = bytearray(copy.read_bytes())
    data[SIZE // 2] ^= 0x01
    copy.chmod(0o644)
    copy.write_bytes(bytes(data))
    failed = run("-m", "zhifa.records.verify", str(tampered), "--key", vkey, env=offline_env())
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "核验失败 FAILED" in failed.stdout and evidence.sha256 in failed.stdout
