"""Template filters for enforcement documents: {% load doc_format %} then {{ d|cn_date }}, {{ t|cn_datetime }},
{{ amount|rmb_upper }} (伍仟元整), {{ amount|yuan }} (50,000.00)."""

from __future__ import annotations

from typing import Any

from django import template

from zhifa.documents import formatting

register = template.Library()


@register.filter
def cn_date(value: Any) -> str:
    return formatting.cn_date(value)


@register.filter
def cn_datetime(value: Any) -> str:
    return formatting.cn_datetime(value)


@register.filter
def rmb_upper(value: Any) -> str:
    try:
        return formatting.rmb_upper(value)
    except ValueError:
        return ""


@register.filter
def yuan(value: Any) -> str:
    return formatting.yuan(value)
