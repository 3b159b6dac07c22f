"""Cell text for every spreadsheet the platform writes (CSV and XLSX exports; reliability.md BI-7, OWASP "CSV
Injection", ASVS 1.2.10). Pure: no Django import.

- Control characters a cell cannot hold (NUL and the rest of openpyxl's illegal set) are dropped first, so nothing
  hidden before them can start a formula unseen.
- A value beginning with = + - @ TAB CR, or with a full-width ＝ ＋ － ＠ (WPS evaluates those as well), is what a
  spreadsheet could read as a formula: CSV writers prefix it with an apostrophe (`neutralize`); XLSX writers store it
  as a string cell with Excel's quotePrefix, so the stored value stays exact for the platform that imports it.
"""

from __future__ import annotations

from typing import Final

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def cell_text(raw: object) -> str:
    """The text of a cell, with the control characters a spreadsheet cannot hold dropped."""
    return ILLEGAL_CHARACTERS_RE.sub("", str(raw))


def neutralize(raw: object) -> str:
    """A CSV cell: an apostrophe before anything a spreadsheet could read as a formula."""
    value = cell_text(raw)
    return "'" + value if value.startswith(FORMULA_STARTS) else value
