"""The case history table (ADR 0029, issue 10 point 4): every case.* ledger entry has its `CaseEvent` row, written
in the same transaction; the case page and the API timeline read it, not entry payloads; the migration backfills
it from the ledger."""

from __future__ import annotations

import importlib
from unittest import mock

import pytest
from django.apps import apps

from zhifa.cases.engine import case_act
from zhifa.cases.models import CaseEvent
from zhifa.cases.testing import make_case_world, new_penalty_case, walk_to
from zhifa.common.errors import ServiceError
from zhifa.common.migration_support import schema_editor_stub
from zhifa.records.models import LedgerEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(agency_a):  # type: ignore[no-untyped-def]
    return make_case_world(agency_a)


def _case_entries(case) -> list[LedgerEntry]:  # type: ignore[no-untyped-def]
    return list(LedgerEntry.objects.filter(stream=case.stream, kind__startswith="case.").order_by("seq"))


def test_every_case_entry_has_its_history_row_with_states_and_actor(world):
    case = walk_to(world, new_penalty_case(world), "investigating")
    entries = _case_entries(case)
    events = list(CaseEvent.objects.filter(case=case).order_by("ledger_entry_id"))
    assert [e.ledger_entry_id for e in events] == [e.seq for e in entries]
    assert [(e.action, e.from_state, e.to_state) for e in events[:2]] == [
        ("register", "", "lead_registered"), ("approve_filing", "lead_registered", "filed")]
    assert events[1].actor == world["agency_head"] and events[1].actor_name
    assert events[1].at == entries[1].recorded_at


def test_the_history_row_is_written_in_the_transition_transaction(world):
    """If the row cannot be written, the transition and its ledger entry roll back with it (and the reverse)."""
    case = new_penalty_case(world)
    before = LedgerEntry.objects.count()
    with mock.patch.object(CaseEvent.objects, "create", side_effect=ServiceError("no history")), \
            pytest.raises(ServiceError):
        case_act(actor=world["agency_head"], case_id=case.public_id, action="approve_filing",
                 data={"filed_on": case.registered_on})
    case.refresh_from_db()
    assert case.state == "lead_registered"
    assert LedgerEntry.objects.count() == before
    assert not CaseEvent.objects.filter(case=case, action="approve_filing").exists()


def test_documents_issued_by_an_action_are_linked_to_its_row(world, settings, tmp_path):
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "tmp"
    settings.ZHIFA_SEAL_DIR = tmp_path / "seals"
    case = walk_to(world, new_penalty_case(world), "pre_notice_issued")
    event = CaseEvent.objects.get(case=case, action="issue_prior_notice")
    assert [d.doc_type for d in event.documents.all()], "the prior notice is a document of the action"


def test_the_migration_backfills_the_history_from_the_ledger(world):
    case = walk_to(world, new_penalty_case(world), "investigating")
    expected = list(CaseEvent.objects.filter(case=case).order_by("ledger_entry_id").values_list(
        "ledger_entry_id", "action", "label", "from_state", "to_state", "actor_id", "actor_name", "at", "extra"))
    CaseEvent.objects.all().delete()
    migration = importlib.import_module("zhifa.cases.migrations.0005_case_history")
    migration._backfill(apps, schema_editor_stub())
    migration._backfill(apps, schema_editor_stub())  # twice: nothing is added the second time
    got = list(CaseEvent.objects.filter(case=case).order_by("ledger_entry_id").values_list(
        "ledger_entry_id", "action", "label", "from_state", "to_state", "actor_id", "actor_name", "at", "extra"))
    assert got == expected


def test_the_case_page_and_the_api_timeline_read_the_history_table(world, client):
    """The timeline's text for a case action comes from its `CaseEvent` row, not from the entry's payload."""
    from django.urls import reverse

    case = walk_to(world, new_penalty_case(world), "filed")
    CaseEvent.objects.filter(case=case, action="approve_filing").update(label="表中的标签")
    client.force_login(world["agency_head"])
    page = client.get(reverse("cases:detail", args=[case.public_id])).content.decode()
    assert "表中的标签" in page
    timeline = client.get(f"/api/v1/cases/{case.public_id}/timeline").json()
    filing = next(i for i in timeline["items"] if i["kind"] == "case.approve_filing")
    assert filing["summary"].startswith("表中的标签") and filing["details"]["to"] == "filed"


def test_a_missed_deadline_has_its_history_row(world):
    from datetime import date

    from zhifa.cases.deadlines import deadlines_tick

    case = walk_to(world, new_penalty_case(world), "filed")
    deadlines_tick(today=date(2030, 1, 1))
    missed = CaseEvent.objects.filter(case=case, action="deadline_missed")
    assert missed.exists() and not missed.first().is_transition  # type: ignore[union-attr]
    assert {e.ledger_entry.kind for e in missed} == {"case.deadline_missed"}
