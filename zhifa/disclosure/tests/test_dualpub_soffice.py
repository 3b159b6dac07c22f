"""The 双公示 files opened by LibreOffice headless (issue 12 bar; ADR 0040): the XLSX converts with every cell a
string and no formula, values exact; the CSV imports with no formula. Skipped where `soffice` is not installed
(apt-get install -y libreoffice-calc-nogui)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from zhifa.disclosure.dualpub.export import csv_bytes, xlsx_bytes
from zhifa.disclosure.dualpub.records import PENALTY_COLUMNS

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")

EVIL = ["=1+1", "+1", "-1", "@SUM(A1)", '=HYPERLINK("http://x","y")', "007", "0.200000", "1.234567",
        "91430682MA4L000010"]
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def convert(tmp_path: Path, source: Path, target: str, *, infilter: str = "") -> Path:
    command = [str(SOFFICE), f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--norestore"]
    if infilter:
        command.append(f"--infilter={infilter}")
    command += ["--convert-to", target, "--outdir", str(tmp_path / "out"), str(source)]
    subprocess.run(command, check=True, capture_output=True, timeout=180)
    produced = list((tmp_path / "out").glob(source.stem + ".*"))
    assert produced, "LibreOffice produced no file"
    return produced[0]


def cells(fods: Path) -> list[tuple[str | None, str | None, str]]:
    """(value-type, formula, text) of every non-empty cell of a flat ODS file."""
    out = []
    for cell in ET.parse(fods).getroot().iter(f"{{{TABLE}}}table-cell"):
        text = "\n".join("".join(p.itertext()) for p in cell.iter(f"{{{TEXT}}}p"))
        if text:
            out.append((cell.get(f"{{{OFFICE}}}value-type"), cell.get(f"{{{TABLE}}}formula"), text))
    return out


def test_ds_xlsx_opens_in_libreoffice_every_cell_text_no_formula(tmp_path: Path) -> None:
    source = tmp_path / "ds.xlsx"
    source.write_bytes(xlsx_bytes(PENALTY_COLUMNS, [EVIL + [""] * (len(PENALTY_COLUMNS) - len(EVIL))]))
    found = cells(convert(tmp_path, source, "fods"))
    assert found
    assert [c for c in found if c[1] is not None] == []  # no formula
    assert [c for c in found if c[0] != "string"] == []  # every cell text
    assert [t for _v, _f, t in found][-len(EVIL):] == EVIL  # exact: leading/trailing zeros and signs kept
    as_csv = convert(tmp_path, source, "csv:Text - txt - csv (StarCalc):44,34,76,1")
    rows = list(csv.reader(io.StringIO(as_csv.read_bytes().decode("utf-8-sig"))))
    assert rows[2][:len(EVIL)] == EVIL  # not evaluated ("=1+1" is not "2")


def test_ds_csv_opens_in_libreoffice_no_formula(tmp_path: Path) -> None:
    source = tmp_path / "ds.csv"
    source.write_bytes(csv_bytes(PENALTY_COLUMNS, [EVIL]))
    found = cells(convert(tmp_path, source, "fods", infilter="CSV:44,34,76,1"))
    assert found
    assert [c for c in found if c[1] is not None] == []
    assert any(t == "行政相对人名称" for _v, _f, t in found)  # the BOM made the encoding clear
