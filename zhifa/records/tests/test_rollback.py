"""FC-7: an old backup restored after the witness co-signed a longer log is caught at start-up, writes stay refused
until an operator records a signed restore event, and the witness continues only from that statement."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from zhifa.records import checkpoints, ledger, signednote
from zhifa.records.backup import create_backup, restore_backup
from zhifa.records.ledger import LedgerError, ledger_append, tree_head
from zhifa.records.models import LedgerHead, RestoreEvent
from zhifa.records.rollback import (
    RestoreRefused,
    check_against_witness,
    cosigned_note,
    cosigned_sizes,
    record_restore,
    set_witnessed_size,
    witness_checkpoint,
    writes_refused,
)
from zhifa.records.witness import Witness, WitnessRefused, open_restore_statement, parse_vkey


@pytest.fixture
def site(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    settings.ZHIFA_BLOB_DIR = tmp_path / "data" / "blobs"
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "keys" / "ledger.pem"
    settings.ZHIFA_WITNESS_STATE_DIR = str(tmp_path / "witness")
    return tmp_path


def append(n: int, tag: str = "") -> None:
    for i in range(n):
        with transaction.atomic():
            ledger_append(kind="test.entry", stream="test", agency_id=None, actor=None, payload={"i": i, "tag": tag})


def witnessed_size() -> int:
    return LedgerHead.objects.get(pk=1).witnessed_size


@pytest.mark.usefixtures("ledger_db")
def test_witness_checkpoint_cosigns_and_keeps_the_cosigned_note(site: Path) -> None:
    append(5)
    note = witness_checkpoint()
    witness = Witness(site / "witness")
    parsed = signednote.parse_note(note)
    assert parsed.size == 5
    assert signednote.verify_signature(parsed, parse_vkey(witness.vkey))
    assert signednote.verify_signature(parsed, parse_vkey(checkpoints.public_key()))
    assert cosigned_note(5) == note and cosigned_sizes() == [5]
    assert witnessed_size() == 5
    append(7)
    witness_checkpoint()  # with a consistency proof from 5 to 12
    assert witness.state("zhifa.local/ledger").size == 12  # type: ignore[union-attr]
    assert witnessed_size() == 12 and cosigned_sizes() == [5, 12]
    assert check_against_witness().state == "ok"


@pytest.mark.usefixtures("ledger_db")
def test_fc7_old_backup_is_refused_until_a_signed_restore_event(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    append(6)
    backup = create_backup(site / "backups")
    assert backup.ledger_size == 6
    append(4)
    witness_checkpoint()  # the witness now holds size 10
    assert tree_head()[0] == 10
    # An archive package exported before the loss keeps every leaf hash (data/leaves.txt): it proves the prefix.
    from zhifa.records.models import LedgerEntry

    leaves_file = site / "leaves.txt"
    leaves_file.write_text("".join(f"{seq} {bytes(h).hex()}\n"
                                   for seq, h in LedgerEntry.objects.order_by("seq").values_list("seq", "leaf_hash")))

    report = restore_backup(backup.path, force=True)  # the old backup comes back
    assert report.ok, report.problems  # it is a sound ledger...
    assert report.rollback is not None and report.rollback.refused  # ...but shorter than what the witness signed
    assert tree_head()[0] == 6
    with pytest.raises(LedgerError, match="拒绝写入"):
        append(1)

    # The refusal does not live in the database alone: resetting LedgerHead by SQL is undone at the next start-up.
    set_witnessed_size(0)
    call_command("restore", "--check")
    assert "小于见证方已签署的长度 10" in capsys.readouterr().err
    with pytest.raises(LedgerError, match="拒绝写入"):
        append(1)

    call_command("record_restore", "--operator", "运维 张三", "--reason", "服务器磁盘损坏，从周一备份恢复",
                 "--leaves", str(leaves_file))
    out = capsys.readouterr().out
    assert "写入已恢复" in out and "zhifa witness accept-restore" in out
    event = RestoreEvent.objects.get()
    assert (event.ledger_size, event.witnessed_size, event.operator) == (6, 10, "运维 张三")
    statement = open_restore_statement(event.signature, checkpoints.public_key())
    assert (statement.ledger_size, statement.witnessed_size) == (6, 10)
    append(2)  # writes resume
    assert tree_head()[0] == 8

    # Later start-ups accept the acknowledged gap, but the witness does not co-sign until it accepts the statement.
    assert check_against_witness().state == "acknowledged"
    with pytest.raises(WitnessRefused, match="shrink"):
        witness_checkpoint()
    assert not writes_refused()
    statement_file = next((site / "data" / "restore-events").iterdir())
    call_command(
        "witness", "accept-restore", "--state", str(site / "witness"), "--log-key", checkpoints.public_key(),
        str(statement_file),
    )
    witness_checkpoint()  # from 6 to 8
    assert Witness(site / "witness").state("zhifa.local/ledger").size == 8  # type: ignore[union-attr]
    assert check_against_witness().state == "ok"


@pytest.mark.usefixtures("ledger_db")
def test_a_fork_behind_a_reset_head_is_caught(site: Path) -> None:
    """Someone restores the old backup, resets LedgerHead by SQL and keeps writing past the witnessed size."""
    append(6)
    backup = create_backup(site / "backups")
    append(4)
    witness_checkpoint()
    restore_backup(backup.path, force=True)
    set_witnessed_size(0)
    append(6, tag="other history")  # size 12, but entries 6..9 differ from what the witness signed
    status = check_against_witness()
    assert status.refused and "分叉" in status.message
    with pytest.raises(LedgerError):
        append(1)
    with pytest.raises(WitnessRefused, match="inconsistent"):
        witness_checkpoint()


@pytest.mark.usefixtures("ledger_db")
def test_record_restore_refuses_when_there_is_nothing_to_acknowledge_or_the_ledger_is_bad(site: Path) -> None:
    append(3)
    witness_checkpoint()
    with pytest.raises(RestoreRefused, match="无需登记"):
        record_restore(operator="张三", reason="试试")
    with pytest.raises(RestoreRefused, match="必须填写"):
        record_restore(operator=" ", reason="原因")
    with pytest.raises(CommandError, match="无需登记"):
        call_command("record_restore", "--operator", "张三", "--reason", "试试")


@pytest.mark.usefixtures("ledger_db")
def test_a_forged_restore_event_does_not_cover_a_rollback(site: Path) -> None:
    """A database administrator inserts a restore event without the log key: it does not count."""
    append(6)
    backup = create_backup(site / "backups")
    append(4)
    witness_checkpoint()
    restore_backup(backup.path, force=True)
    other_key = signednote.load_or_create_signer(site / "other.pem", "zhifa.local/ledger")
    from zhifa.records.witness import restore_statement_body

    body = restore_statement_body(
        origin="zhifa.local/ledger", ledger_size=6, ledger_root=tree_head()[1], witnessed_size=10,
        witnessed_root=None, operator="x", reason="y", at=__import__("django.utils.timezone").utils.timezone.now(),
    )
    RestoreEvent.objects.create(
        ledger_size=6, witnessed_size=10, operator="x", reason="y", signature=signednote.sign_note(body, other_key)
    )
    set_witnessed_size(0)
    assert check_against_witness().refused


@pytest.mark.usefixtures("ledger_db")
def test_without_a_witness_the_check_is_skipped(site: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ZHIFA_WITNESS_STATE_DIR = ""
    append(2)
    status = check_against_witness()
    assert status.state == "unchecked" and not writes_refused()
    assert ledger.tree_head()[0] == 2


@pytest.mark.django_db
def test_the_witness_accepts_zhifa_archive_proof_output(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The bureau's workflow with a remote witness: the log operator sends `zhifa archive proof OLD_SIZE`, the
    bureau runs `zhifa witness cosign` on it."""
    state = str(site / "bureau")
    call_command("witness", "init", "--state", state, "--name", "sfj.example/witness")
    append(5)
    first = site / "cp5.txt"
    first.write_text(checkpoints.checkpoint_create().note)
    capsys.readouterr()
    call_command("witness", "cosign", "--state", state, "--log-key", checkpoints.public_key(), str(first))
    assert capsys.readouterr().out.startswith("\u2014 sfj.example/witness ")
    append(4)
    call_command("archive", "proof", "5")
    later = site / "cp9.txt"
    later.write_text(capsys.readouterr().out)
    assert "\n\nconsistency 5 9\n" in later.read_text()
    call_command("witness", "cosign", "--state", state, "--log-key", checkpoints.public_key(), str(later))
    assert Witness(Path(state)).state("zhifa.local/ledger").size == 9  # type: ignore[union-attr]
    capsys.readouterr()
    call_command("archive", "proof", "3")  # a proof from the wrong size: the witness says what it holds
    wrong = site / "cp9b.txt"
    wrong.write_text(capsys.readouterr().out)
    with pytest.raises(CommandError, match="stale.*9"):
        call_command("witness", "cosign", "--state", state, "--log-key", checkpoints.public_key(), str(wrong))


