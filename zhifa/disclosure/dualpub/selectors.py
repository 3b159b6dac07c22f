"""Reads for the 双公示 export: DS-1 penalty records of one agency's decided penalty cases in a date range (by
decision date), each validated (DS-7). Scoped to the user's own agency; who may read: the agency's disclosure
officer and agency head (ADR 0040)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings

from zhifa.accounts.roles import Role
from zhifa.cases.models import Case, Party, PartyKind
from zhifa.disclosure.dualpub.records import (
    CATEGORY_SEPARATOR,
    ID_TYPE_RESIDENT,
    PARTY_ORGANIZATION,
    PARTY_PERSON,
    PENALTY_CATEGORY,
    PenaltyRecord,
    to_wanyuan,
)
from zhifa.disclosure.dualpub.validate import PenaltyRules, Problem, validate_penalty
from zhifa.disclosure.dualpub.validate import refused as is_refused
from zhifa.documents.models import Document
from zhifa.registry.models import Agency

EXPORT_ROLES = frozenset({Role.DISCLOSURE_OFFICER, Role.AGENCY_HEAD})
PENALTY_KINDS = ("penalty", "penalty_simple")
DECISION_DOC_TYPES = ("penalty_decision", "on_site_decision")
# A decision no longer in force is not reported (DISC-23; its withdrawal is another record's business).
NOT_IN_FORCE = ("revoked", "changed", "confirmed_illegal", "confirmed_void")
MAX_RANGE_DAYS = 366 * 5


@dataclass(frozen=True)
class PenaltyRow:
    case_id: str
    reference: str
    agency_id: int
    record: PenaltyRecord
    problems: list[Problem]

    @property
    def refused(self) -> bool:
        return is_refused(self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]


def can_export(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "agency_id", None) is not None
                and user.has_role(*EXPORT_ROLES))


def penalty_rules() -> PenaltyRules:
    """DS-7 flags, configurable (rules.md §12 item 1: unconfirmed). ZHIFA_DUALPUB_PENALTY_RULES: a dict of
    `PenaltyRules` fields, e.g. {"person_needs_id": False, "always": [...]}."""
    overrides = dict(getattr(settings, "ZHIFA_DUALPUB_PENALTY_RULES", {}) or {})
    for key in ("always", "uscc_columns"):
        if key in overrides:
            overrides[key] = tuple(overrides[key])
    return PenaltyRules(**overrides)


def penalty_validity() -> str:
    """DS-6 处罚有效期: no case field holds it; the reported convention is 2099-12-31 = long-term [U] (configurable)."""
    return str(getattr(settings, "ZHIFA_DUALPUB_PENALTY_VALIDITY", "2099-12-31"))


def _categories(kinds: list[str]) -> str:
    return CATEGORY_SEPARATOR.join(PENALTY_CATEGORY.get(k, k) for k in kinds)


def penalty_record(case: Case, party: Party, *, decision_number: str, agency: Agency,
                   validity: str) -> PenaltyRecord:
    """The DS-1 record of one party of a decided penalty case (one record per party, as each is a 行政相对人)."""
    detail = case.penalty
    is_org = party.kind == PartyKind.ORGANIZATION
    return PenaltyRecord(
        CF_XDR_MC=party.name,
        CF_XDR_LB=PARTY_ORGANIZATION if is_org else PARTY_PERSON,
        CF_XDR_SHXYM=party.uscc if is_org else "",
        CF_FRDB=party.legal_representative if is_org else "",
        CF_XDR_ZJLX="" if is_org else ID_TYPE_RESIDENT,
        CF_XDR_ZJHM="" if is_org else party.id_number,
        CF_WSH=decision_number,
        CF_WFXW=case.title,
        CF_SY=detail.facts,
        CF_YJ=detail.legal_basis_text,
        CF_CFLB=_categories(list(detail.penalty_kinds or [])),
        CF_NR=detail.penalty_text,
        CF_NR_FK=to_wanyuan(detail.fine_amount),
        CF_NR_WFFF=to_wanyuan(detail.confiscation_amount),
        CF_JDRQ=case.decided_on.isoformat() if case.decided_on else "",
        CF_YXQ=validity,
        CF_CFJG=agency.name,
        CF_CFJGDM=agency.uscc,
        CF_SJLY=agency.name,  # DS-6: the uploading unit; the deciding agency itself until a platform says otherwise
        CF_SJLYDM=agency.uscc,
    )


def penalty_rows_for(*, user: Any, start: date, end: date) -> list[PenaltyRow]:
    """The user's agency's decided penalties with a decision date in [start, end], one row per party, validated.
    Returns [] for a user who may not export (callers check `can_export` first and answer 403)."""
    if not can_export(user):
        return []
    return agency_penalty_rows(agency=Agency.objects.get(pk=user.agency_id), start=start, end=end)


def agency_penalty_rows(*, agency: Agency, start: date, end: date, case_ids: list[str] | None = None
                        ) -> list[PenaltyRow]:
    """`penalty_rows_for` without the user: the push worker rebuilds a delivery's records with it, limited to the
    cases the delivery froze (`case_ids`, public ids)."""
    found = Case.objects.filter(agency_id=agency.pk, kind__in=PENALTY_KINDS, outcome="penalty",
                                decided_on__gte=start, decided_on__lte=end)
    if case_ids is not None:
        found = found.filter(public_id__in=case_ids)
    cases = list(
        found.exclude(state__in=NOT_IN_FORCE)
        .select_related("penalty")
        .prefetch_related("parties", "parties__personal")
        .order_by("decided_on", "pk")
    )
    numbers: dict[str, str] = {}
    for subject_id, number in (Document.objects.filter(agency_id=agency.pk, doc_type__in=DECISION_DOC_TYPES,
                                                       subject_id__in=[c.public_id for c in cases])
                               .order_by("issued_at", "pk").values_list("subject_id", "number")):
        numbers[str(subject_id)] = number  # the latest decision document wins
    rules, validity = penalty_rules(), penalty_validity()
    rows = []
    for case in cases:
        for party in case.parties.all():
            record = penalty_record(case, party, decision_number=numbers.get(str(case.public_id), ""),
                                    agency=agency, validity=validity)
            rows.append(PenaltyRow(case_id=str(case.public_id), reference=case.reference, agency_id=agency.pk,
                                   record=record, problems=validate_penalty(record, rules)))
    return rows
