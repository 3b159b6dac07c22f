"""Issue 9 defect 3, reliability.md TP-1/TP-2 (business rows): `zhifa verify --deep` recomputes from the ledger
the rows it records and names every row edited behind the services — a fine, a case state, a document number,
a party's name or personal-data record (the ID number itself lives encrypted in the vault, ADR 0018) — and a ledger shorter than the checkpoint kept off the box (ADR 0017)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from zhifa.cases.models import Case, Party
from zhifa.cases.testing import make_case_world, new_penalty_case, walk_to
from zhifa.documents.models import Document
from zhifa.records import deep
from zhifa.records.personal import personal_record_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def stores(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"
    settings.ZHIFA_SEAL_DIR = tmp_path / "seals"
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "keys" / "ledger.pem"
    settings.ZHIFA_CHECKPOINT_EXPORT_DIR = ""
    settings.DATA_DIR = tmp_path / "data"
    return tmp_path


@pytest.fixture
def decided(agency_a, stores) -> Case:  # type: ignore[no-untyped-def]
    world = make_case_world(agency_a)
    case = new_penalty_case(world)
    return walk_to(world, case, "decided", fine="20000")


def deep_verify() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify", "--deep", stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def sql(statement: str, params: list) -> None:  # type: ignore[type-arg]
    with connection.cursor() as cursor:  # straight SQL: no ORM, no service, no ledger entry
        cursor.execute(statement, params)


def test_untouched_database_verifies(decided: Case) -> None:
    code, output = deep_verify()
    assert code == 0, output
    assert "深度核验通过" in output
    assert set(deep.registered()) >= {"cases", "documents", "evidence"}


def test_fine_edited_by_sql_is_named(decided: Case) -> None:
    """The issue's bar: an edited fine is named with the case, the field and both values."""
    assert decided.penalty.fine_amount == 20000
    sql("UPDATE cases_penaltydetail SET fine_amount = %s WHERE case_id = %s", ["500.00", decided.pk])
    code, output = deep_verify()
    assert code == 1
    assert f"案件 {decided.reference} 罚款金额（元）：数据库 500.00，台账 20000.00" in output


def test_state_document_number_and_party_edited_by_sql_are_named(decided: Case) -> None:
    document = Document.objects.filter(subject_id=decided.public_id).exclude(number="").first()
    assert document is not None
    party = Party.objects.filter(case=decided, kind="person").first()
    assert party is not None
    sql("UPDATE cases_case SET state = %s WHERE id = %s", ["closed", decided.pk])
    sql("UPDATE documents_document SET number = %s WHERE id = %s", ["伪造〔2026〕99号", document.pk])
    # A vault record holding another ID number (as one with the master key could write), swapped in behind the
    # services, and the party renamed.
    forged = personal_record_create(values={"id_number": "110101199003070000", "phone": "", "address": ""},
                                    stream=decided.stream, agency_id=decided.agency_id)
    sql("UPDATE cases_party SET personal_id = %s, name = %s WHERE id = %s", [forged.pk, "王五", party.pk])
    code, output = deep_verify()
    assert code == 1
    assert f"案件 {decided.reference} 状态：数据库 closed，台账 decided" in output
    assert f"文号：数据库 伪造〔2026〕99号，台账 {document.number}" in output
    assert "当事人 王五 姓名或名称：数据库 王某，台账" in output
    assert "当事人 王五 个人信息记录：数据库" in output


def test_rows_inserted_or_deleted_behind_the_ledger_are_named(decided: Case) -> None:
    sql("INSERT INTO cases_party (public_id, case_id, kind, name, uscc, legal_representative,"
        " electronic_service_consent, created_at) VALUES (%s, %s, 'person', '冒名', '', '', %s, %s)",
        ["0" * 32, decided.pk, False, "2026-01-01 00:00:00"])
    code, output = deep_verify()
    assert code == 1 and "当事人 冒名" in output and "没有登记记录" in output


def test_truncated_tail_caught_against_the_exported_checkpoint(stores, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """TP-2: with an off-box checkpoint folder, a ledger shorter than the exported checkpoint is reported."""
    from django.db import transaction

    from zhifa.records.checkpoints import checkpoint_create
    from zhifa.records.ledger import ledger_append

    for i in range(10):
        with transaction.atomic():
            ledger_append(kind="test.entry", stream="test", agency_id=None, actor=None, payload={"i": i})

    settings.ZHIFA_CHECKPOINT_EXPORT_DIR = str(tmp_path / "offbox")
    (tmp_path / "offbox").mkdir()
    checkpoint = checkpoint_create()
    assert deep_verify()[0] == 0
    # the attacker drops the triggers (rolled back with the test's transaction) and cuts the last 3 entries
    from zhifa.records.testing import drop_triggers

    size = checkpoint.size
    drop_triggers()
    _truncate(size - 3)
    code, output = deep_verify()
    assert code == 1
    assert f"外送检查点 checkpoint-{size:012d}.txt 已签署 {size} 条" in output


def _truncate(new_size: int) -> None:
    """Cut the ledger to `new_size` entries consistently (head, frontier, nodes), as an insider would."""
    from zhifa.records import ledger, merkle
    from zhifa.records.models import LedgerEntry, LedgerHead, LedgerNode

    leaves = [bytes(h) for h in LedgerEntry.objects.filter(seq__lt=new_size).order_by("seq")
              .values_list("leaf_hash", flat=True)]
    LedgerEntry.objects.filter(seq__gte=new_size)._raw_delete(connection.alias)
    LedgerNode.objects.all()._raw_delete(connection.alias)
    frontier: list[tuple[int, bytes]] = []
    nodes = []
    for seq, leaf in enumerate(leaves):
        nodes.append((ledger.node_key(0, seq), leaf))
        frontier.append((0, leaf))
        index = seq
        while len(frontier) >= 2 and frontier[-1][0] == frontier[-2][0]:
            (level, right), (_l, left) = frontier.pop(), frontier.pop()
            index //= 2
            frontier.append((level + 1, merkle.node_hash(left, right)))
            nodes.append((ledger.node_key(level + 1, index), frontier[-1][1]))
    LedgerNode.objects.bulk_create([LedgerNode(key=k, hash=h) for k, h in nodes])
    LedgerHead.objects.filter(pk=1).update(size=new_size, frontier=ledger.encode_frontier(frontier))
    from zhifa.records.models import Checkpoint

    Checkpoint.objects.all()._raw_delete(connection.alias)



def test_registry_entry_edited_by_sql_is_named(agency_a, stores) -> None:  # type: ignore[no-untyped-def]
    """Registry entries (权责清单等) recorded in the ledger are compared too."""
    from zhifa.accounts.roles import Role
    from zhifa.registry import services

    item = services.entry_create(
        actor=agency_a[Role.AGENCY_ADMIN], slug="power_item",
        data={"code": "XZCF-001", "name": "对未经批准擅自取水的处罚", "action_type": "penalty",
              "responsible_unit": str(agency_a.unit.public_id)},
    )
    assert deep_verify()[0] == 0
    sql("UPDATE registry_poweritem SET code = %s WHERE id = %s", ["XZCF-999", item.pk])
    code, output = deep_verify()
    assert code == 1
    assert "对未经批准擅自取水的处罚" in output and "数据库 XZCF-999，台账 XZCF-001" in output
