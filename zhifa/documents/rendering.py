"""Rendering a document context to PDF (WeasyPrint, from the Django templates under templates/documents/) and to
DOCX (docxtpl, from the generated templates under docx_templates/; see `docx_build.py`).

Pure functions of (type, context): no database, no numbering, no signing. WeasyPrint never fetches anything:
every resource is inline, and the URL fetcher refuses all URLs (a context value cannot make the renderer read a
file or call a server).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from django.template.loader import render_to_string

from zhifa.documents import formatting
from zhifa.documents.types import DOCUMENT_TYPES, DocumentType

DOCX_DIR = Path(__file__).resolve().parent / "docx_templates"

_local = threading.local()


class RenderError(Exception):
    """A template is missing or broken (a programming error, not a user error)."""


def get_type(code: str) -> DocumentType:
    try:
        return DOCUMENT_TYPES[code]
    except KeyError as exc:
        raise RenderError(f"unknown document type {code!r}") from exc


def template_context(code: str, context: Mapping[str, Any], *, draft: bool) -> dict[str, Any]:
    doc_type = get_type(code)
    data = dict(context)
    data["doc"] = doc_type
    data["draft"] = draft
    if draft:
        data["number"] = ""
    return data


def render_html(code: str, context: Mapping[str, Any], *, draft: bool = False) -> str:
    doc_type = get_type(code)
    return render_to_string(f"documents/{doc_type.template}.html", template_context(code, context, draft=draft))


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"documents do not load external resources: {url[:80]}")


def _font_config() -> Any:
    """One FontConfiguration per thread: loading the CJK fonts is the expensive part of the first render."""
    from weasyprint.text.fonts import FontConfiguration

    config = getattr(_local, "fonts", None)
    if config is None:
        config = _local.fonts = FontConfiguration()
    return config


def render_pdf(code: str, context: Mapping[str, Any], *, draft: bool = False) -> bytes:
    """The document as PDF bytes (A4, CJK fonts embedded as subsets)."""
    return html_to_pdf(render_html(code, context, draft=draft))


def html_to_pdf(html: str) -> bytes:
    """Self-contained HTML (inline CSS and SVG; nothing fetched) as PDF bytes with the CJK fonts embedded."""
    from weasyprint import HTML

    pdf = HTML(string=html, url_fetcher=_refuse_fetch).write_pdf(font_config=_font_config())
    if not pdf:  # pragma: no cover - WeasyPrint returns bytes when no target is given
        raise RenderError("WeasyPrint produced no output")
    return bytes(pdf)


def jinja_env() -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.ChainableUndefined)
    env.filters.update(
        cn_date=formatting.cn_date, cn_datetime=formatting.cn_datetime, yuan=formatting.yuan,
        rmb_upper=lambda v: _safe_rmb(v),
    )
    return env


def _safe_rmb(value: Any) -> str:
    try:
        return formatting.rmb_upper(value)
    except ValueError:
        return ""


def render_docx(code: str, context: Mapping[str, Any], *, draft: bool = False) -> bytes:
    """The document as DOCX bytes, for officers who must edit the wording before printing (never the signed copy)."""
    from docxtpl import DocxTemplate

    doc_type = get_type(code)
    path = DOCX_DIR / f"{doc_type.template}.docx"
    if not path.exists():
        raise RenderError(f"missing DOCX template {path.name}: run `python -m zhifa.documents.docx_build`")
    tpl = DocxTemplate(str(path))
    data = template_context(code, context, draft=draft)
    data["doc"] = {"name": doc_type.name, "numbered": doc_type.numbered, "code": doc_type.code}
    tpl.render(data, jinja_env=jinja_env(), autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def preview_pdf(code: str, context: Mapping[str, Any]) -> bytes:
    """A draft: watermarked “草稿”, no number, no seal."""
    return render_pdf(code, context, draft=True)
