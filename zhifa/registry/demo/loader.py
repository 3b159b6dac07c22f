"""Loads the demo county (docs/decisions/0007-demo-county.md) through the registry services.

Entries are created with `entry_create` (so the same validation as the staff UI applies), sent through the
publication workflow (submit → legality review by the agency's legal reviewer → publish by its disclosure
officer) and so get their public snapshots. A few stay in draft, submitted or reviewed to show the workflow.
Child rows without a publication of their own (procedure steps) are bulk-created for speed before the parent is
submitted. Everything runs in one transaction: a failure leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Model, Sum
from django.utils import timezone

from zhifa.accounts.models import User, UserRole
from zhifa.accounts.roles import Role
from zhifa.registry import models as reg
from zhifa.registry.demo import procedures as proc
from zhifa.registry.demo.agencies import (
    AGENCIES,
    AGENCY_ROLES,
    AUXILIARY,
    BUREAU,
    BUREAU_NAME,
    DEMO_PASSWORD,
    EXPIRED,
    REVIEWER,
    REVIEWER_QUALIFIED,
    SUSPENDED,
    AgencySpec,
    demo_uscc,
)
from zhifa.registry.demo.laws import LawIndex, load_laws
from zhifa.registry.demo.people import NameGenerator
from zhifa.registry.demo.powers import ALSO_CITED, COMPLAINT_GUIDE, OTHER_ITEMS, PENALTIES, GuideSpec, penalty_name
from zhifa.registry.services import entry_create, entry_publish, entry_review, entry_submit

Status = reg.PublicationStatus
ActionType = reg.ActionType

EMPTY, LOADED, OCCUPIED = "empty", "loaded", "occupied"
ADMIN_USERNAME = "admin"
OFFICE_HOURS = "法定工作日 上午8:30—12:00，下午14:30—17:30"
REVIEW_OPINION = "经合法性审核，事项名称、依据和办理流程符合法律、法规规定，同意公开。"
PREFIX: dict[str, str] = {ActionType.PENALTY: "XZCF", ActionType.INSPECTION: "XZJC", ActionType.LICENSE: "XZXK",
          ActionType.COERCION: "XZQZ"}


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    agency: str
    full_name: str


@dataclass
class DemoResult:
    logins: list[Login]
    counts: dict[str, int]


def planned_usernames() -> list[str]:
    names = [ADMIN_USERNAME, f"{BUREAU.key}.supervisor", f"{BUREAU.key}.admin"]
    return names + [f"{spec.key}.{suffix}" for spec in AGENCIES for _role, suffix in AGENCY_ROLES]


def demo_state() -> str:
    """LOADED if the demo is in the database, EMPTY if it may be loaded, OCCUPIED if other data is in the way."""
    if reg.Agency.objects.filter(name=BUREAU_NAME, is_justice_bureau=True).exists():
        return LOADED
    if reg.Agency.objects.exists() or User.objects.filter(username__in=planned_usernames()).exists():
        return OCCUPIED
    return EMPTY


def existing_logins() -> list[Login]:
    """The demo logins as they are in the database now (for the table printed on a second run)."""
    order = {name: i for i, name in enumerate(planned_usernames())}
    users = User.objects.filter(username__in=order).select_related("agency").prefetch_related("roles")
    rows = [
        Login(u.username, "、".join(str(Role(r.role).label) for r in u.roles.all()),
              u.agency.name if u.agency else "（全部机关）", u.full_name)
        for u in users
    ]
    return sorted(rows, key=lambda row: order[row.username])


def load_demo(*, today: date | None = None) -> DemoResult:
    with transaction.atomic():
        loader = _Loader(today or timezone.localdate())
        loader.run()
    return DemoResult(logins=loader.logins, counts=counts())


def counts() -> dict[str, int]:
    models: list[tuple[str, type[Model]]] = [
        ("执法主体", reg.Agency), ("内设机构", reg.Unit), ("工作人员", reg.Staff), ("执法证", reg.Certificate),
        ("培训记录", reg.Training), ("用户", User), ("法律法规", reg.Law), ("法条", reg.Article),
        ("权责清单事项", reg.PowerItem), ("办理环节", reg.ProcedureStep), ("裁量基准", reg.DiscretionBenchmark),
        ("裁量阶次", reg.BenchmarkTier), ("音像记录事项", reg.AvRecordingItem), ("法制审核目录事项", reg.ReviewCatalogItem),
        ("随机抽查事项", reg.RandomInspectionItem), ("服务指南", reg.ServiceGuide),
    ]
    found = {label: model._default_manager.count() for label, model in models}
    # Every publish stores one portal snapshot, so the snapshots are the published versions summed (counted here,
    # not in the portal's table: the registry does not import disclosure, ADR 0023).
    found["公开信息快照"] = sum(
        model._default_manager.aggregate(n=Sum("published_version"))["n"] or 0 for model in PUBLICATION_MODELS
    )
    return found


PUBLICATION_MODELS: tuple[type[reg.Publication], ...] = (
    reg.Agency, reg.Staff, reg.PowerItem, reg.DiscretionBenchmark, reg.AvRecordingItem, reg.ReviewCatalogItem,
    reg.RandomInspectionItem, reg.ServiceGuide,
)


def _create(**kwargs: Any) -> Any:
    """`entry_create`, typed loosely: the demo knows which model each slug makes."""
    return entry_create(**kwargs)


def _pid(obj: Any) -> str:
    return str(obj.public_id) if obj is not None else ""


def _describe(articles: Iterable[reg.Article], titles: dict[int, str]) -> str:
    """《中华人民共和国水法》第三十七条、第六十五条；《…》… (grouped by law, in the given order)."""
    groups: dict[int, list[str]] = {}
    for article in articles:
        labels = groups.setdefault(article.law_id, [])
        if article.label not in labels:
            labels.append(article.label)
    return "；".join(f"《{titles[law_id]}》" + "、".join(labels) for law_id, labels in groups.items())


@dataclass
class _Agency:
    """One agency being loaded: its row, the actors of its workflow, its units and what was created."""

    spec: AgencySpec
    agency: reg.Agency
    admin: User
    publisher: User
    reviewer: User | None = None
    units: dict[str, reg.Unit] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    # (entry, target state) in creation order; the workflow runs once children exist.
    pending: list[tuple[Any, str]] = field(default_factory=list)

    def code(self, action_type: str) -> str:
        n = self.codes[action_type] = self.codes.get(action_type, 0) + 1
        return f"{PREFIX[action_type]}-{n:03d}"


class _Loader:
    def __init__(self, today: date) -> None:
        self.today = today
        self.names = NameGenerator()
        self.password = make_password(DEMO_PASSWORD)  # hashed once (Argon2 is slow on purpose)
        self.logins: list[Login] = []
        self.laws: LawIndex
        self.titles: dict[int, str] = {}
        self.cert_serial = 0
        self.training_rows: list[reg.Training] = []

    # ---------------------------------------------------------------------------------------------------- users

    def user(self, username: str, role: str, agency: reg.Agency | None, full_name: str = "") -> User:
        user = User.objects.create(
            username=username, password=self.password, full_name=full_name or self.names(), agency=agency,
            is_demo=True,
        )
        UserRole.objects.create(user=user, role=role)
        self.logins.append(Login(username, str(Role(role).label), agency.name if agency else "（全部机关）",
                                 user.full_name))
        return user

    # ------------------------------------------------------------------------------------------------- agencies

    def run(self) -> None:
        self.laws = load_laws()
        self.titles = {law.pk: law.title for law in self.laws.laws.values()}
        root = self.user(ADMIN_USERNAME, Role.SYSTEM_ADMIN, None)
        bureau = self.agency(root, BUREAU, serial=1, supervisor=None)
        self.user(f"{BUREAU.key}.supervisor", Role.SUPERVISOR, bureau)
        bureau_admin = self.user(f"{BUREAU.key}.admin", Role.AGENCY_ADMIN, bureau)
        for unit in BUREAU.units:
            _create(actor=bureau_admin, slug="unit", agency=bureau, data={"name": unit.name, "functions": unit.functions})
        entry_publish(actor=bureau_admin, obj=bureau)
        for serial, spec in enumerate(AGENCIES, start=2):
            self.load_agency(root, spec, serial, bureau)
        order = {name: i for i, name in enumerate(planned_usernames())}
        self.logins.sort(key=lambda row: order[row.username])

    def agency(self, root: User, spec: AgencySpec, *, serial: int, supervisor: reg.Agency | None) -> reg.Agency:
        devices = spec.av_device_count
        if devices is None:  # enough for REG-23, with one spare (the bureau enforces nothing: none)
            devices = reg.required_av_devices(spec.certified_plan) + 1 if spec.staff else 0
        data = {
            "name": spec.name, "short_name": spec.short_name, "uscc": demo_uscc(spec.region_code, serial),
            "kind": reg.AgencyKind.ADMINISTRATIVE_ORGAN, "level": spec.level, "region_code": spec.region_code,
            "region_name": spec.region_name, "sector": spec.sector, "is_justice_bureau": supervisor is None,
            "supervisor": _pid(supervisor), "legal_basis": spec.legal_basis, "address": spec.address,
            "phone": spec.phone, "office_hours": OFFICE_HOURS, "complaint_phone": spec.complaint_phone,
            "complaint_address": f"{spec.address}（信访接待室）", "reconsideration_body": spec.reconsideration_body,
            "litigation_court": spec.litigation_court, "av_device_count": str(devices),
        }
        return _create(actor=root, slug="agency", data=data)

    def load_agency(self, root: User, spec: AgencySpec, serial: int, bureau: reg.Agency) -> None:
        agency = self.agency(root, spec, serial=serial, supervisor=bureau)
        logins = {role: f"{spec.key}.{suffix}" for role, suffix in AGENCY_ROLES}
        ctx = _Agency(
            spec, agency,
            admin=self.user(logins[Role.AGENCY_ADMIN], Role.AGENCY_ADMIN, agency),
            publisher=self.user(logins[Role.DISCLOSURE_OFFICER], Role.DISCLOSURE_OFFICER, agency),
        )
        self.user(logins[Role.ARCHIVIST], Role.ARCHIVIST, agency)
        for unit in spec.units:
            ctx.units[unit.name] = _create(
                actor=ctx.admin, slug="unit", agency=agency,
                data={"name": unit.name, "functions": unit.functions, "is_legal_office": unit.is_legal_office},
            )
        linked = self.staff(ctx)
        for role, staff in linked.items():
            user = self.user(logins[role], role, agency, full_name=staff.name)
            reg.Staff.objects.filter(pk=staff.pk).update(user=user)
            if role == Role.LEGAL_REVIEWER:
                ctx.reviewer = user
        entry_publish(actor=ctx.publisher, obj=agency)
        for staff in reg.Staff.objects.filter(agency=agency).prefetch_related("certificates"):
            if staff.valid_certificate_on(self.today):
                entry_publish(actor=ctx.publisher, obj=staff)
        items = self.power_items(ctx)
        self.benchmarks(ctx, items)
        self.lists(ctx, items)
        for obj, target in ctx.pending:
            self.finish(ctx, obj, target)

    # ---------------------------------------------------------------------------------------------------- staff

    def staff(self, ctx: _Agency) -> dict[str, reg.Staff]:
        spec, linked = ctx.spec, cast(dict[str, reg.Staff], {})
        certificates: list[reg.Certificate] = []  # children of a draft: bulk-created, nothing to re-review
        for i, plan in enumerate(spec.staff):
            qualified = plan.kind == REVIEWER_QUALIFIED
            staff: reg.Staff = _create(actor=ctx.admin, slug="staff", agency=ctx.agency, data={
                "name": self.names(), "unit": _pid(ctx.units[plan.unit]) if plan.unit else "",
                "position": plan.position, "is_auxiliary": plan.kind == AUXILIARY,
                "is_legal_reviewer": plan.kind in (REVIEWER, REVIEWER_QUALIFIED), "has_legal_qualification": qualified,
                "legal_qualification_number": f"A{2015 + i % 6}{spec.region_code}{i + 1:04d}" if qualified else "",
                "active": True,
            })
            if plan.login:
                linked[plan.login] = staff
            self.trainings(ctx, staff, plan.kind, i)
            if plan.kind == AUXILIARY:
                continue
            self.cert_serial += 1
            valid_from = date(2023 + i % 3, 1 + 3 * (i % 4), 1)
            valid_to = date(valid_from.year + 5, valid_from.month, 1) - timedelta(days=1)
            status = reg.CertificateStatus.VALID
            if plan.kind == EXPIRED:
                valid_from, valid_to = date(2021, 4, 1), date(2026, 3, 31)
            elif plan.kind == SUSPENDED:
                status = reg.CertificateStatus.SUSPENDED
            certificates.append(reg.Certificate(
                staff=staff, number=f"{spec.province}{spec.region_code}-{valid_from.year}-{self.cert_serial:04d}",
                certificate_type=reg.CertificateType.PROVINCIAL, issuer=f"{spec.province_name}人民政府",
                valid_from=valid_from, valid_to=valid_to, status=status, domains=spec.domains,
            ))
        reg.Certificate.objects.bulk_create(certificates)
        reg.Training.objects.bulk_create(self.training_rows)
        self.training_rows = []
        return linked

    def trainings(self, ctx: _Agency, staff: reg.Staff, kind: str, i: int) -> None:
        rows = [("执法辅助人员岗前培训", ctx.agency.name, date(2026, 3, 10), "8", "合格")] if kind == AUXILIARY else [
            ("2026年度行政执法人员公共法律知识培训", BUREAU_NAME, date(2026, 4, 14 + i % 3), "16", "合格"),
            (f"{ctx.agency.short_name or ctx.agency.name}执法业务培训", ctx.agency.name, date(2025, 9, 20 + i % 5), "8",
             "合格"),
        ]
        if kind in (REVIEWER, REVIEWER_QUALIFIED):
            rows.append(("重大执法决定法制审核业务培训", BUREAU_NAME, date(2026, 6, 18), "12", "优秀"))
        self.training_rows += [
            reg.Training(staff=staff, title=title, organizer=organizer, held_on=held_on, hours=Decimal(hours),
                         assessment=assessment)
            for title, organizer, held_on, hours, assessment in rows
        ]

    # ------------------------------------------------------------------------------------------------ power list

    def power_items(self, ctx: _Agency) -> list[tuple[reg.PowerItem, Any]]:
        """Penalty items from the sector's penalty articles, then licences, coercion and inspections."""
        spec, laws = ctx.spec, self.laws
        created: list[tuple[reg.PowerItem, Any]] = []
        steps: list[reg.ProcedureStep] = []
        penalties = PENALTIES[spec.sector]
        for key in penalties:
            penalty = laws.penalty(*key)
            sources = [key, ALSO_CITED[key]] if key in ALSO_CITED else [key]  # by_reference: both penalty articles
            rules = [laws.article(*k) for k in sources]
            enforced = [a for k in sources for a in laws.enforced(*k)]
            note = f"{_describe(rules, self.titles)}（罚则）"
            if enforced:
                note += f"；{_describe(enforced, self.titles)}（所违反的规定）"
            note += f"。实施主体：{penalty['authority']}。"
            articles = rules + enforced
            item = self.power_item(ctx, ActionType.PENALTY, penalty_name(key, penalty["violation"]), articles, note,
                                   spec.enforcement_unit)
            steps += self.steps(item, proc.PENALTY_STEPS)
            created.append((item, key))
        for other_spec in OTHER_ITEMS[spec.sector]:
            articles = [laws.article(law, n) for law, numbers in other_spec.basis for n in numbers]
            note = _describe(articles, self.titles) + ("。" + other_spec.note if other_spec.note else "。")
            unit = spec.license_unit if other_spec.action_type == ActionType.LICENSE else spec.enforcement_unit
            item = self.power_item(ctx, other_spec.action_type, other_spec.name, articles, note, unit)
            template = proc.steps_for(item.action_type, demolition="拆除" in item.name)
            if other_spec.decision is not None:  # the law itself states the limit (or leaves it elsewhere)
                days, kind, description, rule = other_spec.decision
                template = tuple((s[0], description, days, kind, rule) if s[0] == "决定" else s for s in template)
            steps += self.steps(item, template)
            created.append((item, other_spec))
        reg.ProcedureStep.objects.bulk_create(steps)
        # Workflow targets: the newest penalty item is still a draft, the one before awaits review; the last
        # inspection item passed review but is not yet published. Everything else is published.
        inspections = [item for item, _s in created if item.action_type == ActionType.INSPECTION]
        for index, (item, _source) in enumerate(created):
            target = Status.PUBLISHED
            if index == len(penalties) - 1:
                target = Status.DRAFT
            elif index == len(penalties) - 2:
                target = Status.SUBMITTED
            elif inspections and item is inspections[-1]:
                target = Status.REVIEWED
            ctx.pending.append((item, target))
        return created

    def power_item(self, ctx: _Agency, action_type: str, name: str, articles: list[reg.Article], note: str,
                   unit: str) -> reg.PowerItem:
        basis = list(dict.fromkeys(_pid(a) for a in articles))
        return _create(actor=ctx.admin, slug="power_item", agency=ctx.agency, data={
            "code": ctx.code(action_type), "name": name, "action_type": action_type,
            "responsible_unit": _pid(ctx.units[unit]), "legal_basis": basis, "basis_note": note,
            "responsibility": proc.RESPONSIBILITY[action_type], "accountability": proc.ACCOUNTABILITY,
        })

    @staticmethod
    def steps(item: reg.PowerItem, template: tuple[proc.Step, ...]) -> list[reg.ProcedureStep]:
        return [
            reg.ProcedureStep(power_item=item, order=i, name=name, description=description, time_limit_days=days,
                              time_limit_kind=kind if days is not None else "", rule_ref=rule)
            for i, (name, description, days, kind, rule) in enumerate(template, start=1)
        ]

    # ----------------------------------------------------------------------------------- benchmarks and lists

    def benchmarks(self, ctx: _Agency, items: list[tuple[reg.PowerItem, Any]]) -> None:
        """Discretion benchmarks for the first three published penalty items with a fixed fine range."""
        chosen = []
        for item, key in items:
            if item.action_type == ActionType.PENALTY and dict(ctx.pending)[item] == Status.PUBLISHED:
                tier = proc.fine_tier(self.laws.penalty(*key))
                if tier is not None:
                    chosen.append((item, key, tier))
        for n, (item, key, tier) in enumerate(chosen[:3], start=1):
            cite = _describe([self.laws.article(*key)], self.titles)
            benchmark = _create(actor=ctx.admin, slug="benchmark", agency=ctx.agency, data={
                "power_item": _pid(item), "code": f"CLJZ-{n:03d}", "title": f"{cite}行政处罚裁量基准",
                "effective_from": "2026-01-01",
            })
            reg.BenchmarkTier.objects.bulk_create(
                reg.BenchmarkTier(benchmark=benchmark, **band) for band in proc.bands(tier)
            )
            ctx.pending.append((benchmark, Status.SUBMITTED if n == 3 else Status.PUBLISHED))

    def lists(self, ctx: _Agency, items: list[tuple[reg.PowerItem, Any]]) -> None:
        spec, agency = ctx.spec, ctx.agency
        status = dict(ctx.pending)
        coercion = [item for item, _s in items if item.action_type == ActionType.COERCION]
        requirement = proc.av_requirement(spec.av_conditional)
        av_rows = [("", step, requirement, note) for step, note in proc.AV_DISPUTE_STEPS]
        av_rows += [("", step, requirement, note) for step, note in proc.AV_EXTRA_STEPS.get(spec.seed, ())]
        for item in coercion:  # REC-3: always full-process recording
            av_rows.append((_pid(item), item.name[:64], reg.RecordingRequirement.REQUIRED,
                            "直接涉及重大财产权益的现场执法活动，全程音像记录（REC-3）。"))
        for i, (power_item, step, req, note) in enumerate(av_rows):
            obj = _create(actor=ctx.admin, slug="av_item", agency=agency, data={
                "power_item": power_item, "step": step, "requirement": req, "note": note})
            ctx.pending.append((obj, Status.DRAFT if i == len(av_rows) - 1 else Status.PUBLISHED))
        person, organization = spec.review_thresholds
        has_license = any(item.action_type == ActionType.LICENSE for item, _s in items)
        for row in proc.review_catalog(person, organization, has_coercion=bool(coercion), has_license=has_license):
            obj = _create(actor=ctx.admin, slug="review_catalog", agency=agency, data=row)
            ctx.pending.append((obj, Status.PUBLISHED))
        for item, source in items:
            if item.action_type != ActionType.INSPECTION:
                continue
            obj = _create(actor=ctx.admin, slug="inspection_item", agency=agency, data={
                "power_item": _pid(item), "name": item.name, "subjects": source.subjects, "content": source.content,
                "method": "“双随机”抽查（随机抽取检查对象、随机选派执法检查人员）",
                "ratio_and_frequency": "每年至少1次，抽查比例不低于检查对象总数的5%（本机关年度抽查计划确定）",
                "basis": _describe(item.legal_basis.all(), self.titles),
            })
            target = Status.SUBMITTED if status[item] != Status.PUBLISHED else Status.PUBLISHED
            ctx.pending.append((obj, target))
        guides: list[tuple[reg.PowerItem | None, GuideSpec]] = [
            (item, source.guide) for item, source in items if getattr(source, "guide", None)
        ]
        for guided, guide in [*guides, (None, COMPLAINT_GUIDE)]:
            obj = self.guide(ctx, guided, guide)
            ctx.pending.append((obj, Status.PUBLISHED))

    def guide(self, ctx: _Agency, item: reg.PowerItem | None, guide: GuideSpec) -> reg.ServiceGuide:
        spec = ctx.spec
        unit = spec.license_unit if item is not None else ("办公室" if "办公室" in ctx.units else spec.enforcement_unit)
        days, kind = guide.time_limit or (None, "")
        return _create(actor=ctx.admin, slug="service_guide", agency=ctx.agency, data={
            "power_item": _pid(item), "title": guide.title, "accepting_body": f"{spec.name}{unit}",
            "approving_body": spec.name, "conditions": guide.conditions, "materials": guide.materials,
            "time_limit_days": "" if days is None else str(days), "time_limit_kind": kind, "fees": guide.fees,
            "contact": f"咨询电话：{spec.phone}；办公时间：{OFFICE_HOURS}",
        })

    # ------------------------------------------------------------------------------------------------- workflow

    def finish(self, ctx: _Agency, obj: reg.Publication, target: str) -> None:
        """Walk an entry through the publication workflow up to `target` (REG-2/REG-3, DISC-1)."""
        if target == Status.DRAFT:
            return
        obj = entry_submit(actor=ctx.admin, obj=obj)
        if target == Status.SUBMITTED:
            return
        assert ctx.reviewer is not None
        obj = entry_review(actor=ctx.reviewer, obj=obj, approve=True, opinion=REVIEW_OPINION)
        if target == Status.REVIEWED:
            return
        entry_publish(actor=ctx.publisher, obj=obj)
