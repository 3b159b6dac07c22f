"""Helpers for data migrations (imported by migrations of any app; common is the bottom floor)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.db import connection


def constraints_immediate(schema_editor: Any) -> None:
    """PostgreSQL: check foreign keys at each statement of a data migration (and now, for what is already pending),
    so that no trigger events are pending when the migration's deferred DDL runs at its end — the indexes of new
    foreign keys, dropped columns. Without it, a migration that writes rows and then changes a table fails on a
    database with data: "cannot CREATE INDEX ... because it has pending trigger events". SQLite has no such state."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def schema_editor_stub() -> Any:
    """For tests that call a data migration's function directly inside a test transaction (where SQLite's real schema
    editor refuses to open): what the data functions use of a schema editor, on the test's connection."""
    def execute(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    return SimpleNamespace(connection=connection, execute=execute)
