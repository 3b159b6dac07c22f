"""Guards for what the project does not do yet: image derivatives and spreadsheet exports (reliability.md PV-2, BI-7).

PV-2: evidence is kept byte-exact (its hash is the evidence, architecture rule 6), so an uploaded photo keeps its
EXIF GPS position and device serial. That is right for the original; it would be wrong in anything published.
Today nothing is derived from a photo and nothing of evidence reaches the public: the photo is stored and served to
staff byte-for-byte (hash stable), anonymous visitors get none of it, and Pillow is used only to read image headers
(records/filecheck.py), never to write an image. The static check fails the day a module writes images, so that
whoever adds a thumbnail or a published derivative adds EXIF/XMP stripping (and a test) with it.

BI-7: the spreadsheets the platform writes (the 双公示 CSV/XLSX, ADR 0040; the statistics report's XLSX, ADR 0041)
take their cell text from zhifa/common/spreadsheet.py (NUL dropped; leading = + - @ TAB CR and full-width ＝ ＋ － ＠
neutralised; ASVS 1.2.10). Their tests reopen the files: zhifa/disclosure/tests/test_dualpub.py and
test_dualpub_soffice.py (openpyxl and LibreOffice), zhifa/stats/tests/test_stats.py. The static check below fails the
day another module writes a spreadsheet without going through it.
"""

from __future__ import annotations

import ast
import hashlib
import io
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from zhifa.accounts.roles import Role
from zhifa.records.tests.test_evidence import store_evidence, stores  # noqa: F401  (fixture)

ZHIFA = Path(__file__).resolve().parents[2]
SPREADSHEET_MODULES = {"csv", "openpyxl", "xlsxwriter", "xlwt", "odf", "pyexcel", "tablib", "pandas"}
IMAGE_WRITERS = {"save", "thumbnail", "transpose"}  # Pillow calls that produce a new image


def _prod_modules() -> list[Path]:
    return [
        p for p in ZHIFA.rglob("*.py")
        if "tests" not in p.parts and "migrations" not in p.parts and p.name != "testing.py"
    ]


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _exif_jpeg() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (16, 16), (10, 120, 30))
    exif = image.getexif()
    exif[0x010F] = "DSJ-Maker"  # Make
    exif[0x0110] = "DSJ-V9"  # Model
    exif.get_ifd(0x8769)[0xA431] = "SERIAL-000042"  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (29.0, 28.0, 12.5), "E", (113.0, 27.0, 3.25)
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


@pytest.mark.django_db
def test_pv2_photo_with_exif_is_kept_byte_exact_and_never_public(agency_a, stores, client: Client) -> None:  # noqa: F811
    """PV-2: original unchanged (hash stable); anonymous visitors get no evidence bytes."""
    photo = _exif_jpeg()
    assert b"SERIAL-000042" in photo
    evidence = store_evidence(agency_a[Role.OFFICER], photo, name="现场照片.jpg")
    assert evidence.sha256 == hashlib.sha256(photo).hexdigest()

    staff = Client()
    staff.force_login(agency_a[Role.OFFICER])
    response = staff.get(reverse("records:evidence_download", args=[evidence.public_id]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert hashlib.sha256(body).hexdigest() == evidence.sha256  # served byte-exact: the hash is the evidence

    for name in ("evidence_download", "evidence_media", "evidence_detail"):
        anonymous = client.get(reverse(f"records:{name}", args=[evidence.public_id]))
        assert anonymous.status_code in (302, 403, 404)
        assert b"SERIAL-000042" not in anonymous.content
    assert client.get(f"/api/v1/records/evidence/{evidence.public_id}").status_code in (401, 403, 404)


def test_pv2_no_module_writes_images_without_metadata_stripping() -> None:
    """PV-2 guard: Pillow is only read (headers, pixel cap); a module that writes images must strip EXIF/XMP."""
    offenders = []
    for path in _prod_modules():
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        if "PIL" not in _imports(tree):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in IMAGE_WRITERS:
                offenders.append(f"{path.relative_to(ZHIFA)}:{node.lineno} .{node.func.attr}()")
    assert not offenders, (
        "An image is written (derivative/thumbnail): strip EXIF/XMP GPS and serials from it and extend PV-2 "
        f"to check the derivative: {offenders}"
    )


def test_bi7_every_spreadsheet_writer_takes_its_cells_from_the_escaping_module() -> None:
    """BI-7 guard: a module that writes CSV/XLSX/ODS imports zhifa.common.spreadsheet (or is it)."""
    writers, offenders = [], []
    for path in _prod_modules():
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        if not (_imports(tree) & SPREADSHEET_MODULES or "text/csv" in text or "spreadsheetml" in text):
            continue
        writers.append(path.relative_to(ZHIFA).as_posix())
        escaped = any(isinstance(n, ast.ImportFrom) and n.module == "zhifa.common.spreadsheet" for n in ast.walk(tree))
        if not escaped and path.name != "spreadsheet.py" and not _only_serves(tree):
            offenders.append(writers[-1])
    assert "disclosure/dualpub/export.py" in writers and "stats/xlsx.py" in writers  # the check sees the writers
    assert not offenders, (
        "A module writes a spreadsheet without zhifa.common.spreadsheet: take cell text from cell_text/neutralize, "
        f"keep numbers numeric, and add a BI-7 test that reopens the file: {offenders}"
    )


def _only_serves(tree: ast.AST) -> bool:
    """A view that only names a spreadsheet content type for bytes made by a writer module (no writer import)."""
    return not (_imports(tree) & SPREADSHEET_MODULES)
