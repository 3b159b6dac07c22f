"""Entry payloads carry a schema version (issue 10 point 4, ADR 0029): new entries have "v": 1 in the envelope;
entries written before versioning have none and still read (version 0) and verify."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.utils import timezone

from zhifa.records import ledger
from zhifa.records.entries import entry_view
from zhifa.records.models import LedgerEntry

pytestmark = pytest.mark.django_db


def test_a_new_entry_carries_the_schema_version():
    with transaction.atomic():
        row = ledger.ledger_append(kind="test.event", stream="test:v", agency_id=None, actor=None,
                                   payload={"x": 1})
    content = json.loads(bytes(LedgerEntry.objects.get(seq=row.seq).canonical))
    assert content["v"] == ledger.ENTRY_SCHEMA_VERSION == 1
    assert content["payload"] == {"x": 1}  # the payload stays what the service wrote
    view = entry_view(row)
    assert (view.version, view.kind, view.payload) == (1, "test.event", {"x": 1})


def test_an_entry_written_before_versioning_reads_as_version_0():
    old = {"seq": 7, "kind": "case.file", "stream": "case/x", "agency_id": 3, "time": "2026-01-02T03:04:05Z",
           "actor": {"name": "张三", "username": "zhang"}, "payload": {"label": "立案"}, "blobs": []}
    row = LedgerEntry(seq=7, kind="case.file", stream="case/x", agency_id=3, recorded_at=timezone.now(),
                      canonical=ledger.canonical_bytes(old), leaf_hash=b"")
    view = entry_view(row)
    assert view.version == 0
    assert view.actor_name == "张三"
    assert view.payload == {"label": "立案"}
    assert view.when.year == 2026  # type: ignore[union-attr]


def test_an_unparseable_entry_reads_as_empty_not_an_error():
    row = LedgerEntry(seq=8, kind="x", stream="s", agency_id=None, recorded_at=timezone.now(), canonical=b"\xff",
                      leaf_hash=b"")
    view = entry_view(row)
    assert (view.version, view.payload, view.actor) == (0, {}, {})
