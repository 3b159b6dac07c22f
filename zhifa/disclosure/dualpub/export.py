"""双公示 files: CSV (UTF-8 with BOM, so Excel and WPS read the Chinese) and XLSX, every cell text (ADR 0040).

Both files start with two header rows: the column codes (CF_XDR_MC …) and their Chinese names; then one row per
record. Formula injection (zhifa/common/spreadsheet.py): CSV cells that a spreadsheet could read as a formula get an
apostrophe and every field is quoted; XLSX cells are all string cells (data_type "s", number format "@"), never a
formula, so codes and amounts keep their leading zeros and decimals, and such a value also gets Excel's quotePrefix.
Pure: no Django import."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Final

from openpyxl import Workbook

from zhifa.common.spreadsheet import FORMULA_STARTS, cell_text, neutralize
from zhifa.disclosure.dualpub.records import Column

BOM: Final = "\ufeff"
CSV_CONTENT_TYPE: Final = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _header(columns: Sequence[Column]) -> list[list[str]]:
    return [[c.code for c in columns], [c.label for c in columns]]


def csv_bytes(columns: Sequence[Column], rows: Iterable[Sequence[str]]) -> bytes:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    for names in _header(columns):
        writer.writerow(names)
    for values in rows:
        writer.writerow([neutralize(str(v)) for v in values])
    return out.getvalue().encode("utf-8")


def xlsx_bytes(columns: Sequence[Column], rows: Iterable[Sequence[str]], *, title: str = "双公示") -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = title[:31]
    for r, row in enumerate([*_header(columns), *rows], start=1):
        for c, raw in enumerate(row, start=1):
            value = cell_text(raw)
            cell = sheet.cell(row=r, column=c)
            cell.value = value
            cell.data_type = "s"  # openpyxl would make "=…" a formula ("f"); a string cell never is one
            cell.number_format = "@"
            if value.startswith(FORMULA_STARTS):
                cell.quotePrefix = True
    for c, column in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=c).column_letter].width = max(12, len(column.label) * 2)
    sheet.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
