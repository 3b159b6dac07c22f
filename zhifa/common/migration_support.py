"""Helpers for data migrations (imported by migrations of any app; common is the bottom floor)."""

from __future__ import annotations

from typing import Any


def constraints_immediate(schema_editor: Any) -> None:
    """PostgreSQL: check foreign keys at each statement of a data migration (and now, for what is already pending),
    so that no trigger events are pending when the migration's deferred DDL runs at its end — the indexes of new
    foreign keys, dropped columns. Without it, a migration that writes rows and then changes a table fails on a
    database with data: "cannot CREATE INDEX ... because it has pending trigger events". SQLite has no such state."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
