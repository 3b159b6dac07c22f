"""Desensitization of decision text for publication (issue 12 part 1, ADR 0039; DISC-19…21).

A pure package: no Django, no database, usable from services, from `zhifa redact` and from the benchmark.

    from zhifa.disclosure.desensitize import desensitize, verify_clean
    result = desensitize(text, known=[("王建国", "person_name"), ("13812345678", "phone")],
                         keep=[("张伟", "officer")])
    result.text, result.spans
"""

from __future__ import annotations

from .engine import (
    ADDRESS,
    ADDRESS_MASK,
    AGENCY,
    BANK_CARD,
    CATEGORIES,
    CERTIFICATE,
    ID_NUMBER,
    LAW_TITLE,
    OFFICER,
    ORGANIZATION,
    OTHER,
    PERSON,
    PHONE,
    PLATE,
    USCC,
    Finding,
    Kept,
    Redaction,
    Span,
    desensitize,
    mask_name,
    verify_clean,
)

__all__ = [
    "ADDRESS", "ADDRESS_MASK", "AGENCY", "BANK_CARD", "CATEGORIES", "CERTIFICATE", "ID_NUMBER", "LAW_TITLE",
    "OFFICER", "ORGANIZATION", "OTHER", "PERSON", "PHONE", "PLATE", "USCC",
    "Finding", "Kept", "Redaction", "Span", "desensitize", "mask_name", "verify_clean",
]
