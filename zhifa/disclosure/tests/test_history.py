"""The provable publication history (ADR 0045): every publish, correction, withdrawal and expiry is a ledger entry
of the disclosure stream carrying the snapshot's hash (DISC-24, DISC-25, REC-9); the public proof endpoint; the
public archive package of the stream, verified offline, naming a changed or removed snapshot and listing what was
public on a day."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zhifa.disclosure import history, services
from zhifa.disclosure.models import PublicationAction, PublicationEvent, PublicEntry
from zhifa.disclosure.tests.test_portal import (  # noqa: F401 - _portal_settings is an autouse fixture
    DUMPING_ITEM,
    WATER_ITEM,
    _portal_settings,
    current_entry,
    draft_power_item,
    make_org,
    power_item_data,
    published_power_item,
    review_and_publish,
)
from zhifa.records import merkle, verify
from zhifa.records.archive import archive_export
from zhifa.records.checkpoints import checkpoint_create, public_key
from zhifa.records.models import ArchivePackage, LedgerEntry, PackageStatus
from zhifa.records.packages import archive_package_build
from zhifa.registry import models as reg
from zhifa.registry import services as registry

PROJECT = Path(__file__).resolve().parents[3]
SHANGHAI = ZoneInfo("Asia/Shanghai")
STREAM = history.STREAM


@pytest.fixture(autouse=True)
def stores(settings: Any, tmp_path: Path) -> None:
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "keys" / "ledger.pem"
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"
    settings.DATA_DIR = tmp_path / "data"


@contextmanager
def at(year: int, month: int, day: int, hour: int = 10) -> Iterator[None]:
    """Everything written inside happens at that Beijing time."""
    moment = datetime(year, month, day, hour, tzinfo=SHANGHAI)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def export(tmp_path: Path, name: str = "pkg") -> Path:
    """The disclosure stream's package, as the public download builds it."""
    return archive_export(stream=STREAM, output=tmp_path / name, include_leaves=False).path


def snapshot_file(package: Path, entry: PublicEntry) -> Path:
    return package / "data" / "blobs" / entry.snapshot_sha256


def disclosure_lines(package: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (package / verify.ENTRIES).read_text("utf-8").splitlines()]


def failures(report: verify.Report) -> str:
    return "\n".join(f.line("FAIL") for f in report.failures)


@pytest.mark.django_db
def test_disc24_every_publish_correct_withdraw_and_expire_is_a_ledger_entry_with_the_snapshot_hash() -> None:
    """DISC-24/DISC-25: publish, correction (new version), withdrawal and expiry each append a disclosure entry
    carrying the SHA-256 of the snapshot's canonical bytes, which the row stores too."""
    org = make_org("锦江区水务局", 1)
    item = published_power_item(org)
    first = current_entry(item)
    assert first.snapshot_sha256 == hashlib.sha256(history.snapshot_bytes(first)).hexdigest()
    item = registry.entry_update(actor=org.admin, slug="power_item", obj=item,
                                 data=power_item_data(org, WATER_ITEM + "（修订）", "330217001"))
    item = review_and_publish(org, item)
    second = current_entry(item)
    registry.entry_withdraw(actor=org.admin, obj=item)
    other = published_power_item(org, DUMPING_ITEM, "330217002")
    services.public_entry_expire(obj=other)

    events = list(PublicationEvent.objects.filter(entry__kind="power_item").order_by("seq"))
    assert [(e.entry_id, e.action) for e in events] == [
        (first.pk, PublicationAction.PUBLISH), (second.pk, PublicationAction.CORRECT),
        (second.pk, PublicationAction.WITHDRAW), (current_entry_or_last(other).pk, PublicationAction.PUBLISH),
        (current_entry_or_last(other).pk, PublicationAction.EXPIRE),
    ]
    for event in events:
        content = json.loads(bytes(LedgerEntry.objects.get(seq=event.seq).canonical))
        assert content["stream"] == STREAM and content["actor"] is None
        assert content["payload"]["snapshot_sha256"] == event.snapshot_sha256 == event.entry.snapshot_sha256
        assert content["blobs"] == [{"sha256": event.snapshot_sha256, "size": len(history.snapshot_bytes(event.entry)),
                                     "content_type": "application/json"}]
    assert PublicEntry.objects.get(pk=second.pk).withdrawn_at is not None  # DISC-25: kept, marked withdrawn


