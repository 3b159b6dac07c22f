"""Per-kind case data (issue 10 point 3, ADR 0025): each case kind maps to its registry action type (REG-4),
declares its registration schema, keeps its own facts in its detail model, and adds its own part to a document's
context; the migration moves the 行政处罚 facts off `Case` without losing any."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from zhifa.cases.doccontext import document_context
from zhifa.cases.engine import KINDS, InvalidInput, case_act, detail_of, kind_codes_for, kind_of
from zhifa.cases.kinds.common import CaseIn
from zhifa.cases.models import CaseKind, PenaltyDetail
from zhifa.cases.review_steps import review_subject
from zhifa.cases.selectors import case_list_for
from zhifa.cases.services import case_create
from zhifa.cases.testing import DAY, make_case_world, new_penalty_case, penalty_case_data, walk_to
from zhifa.registry import models as reg
from zhifa.registry.models import ActionType
from zhifa.review.services import review_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(agency_a):  # noqa: ANN001, ANN201
    return make_case_world(agency_a)


def test_reg_4_every_case_kind_maps_to_a_registry_action_type() -> None:
    """REG-4: `cases.CaseKind` and `registry.ActionType` are one taxonomy — each kind names its action type."""
    assert set(KINDS) == set(CaseKind.values)
    for code, kind in KINDS.items():
        assert kind.action_type in ActionType.values, code
        assert kind.registration is not None and issubclass(kind.registration, CaseIn), code
    assert KINDS["penalty"].action_type == KINDS["penalty_simple"].action_type == ActionType.PENALTY
    assert KINDS["inspection"].action_type == ActionType.INSPECTION
    assert kind_codes_for(ActionType.PENALTY) == ["penalty", "penalty_simple"]
    assert kind_codes_for(ActionType.LICENSE) == []


def test_a_penalty_case_has_its_detail_row_and_an_inspection_none(world) -> None:  # noqa: ANN001
    case = new_penalty_case(world)
    assert isinstance(detail_of(case), PenaltyDetail) and case.penalty.filed_on is None
    check = case_create(actor=world["officer"], kind="inspection", data=penalty_case_data(title="河道采砂检查"),
                        today=DAY)
    assert detail_of(check) is None
    assert not PenaltyDetail.objects.filter(case=check).exists()


def test_case_2_a_penalty_fact_is_saved_on_the_detail_with_the_transition(world) -> None:  # noqa: ANN001
    case = walk_to(world, new_penalty_case(world), "pre_notice_issued")
    row = PenaltyDetail.objects.get(case=case)
    assert row.filed_on == DAY and row.fine_amount == Decimal("20000") and row.notice_served_on is not None


def test_update_details_writes_the_shared_and_the_kind_fields_and_refuses_foreign_ones(world) -> None:  # noqa: ANN001
    case = new_penalty_case(world)
    case_act(actor=world["officer"], case_id=case.public_id, action="update_details",
             data={"summary": "补充案情", "facts": "当事人采砂约200吨。"}, today=DAY)
    case.refresh_from_db()
    assert case.summary == "补充案情" and PenaltyDetail.objects.get(case=case).facts == "当事人采砂约200吨。"
    check = case_create(actor=world["officer"], kind="inspection", data=penalty_case_data(title="河道采砂检查"),
                        today=DAY)
    with pytest.raises(InvalidInput):
        case_act(actor=world["officer"], case_id=check.public_id, action="update_details",
                 data={"facts": "检查没有违法事实这一项"}, today=DAY)


def test_document_context_has_the_shared_part_and_the_kind_part(world) -> None:  # noqa: ANN001
    case = walk_to(world, new_penalty_case(world), "pre_notice_issued")
    context = document_context(case, "prior_notice", on=DAY)
    assert context["agency"]["name"] == case.agency.name and context["case"]["reference"] == case.reference
    assert context["case"]["filed_on"] == DAY and context["fine_amount"] == Decimal("20000")
    assert context["deadline"] > DAY and "陈述、申辩" in context["rights"]
    check = case_create(actor=world["officer"], kind="inspection", data=penalty_case_data(title="河道采砂检查"),
                        today=DAY)
    context = document_context(check, "inspection_result_notice", on=DAY)
    assert context["agency"]["name"] == check.agency.name and context["facts"] == check.summary
    assert "fine_amount" not in context and context["case"]["filed_on"] is None
    assert kind_of(check).document_part(check, "inspection_result_notice", DAY) == {}


def test_case_list_by_action_type(world) -> None:  # noqa: ANN001
    penalty = new_penalty_case(world)
    check = case_create(actor=world["officer"], kind="inspection", data=penalty_case_data(title="河道采砂检查"),
                        today=DAY)
    rows, total = case_list_for(user=world["officer"], action_type=ActionType.INSPECTION)
    assert [r.pk for r in rows] == [check.pk] and total == 1
    rows, total = case_list_for(user=world["officer"], action_type=ActionType.PENALTY)
    assert [r.pk for r in rows] == [penalty.pk]


def test_the_migration_copies_the_penalty_facts_to_their_detail(tmp_path: Path) -> None:
    """Data migration 0005 on a fresh database with the schema as it was: a penalty case's facts, amounts and
    依据条款 move to its detail row, an inspection's texts land in its 简要案情, and back again (plain ORM, so the
    same on PostgreSQL)."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}", "ZHIFA_DATA_DIR": str(tmp_path),
           "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    script = Path(__file__).with_name("_migrate_penalty_detail.py")
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "migration ok" in done.stdout


def test_rev_3_the_review_catalog_is_read_for_the_case_kinds_action_type(world) -> None:  # noqa: ANN001
    """REV-3 per kind: a catalog item of another action type (行政许可) does not put a penalty case under review;
    the same criterion under 行政处罚 does."""
    case = walk_to(world, new_penalty_case(world), "pre_notice_issued")  # fine 20,000, notified
    reg.ReviewCatalogItem.objects.filter(agency=world.agency).delete()
    reg.ReviewCatalogItem.objects.create(agency=world.agency, title="较大数额的行政许可", action_type=ActionType.LICENSE,
                                         amount_threshold_person=Decimal("1000"),
                                         publication_status=reg.PublicationStatus.PUBLISHED)
    subject = review_subject(case)
    assert subject.criteria.action_type == kind_of(case).action_type == ActionType.PENALTY
    assert review_scope(subject) == []
    as_license = replace(subject, criteria=replace(subject.criteria, action_type=ActionType.LICENSE))
    assert review_scope(as_license) != []
