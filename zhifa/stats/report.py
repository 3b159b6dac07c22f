"""Compute a report: the template's cells evaluated on one agency's year (STAT-2…9), as plain JSON data, with a
hash over its canonical bytes (STAT-10: computing twice on the same data gives the same figures and hash)."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from zhifa.registry.models import Agency
from zhifa.stats.counting import (
    NO_SOURCE,
    NO_SOURCE_RULES,
    QUERY_VERSION,
    Figure,
    Options,
    evaluate,
    parse_cell,
    year_facts,
)
from zhifa.stats.templates import load_template


def figure_json(value: Figure) -> int | str | None:
    """int stays int; an amount is an exact decimal string; no source is null ("无数据来源")."""
    if value is NO_SOURCE:
        return None
    if isinstance(value, Decimal):
        return str(value)
    assert isinstance(value, int)
    return value


def canonical_bytes(report: dict[str, Any]) -> bytes:
    return json.dumps(report, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def report_sha256(report: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(report)).hexdigest()


def stats_compute(*, agency: Agency, year: int, template: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report of `agency` for calendar `year` under `template` (the default one when None): every table with
    every cell's figure, the template and query version it was counted with, and the rules without a source."""
    template = template or load_template()
    options = Options.from_template(template["options"])
    facts = year_facts(agency, year)
    tables = []
    missing: set[str] = set()
    for table in template["tables"]:
        rows = []
        for row in table["rows"]:
            cells = {}
            for column, spec in row["cells"].items():
                cells[column] = figure_json(evaluate(spec, facts, options))
                name = parse_cell(spec)[0]
                if cells[column] is None:
                    missing.add(name if name in NO_SOURCE_RULES else spec)
            rows.append({"id": row["id"], "title": row["title"], "cells": cells})
        tables.append({"id": table["id"], "title": table["title"], "rule": table.get("rule", ""),
                       "columns": [{"id": c["id"], "title": c["title"]} for c in table["columns"]], "rows": rows})
    return {
        "agency": str(agency.public_id), "agency_name": agency.name, "year": year,
        "template": {"key": template["key"], "version": template["version"], "title": template["title"],
                     "options": template["options"]},
        "query_version": QUERY_VERSION, "tables": tables, "no_source": sorted(missing),
    }


def cell(report: dict[str, Any], table: str, row: str, column: str) -> int | str | None:
    """One figure of a computed or frozen report (KeyError when the template has no such cell)."""
    for t in report["tables"]:
        if t["id"] == table:
            for r in t["rows"]:
                if r["id"] == row:
                    return r["cells"][column]
    raise KeyError((table, row, column))
