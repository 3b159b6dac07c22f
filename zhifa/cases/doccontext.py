"""Build the context of a case document from the case (the documents app renders it; see zhifa/documents/types.py).
The part every kind shares is built here; each case kind adds its own (`Kind.document_part`, e.g.
`zhifa.cases.kinds.penalty_documents`).

Only facts recorded on the case go in; a document type's required items that are still empty make the documents
app refuse to issue it (CASE-42, DOC-5…12), naming what is missing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from zhifa.cases.engine import kind_of
from zhifa.cases.models import Case, Party, PartyKind
from zhifa.documents.services import agency_context


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


def handling_unit_name(case: Case) -> str:
    """承办机构: the power item's unit, else the unit of the first assigned officer, else the agency itself."""
    if case.handling_unit:
        return case.handling_unit.name
    officer = case.officers.select_related("staff__unit").filter(staff__unit__isnull=False).first()
    return officer.staff.unit.name if officer and officer.staff.unit else case.agency.name


def document_context(case: Case, doc_type: str, *, on: date, **extra: Any) -> dict[str, Any]:
    """The shared part (agency, case header, parties, officers, decision date, remedies) and the case kind's own
    part (`Kind.document_part`, ADR 0025), then what the action passes."""
    agency = case.agency
    parties = list(case.parties.select_related("personal"))
    officers = [{"name": o.staff.name, "certificate_number": o.certificate_number}
                for o in case.officers.filter(active=True).select_related("staff")]
    context: dict[str, Any] = {
        "agency": agency_context(agency),
        "issued_on": on,
        "case": {"reference": case.reference, "title": case.title, "cause": case.title, "filed_on": None,
                 "source": case.get_source_kind_display(), "place": case.violation_place, "act_date": case.act_date,
                 "handling_unit": handling_unit_name(case)},
        "party": party_context(parties[0] if parties else None),
        "parties": [party_context(p) for p in parties],
        "officers": officers,
        "facts": case.summary,
        "remedies": remedies_text(case),
        "decided_on": case.decided_on or on,
        "reason": case.outcome_reason,
    }
    part = dict(kind_of(case).document_part(case, doc_type, on))
    context["case"].update(part.pop("case", {}))
    context.update(part)
    context.update(extra)
    return context
