"""Supervision events are a registry table, not a reading of ledger payloads (issue 10 point 4, ADR 0029): each entry
in a "supervision:<bureau>" stream has its `SupervisionEvent` row, written in the same transaction; the pages and
the API read the rows (REG-1); the migration backfills them from the ledger."""

from __future__ import annotations

import importlib
from unittest import mock

import pytest
from django.apps import apps

from zhifa.common.errors import ServiceError
from zhifa.common.migration_support import schema_editor_stub
from zhifa.records.models import LedgerEntry
from zhifa.registry import models as reg
from zhifa.registry import selectors, services
from zhifa.registry.testing import make_agency

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_bureau(db):  # noqa: ANN001, ANN201
    return make_agency("另一市司法局", justice=True)


def _change(agency_a, other_bureau, system_admin) -> None:  # noqa: ANN001
    services.agency_supervision_set(actor=system_admin, agency=agency_a.agency, supervisor=other_bureau,
                                    reason="机构调整")


def test_each_bureau_entry_has_its_row(agency_a, bureau, system_admin, other_bureau) -> None:
    _change(agency_a, other_bureau, system_admin)
    entries = LedgerEntry.objects.filter(kind=services.SUPERVISION_KIND, stream__startswith="supervision:")
    rows = reg.SupervisionEvent.objects.all()
    assert sorted(r.ledger_entry_id for r in rows) == sorted(e.seq for e in entries)
    assert {r.bureau_id for r in rows} == {bureau.pk, other_bureau.pk}
    row = rows.get(bureau_id=bureau.pk)
    assert (row.agency_name, row.old_supervisor_name, row.new_supervisor_name, row.reason) == (
        agency_a.agency.name, bureau.name, other_bureau.name, "机构调整")
    shown = selectors.supervision_event_rows(selectors.supervision_events_for(user=system_admin))
    assert shown[0]["payload"]["new_supervisor"]["name"] == other_bureau.name
    assert shown[0]["time"].endswith("Z")


def test_the_row_is_written_in_the_change_transaction(agency_a, bureau, system_admin, other_bureau) -> None:
    before = LedgerEntry.objects.count()
    with mock.patch.object(reg.SupervisionEvent.objects, "create", side_effect=ServiceError("no row")), \
            pytest.raises(ServiceError):
        _change(agency_a, other_bureau, system_admin)
    agency_a.agency.refresh_from_db()
    assert agency_a.agency.supervisor_id == bureau.pk
    assert LedgerEntry.objects.count() == before


def test_the_migration_backfills_the_rows_from_the_ledger(agency_a, bureau, system_admin, other_bureau) -> None:
    _change(agency_a, other_bureau, system_admin)
    fields = ("bureau_id", "ledger_entry_id", "agency_public_id", "agency_name", "old_supervisor_public_id",
              "old_supervisor_name", "new_supervisor_public_id", "new_supervisor_name", "old_is_justice_bureau",
              "new_is_justice_bureau", "reason", "actor_name", "at")
    expected = list(reg.SupervisionEvent.objects.order_by("ledger_entry_id").values_list(*fields))
    reg.SupervisionEvent.objects.all().delete()
    migration = importlib.import_module("zhifa.registry.migrations.0002_supervision_events")
    migration._backfill(apps, schema_editor_stub())
    migration._backfill(apps, schema_editor_stub())
    assert list(reg.SupervisionEvent.objects.order_by("ledger_entry_id").values_list(*fields)) == expected