def current_entry_or_last(obj: Any) -> PublicEntry:
    return PublicEntry.objects.filter(source_id=obj.pk, kind="power_item").order_by("-version").first()  # type: ignore[return-value]


@pytest.mark.django_db
def test_disc24_offline_flip_one_byte_in_a_published_snapshot_and_the_verifier_names_it(tmp_path: Path) -> None:
    """The bar of issue 12: export the disclosure stream, flip one byte in a published snapshot, and the verifier
    (run as its own process, without Django or a database) names it."""
    org = make_org("锦江区水务局", 1)
    entry = current_entry(published_power_item(org))
    package = export(tmp_path)
    key = public_key()

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "zhifa.records.verify", str(package), "--key", key],
                              capture_output=True, text=True, cwd=PROJECT, env={"PYTHONPATH": str(PROJECT)},
                              timeout=120)

    clean = run()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "核验通过" in clean.stdout

    target = snapshot_file(package, entry)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    tampered = run()
    assert tampered.returncode == 1
    assert f"公示快照 {entry.public_id} 第 1 版（power_item）" in tampered.stdout
    assert f"data/blobs/{entry.snapshot_sha256}" in tampered.stdout


@pytest.mark.django_db
def test_disc25_a_removed_snapshot_file_is_named(tmp_path: Path) -> None:
    org = make_org("锦江区水务局", 1)
    entry = current_entry(published_power_item(org))
    package = export(tmp_path)
    assert verify.verify_package(package, key=public_key()).ok
    snapshot_file(package, entry).unlink()
    report = verify.verify_package(package, key=public_key())
    assert not report.ok
    assert any(f.path == f"data/blobs/{entry.snapshot_sha256}" and str(entry.public_id) in f.zh
               for f in report.failures), failures(report)


@pytest.mark.django_db
def test_disc25_an_entry_left_out_of_the_history_breaks_the_chain(tmp_path: Path) -> None:
    """DISC-25/REC-9: each disclosure entry names the stream's previous one; a package missing one is refused."""
    org = make_org("锦江区水务局", 1)
    published_power_item(org)
    published_power_item(org, DUMPING_ITEM, "330217002")
    package = export(tmp_path)
    lines = disclosure_lines(package)
    removed = lines.pop(1)
    (package / verify.ENTRIES).write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    report = verify.verify_package(package, key=public_key())
    assert any(f.seq == lines[1]["seq"] and str(removed["seq"]) in f.zh for f in report.failures), failures(report)


