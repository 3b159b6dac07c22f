"""Snapshot builders: what of a registry entry the public may see (architecture rule 8, DISC-3…6, REG-15).

Each builder copies an explicit allowlist of fields into plain JSON. Anything not named here (ID numbers, phone
numbers of staff, login accounts, internal review opinions) never reaches the portal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Model
from django.utils import timezone

from zhifa.cases.gates import PENALTY_KINDS
from zhifa.disclosure.decisions.text import apply_masks
from zhifa.disclosure.models import DecisionDraft, EntryKind
from zhifa.registry import models as reg
from zhifa.stats.models import StatsPublication


@dataclass(frozen=True)
class Snapshot:
    title: str
    body: dict[str, Any]
    search_text: str


def _d(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _article(article: reg.Article) -> dict[str, Any]:
    return {
        "law": article.law.title,
        "law_version": _d(article.law.version_date),
        "label": article.label,
        "text": article.text,
    }


def _agency(obj: reg.Agency) -> Snapshot:
    body = {
        "name": obj.name,
        "uscc": obj.uscc,
        "kind": obj.get_kind_display(),
        "level": obj.get_level_display(),
        "region": obj.region_name,
        "region_code": obj.region_code,
        "sector": obj.get_sector_display(),
        "legal_basis": obj.legal_basis,
        "delegated_by": obj.delegated_by.name if obj.delegated_by else "",
        "delegation_document": obj.delegation_document,
        "address": obj.address,
        "phone": obj.phone,
        "office_hours": obj.office_hours,
        "website": obj.website,
        "complaint_phone": obj.complaint_phone,
        "complaint_address": obj.complaint_address,
        "reconsideration_body": obj.reconsideration_body,
        "litigation_court": obj.litigation_court,
        "supervisor": obj.supervisor.name if obj.supervisor else "",
        "units": [{"name": u.name, "functions": u.functions} for u in obj.units.all()],
    }
    text = " ".join([obj.name, obj.get_sector_display(), obj.legal_basis, obj.region_name])
    return Snapshot(obj.name, body, text)


def _officer(obj: reg.Staff) -> Snapshot:
    today = timezone.localdate()
    certificates = [
        {
            "number": c.number,
            "type": c.get_certificate_type_display(),
            "issuer": c.issuer,
            "domains": c.domains,
            "valid_to": _d(c.valid_to),
        }
        for c in obj.certificates.all()
        if c.is_valid_on(today)
    ]
    body = {
        "name": obj.name,
        "unit": obj.unit.name if obj.unit else "",
        "position": obj.position,
        "certificates": certificates,
    }
    text = " ".join([obj.name, obj.unit.name if obj.unit else "", *(str(c["domains"]) for c in certificates),
                     *(str(c["number"]) for c in certificates)])
    return Snapshot(obj.name, body, text)


def _power_item(obj: reg.PowerItem) -> Snapshot:
    articles = [_article(a) for a in obj.legal_basis.select_related("law").order_by("law__title", "number")]
    body = {
        "code": obj.code,
        "name": obj.name,
        "action_type": obj.get_action_type_display(),
        "responsible_unit": obj.responsible_unit.name if obj.responsible_unit else "",
        "legal_basis": articles,
        "basis_note": obj.basis_note,
        "responsibility": obj.responsibility,
        "accountability": obj.accountability,
        "steps": [
            {"name": s.name, "description": s.description, "time_limit": s.time_limit_label}
            for s in obj.steps.all()
        ],
    }
    text = " ".join(
        [obj.code, obj.name, obj.get_action_type_display(), obj.basis_note, obj.responsibility,
         *(f"{a['law']}{a['label']} {a['text']}" for a in articles), *(s.name for s in obj.steps.all())]
    )
    return Snapshot(obj.name, body, text)


def _benchmark(obj: reg.DiscretionBenchmark) -> Snapshot:
    body = {
        "code": obj.code,
        "version": obj.version,
        "title": obj.title,
        "power_item": obj.power_item.name,
        "effective_from": _d(obj.effective_from),
        "effective_to": _d(obj.effective_to),
        "tiers": [
            {
                "degree": t.degree,
                "circumstances": t.circumstances,
                "penalty": t.penalty,
                "fine_min": _money(t.fine_min),
                "fine_max": _money(t.fine_max),
            }
            for t in obj.tiers.all()
        ],
    }
    text = " ".join([obj.code, obj.title, obj.power_item.name, *(t.circumstances for t in obj.tiers.all())])
    return Snapshot(f"{obj.title}（第{obj.version}版）", body, text)


def _av_item(obj: reg.AvRecordingItem) -> Snapshot:
    body = {
        "step": obj.step,
        "power_item": obj.power_item.name if obj.power_item else "",
        "requirement": obj.get_requirement_display(),
        "note": obj.note,
    }
    return Snapshot(obj.step, body, " ".join([obj.step, body["power_item"], obj.note]))


def _review_catalog(obj: reg.ReviewCatalogItem) -> Snapshot:
    flags = [
        (obj.when_hearing_held, "经过听证程序"),
        (obj.when_complex, "案情疑难复杂"),
        (obj.when_multiple_legal_relations, "涉及多个法律关系"),
        (obj.when_public_interest, "涉及重大公共利益"),
        (obj.when_high_attention, "社会关注度高"),
    ]
    body = {
        "title": obj.title,
        "action_type": obj.get_action_type_display(),
        "penalty_kinds": list(obj.penalty_kinds),
        "amount_threshold_person": _money(obj.amount_threshold_person),
        "amount_threshold_organization": _money(obj.amount_threshold_organization),
        "circumstances": [label for on, label in flags if on],
        "note": obj.note,
    }
    return Snapshot(obj.title, body, " ".join([obj.title, obj.note, *obj.penalty_kinds]))


def _inspection_item(obj: reg.RandomInspectionItem) -> Snapshot:
    body = {
        "name": obj.name,
        "power_item": obj.power_item.name if obj.power_item else "",
        "subjects": obj.subjects,
        "content": obj.content,
        "method": obj.method,
        "ratio_and_frequency": obj.ratio_and_frequency,
        "basis": obj.basis,
    }
    return Snapshot(obj.name, body, " ".join([obj.name, obj.subjects, obj.content, obj.basis]))


def _service_guide(obj: reg.ServiceGuide) -> Snapshot:
    limit = ""
    if obj.time_limit_days is not None:
        limit = f"{obj.time_limit_days}个{obj.get_time_limit_kind_display()}"
    body = {
        "title": obj.title,
        "power_item": obj.power_item.name if obj.power_item else "",
        "accepting_body": obj.accepting_body,
        "approving_body": obj.approving_body,
        "conditions": obj.conditions,
        "materials": obj.materials,
        "time_limit": limit,
        "fees": obj.fees,
        "contact": obj.contact,
        "steps": [
            {"name": s.name, "description": s.description, "time_limit": s.time_limit_label}
            for s in (obj.power_item.steps.all() if obj.power_item else [])
        ],
    }
    return Snapshot(obj.title, body, " ".join([obj.title, obj.conditions, obj.materials, obj.accepting_body]))


def _stats_report(obj: StatsPublication) -> Snapshot:
    """DISC-29: the frozen version's figures and narrative exactly as frozen (counts only, no personal data), with
    the hash its freeze put in the ledger."""
    frozen = obj.report
    report = frozen.report
    body = {
        "year": frozen.year,
        "version": frozen.version,
        "sha256": frozen.sha256,
        "frozen_at": frozen.frozen_at.isoformat(),
        "report": report,
    }
    title = f"{report['agency_name']} {frozen.year}年度行政执法统计年报"
    return Snapshot(title, body, " ".join([title, "行政执法统计年报", report.get("narrative", "")]))

def _decision(obj: DecisionDraft) -> Snapshot:
    """An enforcement decision (DISC-12 fields, DISC-20 text with every mask applied). Nothing of the case is
    read here: the draft holds what was reviewed, and only its masked text is copied."""
    text = apply_masks(obj.original_text, obj.masks)
    kinds = [PENALTY_KINDS.get(k, k) for k in obj.penalty_kinds]
    body = {
        "category": obj.get_category_display(),
        "category_code": obj.category,
        "enforcement_body": obj.enforcement_body,
        "target": obj.target,
        "conclusion": obj.conclusion,
        "decision_number": obj.decision_number,
        "decided_on": _d(obj.decided_on),
        "year": obj.decided_on.year,
        "legal_basis": obj.legal_basis,
        "penalty_kinds": kinds,
        "penalty_kind_codes": "|" + "|".join(obj.penalty_kinds) + "|",
        "sector": obj.agency.get_sector_display(),
        "sector_code": obj.agency.sector,
        "document_name": obj.document_name,
        "text": text,
        "version": obj.version,
        "correction_note": obj.correction_note,
        "public_until": _d(obj.public_until),
        "period_version": obj.period_version,
    }
    title = f"{obj.document_name or obj.get_category_display()}（{obj.target}）"
    search = " ".join([obj.target, obj.decision_number, obj.get_category_display(), obj.conclusion, *kinds,
                       obj.document_name, text])
    return Snapshot(title, body, search)


BUILDERS: dict[str, tuple[type[Model], Callable[[Any], Snapshot]]] = {
    EntryKind.AGENCY: (reg.Agency, _agency),
    EntryKind.OFFICER: (reg.Staff, _officer),
    EntryKind.POWER_ITEM: (reg.PowerItem, _power_item),
    EntryKind.BENCHMARK: (reg.DiscretionBenchmark, _benchmark),
    EntryKind.AV_ITEM: (reg.AvRecordingItem, _av_item),
    EntryKind.REVIEW_CATALOG: (reg.ReviewCatalogItem, _review_catalog),
    EntryKind.INSPECTION_ITEM: (reg.RandomInspectionItem, _inspection_item),
    EntryKind.SERVICE_GUIDE: (reg.ServiceGuide, _service_guide),
    EntryKind.STATS_REPORT: (StatsPublication, _stats_report),

    EntryKind.DECISION: (DecisionDraft, _decision),
}

KIND_BY_MODEL: dict[type[Model], str] = {model: kind for kind, (model, _builder) in BUILDERS.items()}


def build_snapshot(obj: Model) -> Snapshot:
    kind = KIND_BY_MODEL[type(obj)]
    return BUILDERS[kind][1](obj)
