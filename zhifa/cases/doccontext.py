"""Build the context of a case document from the case (the documents app renders it; see zhifa/documents/types.py).

Only facts recorded on the case go in; a document type's required items that are still empty make the documents
app refuse to issue it (CASE-42, DOC-5…12), naming what is missing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from zhifa.cases.models import Case, Party, PartyKind
from zhifa.documents.services import agency_context
from zhifa.workdays.calendar import Direction, load_calendar


def party_context(party: Party | None, act_date: date | None = None) -> dict[str, Any]:
    if party is None:
        return {}
    person = party.kind == PartyKind.PERSON
    age_note = ""
    if person and party.age_at_act is not None and party.age_at_act < 18:
        age_note = _("违法行为发生时%(age)d周岁") % {"age": party.age_at_act}
    return {
        "kind_label": str(PartyKind(party.kind).label), "name": party.name,
        "id_label": _("公民身份号码") if person else _("统一社会信用代码"), "id_number": party.identifier,
        "address": party.address, "phone": party.phone, "legal_representative": party.legal_representative,
        "age_note": age_note,
    }


def remedies_text(case: Case) -> str:
    """CASE-43: routes and deadlines for 行政复议 (60 days) and 行政诉讼 (6 months) from receipt."""
    agency = case.agency
    body = agency.reconsideration_body or _("有管辖权的行政复议机关")
    court = agency.litigation_court or _("有管辖权的人民法院")
    return _("如不服本决定，可以在收到本决定书之日起六十日内向%(body)s申请行政复议，或者在六个月内依法向%(court)s提起行政诉讼。"
             "申请行政复议或者提起行政诉讼的，不停止本决定的执行，法律另有规定的除外。") % {"body": body, "court": court}


def performance_text(case: Case) -> str:
    if case.performance_text.strip():
        return case.performance_text
    if case.fine_amount:
        return _("当事人应当自收到本决定书之日起十五日内，将罚款缴至指定银行或者通过电子支付系统缴纳。"
                 "到期不缴纳罚款的，每日按罚款数额的百分之三加处罚款，加处罚款的数额不超过罚款数额。")
    return ""


def handling_unit_name(case: Case) -> str:
    """承办机构: the power item's unit, else the unit of the first assigned officer, else the agency itself."""
    if case.handling_unit:
        return case.handling_unit.name
    officer = case.officers.select_related("staff__unit").filter(staff__unit__isnull=False).first()
    return officer.staff.unit.name if officer and officer.staff.unit else case.agency.name


def evidence_lines(case: Case) -> list[str]:
    return [line.strip(" ；;、") for line in case.evidence_summary.splitlines() if line.strip()]


def document_context(case: Case, doc_type: str, *, on: date, **extra: Any) -> dict[str, Any]:
    agency = case.agency
    parties = list(case.parties.select_related("personal"))
    officers = [{"name": o.staff.name, "certificate_number": o.certificate_number}
                for o in case.officers.filter(active=True).select_related("staff")]
    context: dict[str, Any] = {
        "agency": agency_context(agency),
        "issued_on": on,
        "case": {"reference": case.reference, "title": case.title, "cause": case.title, "filed_on": case.filed_on,
                 "source": case.get_source_kind_display(), "place": case.violation_place, "act_date": case.act_date,
                 "handling_unit": handling_unit_name(case)},
        "party": party_context(parties[0] if parties else None),
        "parties": [party_context(p) for p in parties],
        "officers": officers,
        "facts": case.facts or case.summary,
        "evidence": evidence_lines(case),
        "legal_basis": case.legal_basis_text,
        "penalty": case.penalty_text,
        "fine_amount": case.fine_amount,
        "performance": performance_text(case),
        "remedies": remedies_text(case),
        "decided_on": case.decided_on or on,
        "reason": case.outcome_reason,
    }
    if doc_type in ("prior_notice", "hearing_right_notice") and case.notice_served_on:
        cal = load_calendar(agency.region_code)
        from zhifa.cases.gates import case_settings

        days = 5 if doc_type == "hearing_right_notice" else case_settings(agency).defense_days
        context["deadline"] = cal.add_working_days(case.notice_served_on, days,
                                                   direction=Direction.PARTY_RIGHT).due
        context["rights"] = _rights_text(doc_type, days)
    context.update(extra)
    return context


def _rights_text(doc_type: str, days: int) -> str:
    if doc_type == "hearing_right_notice":
        return _("根据《中华人民共和国行政处罚法》第六十三条、第六十四条的规定，你（单位）有要求听证的权利。"
                 "如要求听证，应当在收到本告知书之日起五个工作日内提出；逾期未提出的，视为放弃听证权利。")
    return _("根据《中华人民共和国行政处罚法》第四十四条、第四十五条的规定，你（单位）有陈述、申辩的权利。"
             "可以在收到本告知书之日起%(days)d个工作日内提出陈述、申辩意见；逾期未提出的，视为放弃上述权利。") % {"days": days}
