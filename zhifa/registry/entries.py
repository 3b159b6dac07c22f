"""The kinds of registry entry staff maintain, declared once for services, forms, views and the API.

Each `EntryType` names its model, the fields staff edit, its parent (certificates belong to a staff member, steps
to a power item …) and who may write it. One generic set of services, views and API routes serves them all, so
the rules (agency scoping, re-review after a change, publication) are written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Model
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhifa.accounts.roles import REGISTRY_EDITORS, STAFF_EDITORS, Role
from zhifa.registry import models as reg


@dataclass(frozen=True)
class EntryType:
    slug: str
    model: type[Model]
    label: str | Promise
    fields: tuple[str, ...]
    editors: frozenset[str]
    parent: str | None = None  # slug of the parent entry type
    parent_field: str = ""  # FK on this model pointing at the parent
    list_columns: tuple[str, ...] = ()
    creators: frozenset[str] | None = None  # defaults to editors
    global_scope: bool = False  # the law library is shared by all agencies
    children: tuple[str, ...] = field(default=())

    @property
    def publishable(self) -> bool:
        return issubclass(self.model, reg.Publication)

    @property
    def needs_legality_review(self) -> bool:
        return self.publishable and bool(getattr(self.model, "needs_legality_review", False))

    @property
    def may_create(self) -> frozenset[str]:
        return self.creators if self.creators is not None else self.editors


ADMIN_ONLY = frozenset({Role.SYSTEM_ADMIN})

_TYPES = [
    EntryType(
        "agency", reg.Agency, _("执法主体"),
        ("name", "short_name", "uscc", "kind", "level", "region_code", "region_name", "sector", "is_justice_bureau",
         "supervisor", "legal_basis", "delegated_by", "delegation_document", "address", "phone", "office_hours",
         "website", "complaint_phone", "complaint_address", "reconsideration_body", "litigation_court",
         "av_device_count"),
        editors=frozenset({Role.AGENCY_ADMIN, Role.SYSTEM_ADMIN}), creators=ADMIN_ONLY,
        list_columns=("name", "uscc", "sector"), children=("unit",),
    ),
    EntryType(
        "unit", reg.Unit, _("内设机构"), ("name", "functions", "is_legal_office"), editors=STAFF_EDITORS,
        list_columns=("name", "is_legal_office"),
    ),
    EntryType(
        "staff", reg.Staff, _("工作人员"),
        ("name", "unit", "position", "is_auxiliary", "is_legal_reviewer", "has_legal_qualification",
         "legal_qualification_number", "active"),
        editors=STAFF_EDITORS, list_columns=("name", "unit", "position"), children=("certificate", "training"),
    ),
    EntryType(
        "certificate", reg.Certificate, _("执法证"),
        ("number", "certificate_type", "issuer", "valid_from", "valid_to", "status", "domains"),
        editors=STAFF_EDITORS, parent="staff", parent_field="staff",
        list_columns=("number", "valid_to", "status"),
    ),
    EntryType(
        "training", reg.Training, _("培训记录"), ("title", "organizer", "held_on", "hours", "assessment"),
        editors=STAFF_EDITORS, parent="staff", parent_field="staff", list_columns=("title", "held_on"),
    ),
    EntryType(
        "law", reg.Law, _("法律法规"),
        ("title", "issuer", "level", "sector", "version_date", "effective_from", "effective_to", "source_url"),
        editors=ADMIN_ONLY, global_scope=True, list_columns=("title", "version_date", "level"),
        children=("article",),
    ),
    EntryType(
        "article", reg.Article, _("法条"), ("number", "label", "text", "summary", "is_penalty_article"),
        editors=ADMIN_ONLY, parent="law", parent_field="law", global_scope=True, list_columns=("label", "summary"),
    ),
    EntryType(
        "power_item", reg.PowerItem, _("权责清单事项"),
        ("code", "name", "action_type", "responsible_unit", "legal_basis", "basis_note", "responsibility",
         "accountability"),
        editors=REGISTRY_EDITORS, list_columns=("code", "name", "action_type"), children=("step",),
    ),
    EntryType(
        "step", reg.ProcedureStep, _("办理环节"),
        ("order", "name", "description", "time_limit_days", "time_limit_kind", "rule_ref"),
        editors=REGISTRY_EDITORS, parent="power_item", parent_field="power_item",
        list_columns=("order", "name", "time_limit_days"),
    ),
    EntryType(
        "benchmark", reg.DiscretionBenchmark, _("裁量基准"),
        ("power_item", "code", "title", "effective_from", "effective_to"),
        editors=REGISTRY_EDITORS, list_columns=("code", "title", "version"), children=("tier",),
    ),
    EntryType(
        "tier", reg.BenchmarkTier, _("裁量阶次"),
        ("order", "degree", "circumstances", "penalty", "fine_min", "fine_max"),
        editors=REGISTRY_EDITORS, parent="benchmark", parent_field="benchmark",
        list_columns=("order", "degree", "penalty"),
    ),
    EntryType(
        "av_item", reg.AvRecordingItem, _("音像记录事项"), ("power_item", "step", "requirement", "note"),
        editors=REGISTRY_EDITORS, list_columns=("step", "requirement"),
    ),
    EntryType(
        "review_catalog", reg.ReviewCatalogItem, _("法制审核目录事项"),
        ("title", "action_type", "penalty_kinds", "amount_threshold_person", "amount_threshold_organization",
         "when_hearing_held", "when_complex", "when_multiple_legal_relations", "when_public_interest",
         "when_high_attention", "note"),
        editors=REGISTRY_EDITORS, list_columns=("title", "action_type"),
    ),
    EntryType(
        "inspection_item", reg.RandomInspectionItem, _("随机抽查事项"),
        ("power_item", "name", "subjects", "content", "method", "ratio_and_frequency", "basis"),
        editors=REGISTRY_EDITORS, list_columns=("name", "method"),
    ),
    EntryType(
        "service_guide", reg.ServiceGuide, _("服务指南"),
        ("power_item", "title", "accepting_body", "approving_body", "conditions", "materials", "time_limit_days",
         "time_limit_kind", "fees", "contact"),
        editors=REGISTRY_EDITORS, list_columns=("title", "accepting_body"),
    ),
]

ENTRY_TYPES: dict[str, EntryType] = {t.slug: t for t in _TYPES}
TOP_LEVEL_TYPES = [t for t in _TYPES if t.parent is None]


def entry_type(slug: str) -> EntryType:
    return ENTRY_TYPES[slug]


def agency_of(obj: Model) -> reg.Agency | None:
    """The agency an entry belongs to, following the parent chain (None for the shared law library)."""
    if isinstance(obj, reg.Agency):
        return obj
    if isinstance(obj, reg.Certificate | reg.Training):
        return obj.staff.agency
    if isinstance(obj, reg.ProcedureStep):
        return obj.power_item.agency
    if isinstance(obj, reg.BenchmarkTier):
        return obj.benchmark.agency
    if isinstance(obj, reg.Law | reg.Article):
        return None
    return obj.agency  # type: ignore[attr-defined]
