"""Test support for the append-only ledger: transactional tests must empty the database afterwards, and the
triggers (rightly) refuse that. `ledger_db` drops them just for pytest-django's flush and puts them back."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from pytest_django import DjangoDbBlocker


def triggers() -> list[tuple[str, str, str]]:
    """(name, table, CREATE statement) of every trigger in the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute(
                "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
            )
        return list(cursor.fetchall())


def drop_triggers() -> None:
    with connection.cursor() as cursor:
        for name, table, _sql in triggers():
            cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"' + (f' ON "{table}"' if connection.vendor != "sqlite" else ""))


_MIGRATION = importlib.import_module("zhifa.records.migrations.0002_append_only_triggers")


# Triggers to put back before the next test, after a `ledger_db` test dropped them for the flush.
_saved: list[tuple[str, str, str]] | None = None


@pytest.fixture(autouse=True)
def restore_ledger_triggers(django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """Autouse, so it runs before any other fixture of the next test: put back the triggers (and the ledger head
    row) that the previous test's flush needed gone. Fixture order around live_server makes restoring them in the
    same test's teardown unreliable."""
    global _saved
    if _saved is not None:
        with django_db_blocker.unblock():
            drop_triggers()
            with connection.cursor() as cursor:
                for _name, _table, sql in _saved:
                    cursor.execute(sql)
            _MIGRATION.create_head(apps, SimpleNamespace(connection=connection))
        _saved = None
    yield


@pytest.fixture
def ledger_db(transactional_db: None) -> Iterator[None]:
    """A transactional database whose ledger rows can be flushed after the test: the triggers are dropped at
    teardown (before pytest-django's flush) and restored when the next test starts."""
    global _saved
    _saved = triggers()
    yield
    drop_triggers()


# Ledger kinds that record reads and refusals rather than business changes (issue 9 defect 9): a refused write
# still appends a security event, and a read appends a 调阅 entry; "nothing changed" means no other entry.
NON_BUSINESS_KINDS = ("access.read", "security.denied")


def ledger_size() -> int:
    from zhifa.records.ledger import tree_head

    return tree_head()[0]


def business_entries_since(seq: int) -> list[Any]:
    """Ledger entries from `seq` on that are neither 调阅 entries nor security events."""
    from zhifa.records.models import LedgerEntry

    return list(LedgerEntry.objects.filter(seq__gte=seq).exclude(kind__in=NON_BUSINESS_KINDS).order_by("seq"))
