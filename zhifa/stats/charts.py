"""Bar charts of the report's tables as SVG, for the PDF and the portal page (no script, no external file).

One chart per table: the rows' values in the table's first column that holds numbers (counts). Rows without a
source ("无数据来源") are left out and named under the chart; a table with no number at all has no chart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.html import escape

BAR_HEIGHT = 18
GAP = 8
LABEL_WIDTH = 190
PLOT_WIDTH = 300
VALUE_WIDTH = 50
LABEL_CHARS = 16  # CJK characters that fit LABEL_WIDTH at 11 px; a longer row title is cut, whole in <title>


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str  # escaped: every label and number placed in it went through `escape`
    left_out: list[str]


def _first_count_column(table: dict[str, Any]) -> dict[str, Any] | None:
    for column in table["columns"]:
        if any(isinstance(row["cells"].get(column["id"]), int) for row in table["rows"]):
            return column
    return None


def table_chart(table: dict[str, Any]) -> Chart | None:
    column = _first_count_column(table)
    if column is None:
        return None
    # The total row would only dwarf the others: the chart compares the parts.
    bars = [(row["title"], row["cells"][column["id"]]) for row in table["rows"]
            if isinstance(row["cells"].get(column["id"]), int) and row.get("id") != "total"]
    left_out = [row["title"] for row in table["rows"] if column["id"] in row["cells"]
                and row["cells"][column["id"]] is None]
    top = max([value for _title, value in bars] + [1])
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(table["title"])}">']
    for i, (title, value) in enumerate(bars):
        y = GAP + i * (BAR_HEIGHT + GAP)
        bar = round(PLOT_WIDTH * value / top, 1)
        short = title if len(title) <= LABEL_CHARS else title[:LABEL_CHARS - 1] + "…"
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" font-size="11" text-anchor="end">'
                     f'<title>{escape(title)}</title>{escape(short)}</text>')
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{bar}" height="{BAR_HEIGHT}" fill="#2f6fad"/>')
        parts.append(f'<text x="{LABEL_WIDTH + bar + 4}" y="{y + 13}" font-size="11">{value}</text>')
    parts.append("</svg>")
    return Chart(title=f'{table["title"]}（{column["title"]}）', svg="".join(parts), left_out=left_out)


def report_charts(report: dict[str, Any]) -> list[Chart]:
    return [chart for chart in (table_chart(t) for t in report["tables"]) if chart is not None]
