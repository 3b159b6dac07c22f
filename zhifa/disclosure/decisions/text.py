"""The served decision's text and the masks over it (DISC-20/21). Pure functions over plain values, except
`document_text`, which renders the issued document from its stored context snapshot."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from zhifa.disclosure import desensitize as ds
from zhifa.documents.models import Document
from zhifa.documents.rendering import render_html

#: Why a mask is there, by the desensitizer's rule (shown next to each highlighted span, DISC-21).
RULE_REASONS: dict[str, Any] = {
    "known": _("案件登记的个人信息（当事人、法定代表人、被询问人、受送达人等）"),
    "gb11643-check": _("公民身份号码（校验位有效），保留前6位和后4位"),
    "id-label": _("证件号码"),
    "id15-label": _("15位公民身份号码"),
    "mobile": _("手机号码"),
    "landline": _("固定电话号码"),
    "phone-label": _("联系电话"),
    "luhn": _("银行卡号"),
    "account-label": _("银行账号"),
    "plate": _("机动车号牌"),
    "address-after-label": _("住址"),
    "lac-per": _("自然人姓名（模型识别）"),
    "role-word": _("自然人姓名（按称谓识别）"),
    "name-context": _("自然人姓名（按上下文识别）"),
    "same-name": _("自然人姓名（同名再次出现）"),
    "manual": _("公示管理员手工遮盖"),
}

CATEGORY_LABELS: dict[str, Any] = {
    ds.PERSON: _("自然人姓名"),
    ds.ID_NUMBER: _("身份证件号码"),
    ds.PHONE: _("电话号码"),
    ds.BANK_CARD: _("银行账号"),
    ds.PLATE: _("车牌号码"),
    ds.ADDRESS: _("住址"),
    ds.OTHER: _("其他个人信息或商业秘密"),
}

_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</(p|div|h[1-6]|tr|li|table|section)>")
_TAG = re.compile(r"<[^>]+>")
_STYLE = re.compile(r"(?is)<(style|script|head)\b.*?</\1>")


def html_to_text(markup: str) -> str:
    """Plain text of a rendered document: one line per paragraph, tags removed, entities decoded."""
    text = _STYLE.sub("", markup)
    text = _BLOCK_END.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    lines = [re.sub(r"[ \t\u3000]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def document_text(document: Document) -> str:
    """The text of an issued document as served: rendered again from its stored context snapshot."""
    return html_to_text(render_html(document.doc_type, document.context))


@dataclass(frozen=True)
class Piece:
    """A stretch of the published text: plain (`mask` None) or a mask with its index in the draft's list."""

    text: str
    mask: dict[str, Any] | None = None
    index: int = -1


def mask_dict(start: int, end: int, category: str, rule: str, layer: str, replacement: str,
              reason: str = "") -> dict[str, Any]:
    return {"start": start, "end": end, "category": category, "rule": rule, "layer": layer,
            "replacement": replacement, "reason": reason}


def masks_from(redaction: ds.Redaction) -> list[dict[str, Any]]:
    return [mask_dict(s.original_start, s.original_end, s.category, s.rule, s.layer, s.replacement)
            for s in redaction.spans]


def pieces(original: str, masks: Sequence[dict[str, Any]]) -> list[Piece]:
    """The text cut at the masks, in order (the masks never overlap)."""
    out: list[Piece] = []
    pos = 0
    for index, m in sorted(enumerate(masks), key=lambda im: im[1]["start"]):
        if m["start"] > pos:
            out.append(Piece(original[pos:m["start"]]))
        out.append(Piece(str(m["replacement"]), m, index))
        pos = m["end"]
    if pos < len(original):
        out.append(Piece(original[pos:]))
    return out


def apply_masks(original: str, masks: Sequence[dict[str, Any]]) -> str:
    """The published text: the served text with every mask replaced (DISC-20: nothing else changes)."""
    return "".join(p.text for p in pieces(original, masks))


def occurrences(original: str, needle: str, masks: Iterable[dict[str, Any]]) -> list[tuple[int, int]]:
    """Where `needle` occurs in `original` outside every existing mask."""
    taken = [(m["start"], m["end"]) for m in masks]
    out: list[tuple[int, int]] = []
    start = original.find(needle)
    while needle and start >= 0:
        end = start + len(needle)
        if not any(start < b and a < end for a, b in taken):
            out.append((start, end))
        start = original.find(needle, end)
    return out
