"""The 行政处罚 part of a case document's context (general and simple procedure): the facts, evidence, legal
basis, penalty and fine, performance, and the defense or hearing deadline of a notice (ADR 0025)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from zhifa.cases.gates import case_settings
from zhifa.cases.models import Case, PenaltyDetail
from zhifa.workdays.calendar import Direction, load_calendar


def performance_text(detail: PenaltyDetail) -> str:
    if detail.performance_text.strip():
        return detail.performance_text
    if detail.fine_amount:
        return _("当事人应当自收到本决定书之日起十五日内，将罚款缴至指定银行或者通过电子支付系统缴纳。"
                 "到期不缴纳罚款的，每日按罚款数额的百分之三加处罚款，加处罚款的数额不超过罚款数额。")
    return ""


def evidence_lines(detail: PenaltyDetail) -> list[str]:
    return [line.strip(" ；;、") for line in detail.evidence_summary.splitlines() if line.strip()]


def penalty_document_part(case: Case, doc_type: str, on: date) -> dict[str, Any]:
    detail = case.penalty
    part: dict[str, Any] = {
        "case": {"filed_on": detail.filed_on},
        "facts": detail.facts or case.summary,
        "evidence": evidence_lines(detail),
        "legal_basis": detail.legal_basis_text,
        "penalty": detail.penalty_text,
        "fine_amount": detail.fine_amount,
        "performance": performance_text(detail),
    }
    if doc_type in ("prior_notice", "hearing_right_notice") and detail.notice_served_on:
        days = 5 if doc_type == "hearing_right_notice" else case_settings(case.agency).defense_days
        part["deadline"] = load_calendar(case.agency.region_code).add_working_days(
            detail.notice_served_on, days, direction=Direction.PARTY_RIGHT).due
        part["rights"] = _rights_text(doc_type, days)
    return part


def _rights_text(doc_type: str, days: int) -> str:
    if doc_type == "hearing_right_notice":
        return _("根据《中华人民共和国行政处罚法》第六十三条、第六十四条的规定，你（单位）有要求听证的权利。"
                 "如要求听证，应当在收到本告知书之日起五个工作日内提出；逾期未提出的，视为放弃听证权利。")
    return _("根据《中华人民共和国行政处罚法》第四十四条、第四十五条的规定，你（单位）有陈述、申辩的权利。"
             "可以在收到本告知书之日起%(days)d个工作日内提出陈述、申辩意见；逾期未提出的，视为放弃上述权利。") % {"days": days}
