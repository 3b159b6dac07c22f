"""Every document type renders from its sample context: the PDF carries the key content and embeds every font,
the DOCX opens and names the party; drafts carry no number (DOC-1, DOC-4)."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest

from zhifa.documents import rendering
from zhifa.documents.samples import REMEDIES, all_samples, sample_context
from zhifa.documents.tests.helpers import pdf_fonts, pdf_text, squash
from zhifa.documents.types import DOCUMENT_TYPES, missing_fields

CODES = sorted(DOCUMENT_TYPES)
NUMBER = "临水测〔2026〕9号"


def test_every_listed_type_exists() -> None:
    wanted = {
        "case_source_register", "filing_approval", "not_filing_approval", "inspection_record", "inquiry_record",
        "preservation_notice", "preservation_disposal_notice", "investigation_report", "prior_notice",
        "hearing_right_notice", "defense_record", "hearing_notice", "hearing_record", "legal_review_opinion",
        "collective_discussion_record", "penalty_decision", "no_penalty_decision", "on_site_decision",
        "service_receipt", "education_record", "payment_reminder", "enforcement_application", "transfer_letter",
        "closing_approval", "inspection_check_record", "inspection_result_notice",
    }
    assert wanted <= set(DOCUMENT_TYPES)
    numbered = {c for c, t in DOCUMENT_TYPES.items() if t.numbered}
    assert numbered == {
        "preservation_notice", "preservation_disposal_notice", "prior_notice", "hearing_right_notice",
        "hearing_notice", "penalty_decision", "no_penalty_decision", "on_site_decision", "payment_reminder",
        "enforcement_application", "transfer_letter", "inspection_result_notice",
    }
    assert all(t.number_prefix for t in DOCUMENT_TYPES.values() if t.numbered)


def test_samples_are_complete() -> None:
    assert {code: missing_fields(code, ctx) for code, ctx in all_samples().items() if missing_fields(code, ctx)} == {}


@pytest.mark.parametrize("code", CODES)
def test_pdf_renders_with_content_and_embedded_fonts(code: str, tmp_path: Path) -> None:
    context = sample_context(code)
    context["number"] = NUMBER
    pdf = rendering.render_pdf(code, context)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    doc_type = DOCUMENT_TYPES[code]
    assert squash(doc_type.name) in text
    assert context["party"]["name"] in text
    for key in doc_type.shows:
        assert squash(str(context[key]))[:24] in text, key
    if doc_type.numbered:
        assert NUMBER in text
    if "remedies" in doc_type.shows:
        assert context["remedies"] == REMEDIES
        assert "六十日内" in text and "六个月内" in text and "临湘市人民政府" in text
    fonts = pdf_fonts(pdf, tmp_path)
    assert fonts, "no fonts listed"
    assert all(emb == "yes" for _name, emb in fonts), fonts
    assert any("CJK" in name for name, _emb in fonts)


@pytest.mark.parametrize("code", CODES)
def test_docx_renders_and_opens(code: str) -> None:
    context = sample_context(code)
    context["number"] = NUMBER
    data = rendering.render_docx(code, context)
    document = docx.Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert context["party"]["name"] in text
    assert DOCUMENT_TYPES[code].name in text
    assert "{{" not in text and "{%" not in text
    if DOCUMENT_TYPES[code].numbered:
        assert NUMBER in text


def test_penalty_decision_prints_the_six_items_and_capitals(tmp_path: Path) -> None:
    context = sample_context("penalty_decision")
    text = pdf_text(rendering.render_pdf("penalty_decision", context), tmp_path)
    for needle in (context["party"]["address"], "以上事实有以下证据证明", squash(context["performance"])[:20],
                   "伍万元整", "临湘市水利局", "2026年11月22日"):
        assert needle in text


def test_draft_preview_has_watermark_and_no_number(tmp_path: Path) -> None:
    context = sample_context("penalty_decision")
    context["number"] = NUMBER
    text = pdf_text(rendering.preview_pdf("penalty_decision", context), tmp_path)
    assert NUMBER not in text
    assert "草稿" in text and "未编号" in text
    docx_text = "\n".join(p.text for p in docx.Document(io.BytesIO(
        rendering.render_docx("penalty_decision", context, draft=True))).paragraphs)
    assert NUMBER not in docx_text and "草稿" in docx_text


@pytest.mark.parametrize("code", ["penalty_decision", "inquiry_record", "legal_review_opinion"])
def test_templates_tolerate_an_empty_context(code: str) -> None:
    assert rendering.render_pdf(code, {}, draft=True).startswith(b"%PDF-")
    assert rendering.render_docx(code, {})[:2] == b"PK"


def test_values_are_escaped(tmp_path: Path) -> None:
    context = sample_context("penalty_decision")
    context["facts"] = '<img src="file:///etc/passwd">当事人<b>违法</b> & 事实'
    text = pdf_text(rendering.render_pdf("penalty_decision", context), tmp_path)
    assert "<b>违法</b>&事实" in text
    docx_text = "\n".join(p.text for p in docx.Document(io.BytesIO(
        rendering.render_docx("penalty_decision", context))).paragraphs)
    assert "<b>违法</b> & 事实" in docx_text
