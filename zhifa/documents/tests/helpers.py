"""Shared helpers of the documents tests (imported, never redefined)."""

from __future__ import annotations

import re
import subprocess
import uuid
from datetime import date
from pathlib import Path

import pytest

from zhifa.accounts.roles import Role
from zhifa.documents.models import Document
from zhifa.documents.samples import sample_context
from zhifa.documents.services import document_issue

ON = date(2026, 11, 22)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """pdftotext output with all white space removed (CJK lines wrap anywhere)."""
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True).stdout
    return re.sub(r"\s+", "", out.decode())


def pdf_fonts(pdf: bytes, tmp_path: Path) -> list[tuple[str, str]]:
    """(font name, emb column) for every font pdffonts lists."""
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        # name, type (may contain spaces), encoding, emb, sub, uni, object, id: read from the right
        parts = line.split()
        rows.append((parts[0], parts[-5]))
    return rows


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def stores(settings, tmp_path: Path) -> Path:
    """Blob, temp and seal folders of this test only."""
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"
    settings.ZHIFA_SEAL_DIR = tmp_path / "seals"
    return tmp_path


def issue(personas, code: str = "penalty_decision", *, subject_id: uuid.UUID | None = None, on: date = ON,
          sign: bool = True, context: dict | None = None) -> Document:  # noqa: ANN001
    subject = subject_id or uuid.uuid4()
    return document_issue(
        actor=personas[Role.OFFICER], agency=personas.agency, subject_id=subject, stream=f"case/{subject}",
        doc_type=code, context=context if context is not None else sample_context(code), on=on, sign=sign,
    )