@pytest.mark.usefixtures("ledger_db")
def test_fc7_without_witness_the_exported_checkpoint_catches_an_old_backup(site: Path, settings) -> None:  # type: ignore[no-untyped-def]
    """ADR 0017 (TP-2, FC-7): with only an off-box checkpoint folder (the production minimum), restoring an old
    backup is refused at start-up like against a witness, until a signed restore event; deep verification agrees."""
    from zhifa.records.deep import run_deep

    settings.ZHIFA_WITNESS_STATE_DIR = ""
    settings.ZHIFA_CHECKPOINT_EXPORT_DIR = str(site / "offbox")
    (site / "offbox").mkdir()
    append(6)
    backup = create_backup(site / "backups")
    append(4)
    checkpoints.checkpoint_create()  # exported: checkpoint-000000000010.txt
    assert check_against_witness().state == "ok"
    report = restore_backup(backup.path, force=True)
    assert report.rollback is not None and report.rollback.refused
    with pytest.raises(LedgerError):
        append(1)
    assert any("外送检查点" in p and "截短" in p for p in run_deep().problems)
    record_restore(operator="运维 张三", reason="磁盘损坏")
    assert check_against_witness().state == "acknowledged"
    append(2)
    assert run_deep().ok, run_deep().problems
    # a forged file in the folder (not signed by the log key) is an error, not silently trusted
    (site / "offbox" / "checkpoint-999999999999.txt").write_text("zhifa.local/ledger\n1\nAAAA\n\n— x AAAA\n")
    assert check_against_witness().state == "error"
