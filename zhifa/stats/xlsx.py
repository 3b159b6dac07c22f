"""The report's tables as an XLSX workbook (one sheet per table), from a computed or frozen report.

Counts are numbers; amounts stay exact decimal text (no float rounding); a figure without a source reads
"无数据来源". Every text cell is written as a string, never a formula."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell

from zhifa.common.spreadsheet import FORMULA_STARTS, cell_text
from zhifa.stats.counting import NO_SOURCE_LABEL


def _text(cell: Cell, value: str) -> None:
    value = cell_text(value)
    cell.value = value
    cell.data_type = "s"  # a title starting with "=" stays text (reliability.md BI-7)
    if value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True  # and stays text when a user edits it in Excel or WPS


def report_xlsx(report: dict[str, Any]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for table in report["tables"]:
        sheet = book.create_sheet(title=table["title"][:31])
        _text(sheet.cell(row=1, column=1), f"{report['agency_name']} {report['year']}年度 {table['title']}")
        _text(sheet.cell(row=2, column=1), "项目")
        for j, column in enumerate(table["columns"], start=2):
            _text(sheet.cell(row=2, column=j), column["title"])
        for i, row in enumerate(table["rows"], start=3):
            _text(sheet.cell(row=i, column=1), row["title"])
            for j, column in enumerate(table["columns"], start=2):
                if column["id"] not in row["cells"]:
                    continue
                value = row["cells"][column["id"]]
                target = sheet.cell(row=i, column=j)
                if value is None:
                    _text(target, NO_SOURCE_LABEL)
                elif isinstance(value, int):
                    target.value = value
                else:
                    _text(target, str(value))
        sheet.column_dimensions["A"].width = 40
    meta = book.create_sheet(title="说明")
    lines = [("统计口径版本", report["query_version"]),
             ("模板", f"{report['template']['title']}（{report['template']['key']} 第{report['template']['version']}版）"),
             ("无数据来源的统计项", "、".join(report["no_source"]) or "无")]
    for i, (label, value) in enumerate(lines, start=1):
        _text(meta.cell(row=i, column=1), label)
        _text(meta.cell(row=i, column=2), value)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