@pytest.mark.django_db
def test_disc24_as_of_reconstructs_what_was_public_across_publish_new_version_and_withdraw(tmp_path: Path) -> None:
    """`--as-of`: the versions public at the end of a day, across publish → new version → withdrawal."""
    with at(2026, 9, 1):
        org = make_org("锦江区水务局", 1)
        item = published_power_item(org)
        first = current_entry(item)
    with at(2026, 10, 9):
        item = registry.entry_update(actor=org.admin, slug="power_item", obj=item,
                                     data=power_item_data(org, WATER_ITEM + "（修订）", "330217001"))
        item = review_and_publish(org, item)
        second = current_entry(item)
    with at(2026, 11, 2):
        registry.entry_withdraw(actor=org.admin, obj=item)
    package = export(tmp_path)

    def public_on(day: date) -> set[tuple[str, int, str]]:
        report = verify.Report()
        items = verify.verify_history.check_history(report, package, day) or []
        assert report.ok, failures(report)
        return {(i.public_id, i.version, i.title) for i in items if i.kind == "power_item"}

    assert public_on(date(2026, 8, 31)) == set()
    assert public_on(date(2026, 9, 1)) == {(str(first.public_id), 1, WATER_ITEM)}
    assert public_on(date(2026, 10, 8)) == {(str(first.public_id), 1, WATER_ITEM)}
    assert public_on(date(2026, 10, 9)) == {(str(second.public_id), 2, WATER_ITEM + "（修订）")}
    assert public_on(date(2026, 11, 2)) == set()
    # The same through the command line, offline.
    out = subprocess.run([sys.executable, "-m", "zhifa.records.verify", str(package), "--key", public_key(),
                          "--as-of", "2026-10-09"], capture_output=True, text=True, cwd=PROJECT,
                         env={"PYTHONPATH": str(PROJECT)}, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"power_item {second.public_id} 第 2 版 《{WATER_ITEM}（修订）》" in out.stdout


@pytest.mark.django_db
def test_rec9_no_personal_data_and_no_snapshot_text_in_the_ledger(tmp_path: Path) -> None:
    """Non-negotiable: a disclosure entry holds identity, action and hash only. A phone number (and every other
    word of the snapshot) stays out of the ledger's canonical bytes; so do the publishing officer's name and login;
    the snapshot bytes travel in the package only."""
    org = make_org("锦江区水务局", 1, phone="13812345678")
    entry = current_entry(org.agency)
    assert "13812345678" in history.snapshot_bytes(entry).decode()
    rows = LedgerEntry.objects.filter(stream=STREAM)
    assert rows.exists()
    for row in rows:
        text = bytes(row.canonical).decode()
        for secret in ("13812345678", "锦江区水务局", org.admin.username, org.admin.full_name or org.admin.username):
            assert secret not in text
    package = export(tmp_path)
    assert "13812345678" not in (package / verify.ENTRIES).read_text("utf-8")
    assert "13812345678" in snapshot_file(package, entry).read_text("utf-8")


@pytest.mark.django_db
def test_disc24_proof_endpoint_verifies_with_the_rfc6962_code(client: Client) -> None:
    """The public proof of a published version: its latest disclosure entry, included in the latest signed
    checkpoint (verified here with `merkle.verify_inclusion` and the checkpoint's signature)."""
    org = make_org("锦江区水务局", 1)
    entry = current_entry(published_power_item(org))
    url = reverse("api-v1:public_entry_proof", args=[entry.public_id])
    pending = client.get(url).json()
    assert pending["status"] == "pending" and pending["inclusion_proof"] == []

    checkpoint_create()
    proof = client.get(url).json()
    assert proof["status"] == "included" and proof["action"] == "publish"
    canonical = proof["canonical"].encode()
    leaf = merkle.leaf_hash(canonical)
    assert leaf.hex() == proof["leaf_hash"]
    assert json.loads(canonical)["payload"]["snapshot_sha256"] == proof["snapshot_sha256"] == entry.snapshot_sha256
    root = base64.b64decode(proof["root_hash"])
    hashes = [base64.b64decode(h) for h in proof["inclusion_proof"]]
    assert merkle.verify_inclusion(leaf, proof["leaf_index"], proof["tree_size"], hashes, root)
    signed = verify.parse_vkey(proof["log_public_key"])
    report = verify.Report()
    note = verify._parse_checkpoint(report, proof["checkpoint"], "proof")
    assert note is not None and note.root == root and note.size == proof["tree_size"]
    verify._check_signature(report, note, signed, "proof")
    assert report.ok, failures(report)

    page = client.get(reverse("portal:entry", args=[entry.public_id])).content.decode()
    assert url in page and "公示证明" in page


@pytest.mark.django_db
def test_disc24_another_agencys_unpublished_data_never_appears(client: Client, tmp_path: Path) -> None:
    """Neither the proof endpoint nor the history package reveals anything not published: agency B's draft entry
    (which the registry's own stream records) and its ids are absent; only the disclosure stream is exported."""
    org = make_org("锦江区水务局", 1)
    published_power_item(org)
    other = make_org("青羊区城管局", 2, publish=False)
    secret = "在城市道路上违法占道经营的处罚（草稿）"
    draft = draft_power_item(other, secret, "330217099")
    assert LedgerEntry.objects.exclude(stream=STREAM).filter(agency_id=other.agency.pk).exists()
    assert client.get(reverse("api-v1:public_entry_proof", args=[draft.public_id])).status_code == 404

    package = export(tmp_path)
    assert {line["seq"] for line in disclosure_lines(package)} == set(
        LedgerEntry.objects.filter(stream=STREAM).values_list("seq", flat=True))
    for path in package.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace")
            assert secret not in text and "青羊区城管局" not in text, path
            assert str(other.agency.public_id) not in text and str(draft.public_id) not in text, path
    assert not (package / verify.LEAVES).exists() and not (package / verify.PERSONAL).exists()


@pytest.mark.django_db
def test_portal_history_page_builds_a_public_package_anyone_can_download_and_verify(
    client: Client, tmp_path: Path,
) -> None:
    """公示历史下载: no login; the request queues one package (reused while the stream is unchanged), the page
    shows progress, then the zip, which the offline verifier accepts."""
    page = client.get(reverse("portal:history"))
    assert page.status_code == 200 and "尚无公示记录" in page.content.decode()
    org = make_org("锦江区水务局", 1)
    published_power_item(org)
    assert "公示历史下载" in client.get(reverse("portal:history")).content.decode()

    response = client.post(reverse("portal:history"))
    assert response.status_code == 302
    package = ArchivePackage.objects.get()
    assert response["Location"] == reverse("portal:history_package", args=[package.public_id])
    waiting = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' in waiting and "排队" in waiting
    assert client.post(reverse("portal:history"))["Location"] == response["Location"]  # reused, not queued again

    package = archive_package_build(package_id=package.pk)
    assert package.status == PackageStatus.READY
    ready = client.get(response["Location"]).content.decode()
    download_url = reverse("portal:history_package_download", args=[package.public_id])
    assert download_url in ready and 'http-equiv="refresh"' not in ready
    assert client.post(reverse("portal:history"))["Location"] == response["Location"]  # still current

    zipped = client.get(download_url)
    assert zipped.status_code == 200 and zipped["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(zipped.streaming_content))) as zf:
        zf.extractall(tmp_path / "unzipped")
    (folder,) = (tmp_path / "unzipped").iterdir()
    report = verify.verify_package(folder, key=public_key(), as_of=timezone.localdate())
    assert report.ok, failures(report)
    assert any(WATER_ITEM in note for note in report.notes)

    published_power_item(org, DUMPING_ITEM, "330217002")  # the stream moved on: a new package
    assert client.post(reverse("portal:history"))["Location"] != response["Location"]


@pytest.mark.django_db
def test_disc24_backfill_records_the_history_of_rows_published_before_the_upgrade(tmp_path: Path) -> None:
    """The data migration: rows published before the history existed get their hash and one entry per past
    publication and withdrawal, at the upgrade, with their original times for `--as-of`."""
    migration = __import__("zhifa.disclosure.migrations.0006_publication_history_backfill", fromlist=["backfill"])
    with at(2026, 3, 2):
        org = make_org("锦江区水务局", 1)
        item = published_power_item(org)
    with at(2026, 5, 6):
        registry.entry_withdraw(actor=org.admin, obj=item)
        hidden = current_entry(published_power_item(make_org("未公开的执法局", 2, publish=False), DUMPING_ITEM, "X1"))
    # As before the upgrade: no hashes, no history.
    PublicationEvent.objects.all().delete()
    PublicEntry.objects.update(snapshot_sha256="")

    migration.backfill(django_apps, None)
    entry = PublicEntry.objects.get(kind="power_item", agency=org.agency)
    assert entry.snapshot_sha256 == history.snapshot_sha256(entry)
    hidden.refresh_from_db()
    assert hidden.snapshot_sha256 == history.snapshot_sha256(hidden) and not hidden.events.exists()  # DISC-3
    assert list(entry.events.values_list("action", flat=True)) == ["publish", "withdraw"]
    package = export(tmp_path)
    report = verify.verify_package(package, key=public_key())
    assert report.ok, failures(report)
    items = verify.verify_history.check_history(verify.Report(), package, date(2026, 4, 1)) or []
    assert [i.public_id for i in items if i.kind == "power_item"] == [str(entry.public_id)]
    assert not [i for i in verify.verify_history.check_history(verify.Report(), package, date(2026, 5, 6)) or []
                if i.kind == "power_item"]
    assert reg.PowerItem.objects.filter(pk=item.pk).exists()


@pytest.mark.django_db
def test_disc25_a_snapshot_row_altered_behind_the_services_is_named_by_deep_verify_and_the_package(
    tmp_path: Path,
) -> None:
    """DISC-25/REC-9: a published snapshot changed in the database (straight SQL) no longer hashes to what the
    ledger recorded: `zhifa verify --deep` names it, and so does the offline verifier of the next package."""
    org = make_org("锦江区水务局", 1)
    entry = current_entry(published_power_item(org))
    out = StringIO()
    call_command("verify", "--deep", "--only", "disclosure", stdout=out)
    assert "深度核验通过" in out.getvalue()

    with connection.cursor() as cursor:
        cursor.execute("UPDATE disclosure_publicentry SET title = %s WHERE id = %s", ["改过的标题", entry.pk])
    with pytest.raises(CommandError):
        call_command("verify", "--deep", "--only", "disclosure", stdout=(out := StringIO()))
    assert f"公开信息 {entry.public_id} 第 1 版 公开内容哈希" in out.getvalue()

    package = export(tmp_path)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify", str(package), "--key", public_key(), "--as-of", "2030-01-01", stdout=out)
    assert f"公示快照 {entry.public_id} 第 1 版（power_item）" in out.getvalue()


@pytest.mark.django_db
def test_disc3_entries_of_an_agency_that_is_not_public_enter_the_history_only_when_it_becomes_public(
    client: Client, tmp_path: Path,
) -> None:
    """DISC-3 with DISC-24: an agency's entries are public only while its subject information is. A power item
    published under a hidden agency has no history entry, no proof and no file in the package; publishing the
    agency records it as published; withdrawing the agency records it as withdrawn with it."""
    hidden = make_org("未公开的执法局", 2, publish=False)
    item = published_power_item(hidden, name="在河道管理范围内采砂的处罚", code="X1")
    entry = current_entry(item)
    assert entry.snapshot_sha256 and not entry.events.exists()
    assert client.get(reverse("api-v1:public_entry_proof", args=[entry.public_id])).status_code == 404
    published_power_item(make_org("锦江区水务局", 1))
    package = export(tmp_path, "before")
    assert not snapshot_file(package, entry).exists()
    for path in package.rglob("*"):
        if path.is_file():
            assert "采砂" not in path.read_bytes().decode("utf-8", errors="replace"), path

    registry.entry_publish(actor=hidden.admin, obj=hidden.agency)
    assert list(entry.events.values_list("action", flat=True)) == ["publish"]
    assert client.get(reverse("api-v1:public_entry_proof", args=[entry.public_id])).status_code == 200
    registry.entry_withdraw(actor=hidden.admin, obj=hidden.agency)
    assert list(entry.events.values_list("action", flat=True)) == ["publish", "withdraw"]
    package = export(tmp_path, "after")
    report = verify.verify_package(package, key=public_key(), as_of=timezone.localdate())
    assert report.ok, failures(report)
    assert not any("采砂" in note for note in report.notes)
    assert snapshot_file(package, entry).exists()  # it was public for a while: its content is part of the history
