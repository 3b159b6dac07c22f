"""The database's own integrity check (issue 9 defect 11, reliability.md FC-8, ADR 0017).

SQLite: `PRAGMA quick_check` (every b-tree page, record format and freelist; not the index contents, which
`integrity_check` adds). PostgreSQL: a light check only — the catalogue answers and every ledger table
can be read; page checksums are the server's business (`initdb --data-checksums`,
`pg_amcheck`). Problems come back as Chinese sentences, never as a traceback.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import DatabaseError, connection

_MAX_LINES = 10


def sqlite_problems(path: str, *, full: bool = False) -> list[str]:
    """Integrity problems of the SQLite file at `path`, opened read-only (used on backups before they are restored)."""
    try:
        con = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return [f"数据库文件 {path} 无法打开：{exc}"]
    try:
        return _sqlite_rows(con.execute, full=full)
    except sqlite3.Error as exc:
        return [f"数据库文件 {path} 已损坏（{exc}）。"]
    finally:
        con.close()


def _sqlite_rows(execute: Callable[[str], Any], *, full: bool) -> list[str]:
    pragma = "integrity_check" if full else "quick_check"
    rows = [str(r[0]) for r in execute(f"PRAGMA {pragma}({_MAX_LINES})").fetchall()]
    if rows == ["ok"]:
        return []
    return [f"数据库完整性检查未通过（SQLite {pragma}）：{row}" for row in rows]


def integrity_problems(*, full: bool = False) -> list[str]:
    """Problems of the configured database; [] when it is sound."""
    try:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                return _sqlite_rows(cursor.execute, full=full)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_catalog.pg_class")
            for table in ("records_ledgerhead", "records_ledgerentry", "records_ledgernode", "records_checkpoint"):
                cursor.execute("SELECT to_regclass(%s)", [table])
                if cursor.fetchone()[0] is not None:
                    cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608  (fixed names)
        return []
    except (DatabaseError, sqlite3.Error) as exc:  # a damaged page can also fail at fetch, outside Django's wrapper
        return [f"数据库已损坏或无法读取：{exc}"]
