"""The annual report as PDF (STAT-1: the tables, a chart of each, and the narrative part), from a frozen report or
its public snapshot; WeasyPrint with the documents' CJK fonts."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from zhifa.documents.rendering import html_to_pdf
from zhifa.stats.charts import report_charts
from zhifa.stats.counting import NO_SOURCE_LABEL


def report_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each table with its rows' cells in column order, "无数据来源" for a figure without a source."""
    return [{"table": t, "rows": [{"title": r["title"], "cells": [
        ("" if c["id"] not in r["cells"] else NO_SOURCE_LABEL if r["cells"][c["id"]] is None else r["cells"][c["id"]])
        for c in t["columns"]]} for r in t["rows"]]} for t in report["tables"]]


def report_pdf(report: dict[str, Any], *, version: int | None = None, sha256: str = "") -> bytes:
    charts = [{"title": c.title, "svg": mark_safe(c.svg), "left_out": c.left_out}  # noqa: S308 - escaped in charts
              for c in report_charts(report)]
    html = render_to_string("stats/report_pdf.html", {
        "report": report, "tables": report_rows(report), "charts": charts, "version": version, "sha256": sha256,
        "narrative": report.get("narrative", ""),
    })
    return html_to_pdf(html)
