"""The registry: who enforces what, on which legal basis, by which procedure (REG-1…REG-23, DISC-3…6).

Entries that the public sees carry a publication workflow (`Publication`): draft → submitted → reviewed →
published (REG-2/REG-3). The portal never reads these rows: publishing copies an allowlist of fields into a
`disclosure.PublicEntry` snapshot (architecture rule 8).
"""

from __future__ import annotations

import math
import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhifa.common.identifiers import validate_uscc_field


class Sector(models.TextChoices):
    WATER = "water", _("水利")
    URBAN = "urban", _("城市管理")
    AGRICULTURE = "agriculture", _("农业农村")
    ENVIRONMENT = "environment", _("生态环境")
    JUSTICE = "justice", _("司法行政")
    OTHER = "other", _("其他")


class AgencyKind(models.TextChoices):
    """REG-6a."""

    ADMINISTRATIVE_ORGAN = "administrative_organ", _("行政机关")
    AUTHORIZED_ORGANIZATION = "authorized_organization", _("法律法规授权组织")
    ENTRUSTED_ORGANIZATION = "entrusted_organization", _("受委托组织")
    TOWNSHIP_DEVOLVED = "township_devolved", _("乡镇街道（赋权）")


class AgencyLevel(models.TextChoices):
    PROVINCE = "province", _("省级")
    CITY = "city", _("市级")
    COUNTY = "county", _("县级")
    TOWNSHIP = "township", _("乡镇（街道）级")


class ActionType(models.TextChoices):
    """REG-4."""

    PENALTY = "penalty", _("行政处罚")
    COERCION = "coercion", _("行政强制")
    INSPECTION = "inspection", _("行政检查")
    LEVY = "levy", _("行政征收（征用）")
    LICENSE = "license", _("行政许可")
    CONFIRMATION = "confirmation", _("行政确认")
    BENEFIT = "benefit", _("行政给付")
    ADJUDICATION = "adjudication", _("行政裁决")
    REWARD = "reward", _("行政奖励")
    OTHER = "other", _("其他")


class DayKind(models.TextChoices):
    WORKING = "working", _("工作日")
    CALENDAR = "calendar", _("自然日")


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待合法性审核")
    REVIEWED = "reviewed", _("审核通过")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")


class Publication(models.Model):
    """Publication workflow fields shared by every entry the public sees (REG-2/3, DISC-1)."""

    # Entries that need a legality review (合法性审核) before publication; the roster does not.
    needs_legality_review = True

    publication_status = models.CharField(
        _("发布状态"), max_length=16, choices=PublicationStatus.choices, default=PublicationStatus.DRAFT
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("审核人"),
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_opinion = models.TextField(_("审核意见"), blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("发布人"),
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_version = models.PositiveIntegerField(_("已发布版本"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True

    @property
    def is_published(self) -> bool:
        return self.publication_status == PublicationStatus.PUBLISHED


class Agency(Publication):
    """An enforcement body (执法主体), or the justice bureau that supervises them (REG-1)."""

    needs_legality_review = False

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("名称"), max_length=128, unique=True)
    short_name = models.CharField(_("简称"), max_length=32, blank=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc_field])
    kind = models.CharField(_("主体类别"), max_length=32, choices=AgencyKind.choices)
    level = models.CharField(_("层级"), max_length=16, choices=AgencyLevel.choices)
    region_code = models.CharField(_("行政区划代码"), max_length=6)
    region_name = models.CharField(_("行政区划"), max_length=64, blank=True)
    sector = models.CharField(_("领域"), max_length=16, choices=Sector.choices)
    is_justice_bureau = models.BooleanField(_("司法行政机关（监督机关）"), default=False)
    supervisor = models.ForeignKey(
        "self", verbose_name=_("监督机关"), null=True, blank=True, on_delete=models.PROTECT, related_name="supervised",
        limit_choices_to={"is_justice_bureau": True},
    )
    legal_basis = models.TextField(_("职权依据"), blank=True)
    delegated_by = models.ForeignKey(
        "self", verbose_name=_("委托机关"), null=True, blank=True, on_delete=models.PROTECT, related_name="delegates",
    )
    delegation_document = models.TextField(_("委托书（事项、权限、期限）"), blank=True)
    address = models.CharField(_("办公地址"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    office_hours = models.CharField(_("办公时间"), max_length=100, blank=True)
    website = models.CharField(_("网站"), max_length=200, blank=True)
    complaint_phone = models.CharField(_("投诉举报电话"), max_length=32, blank=True)
    complaint_address = models.CharField(_("投诉举报地址"), max_length=200, blank=True)
    reconsideration_body = models.CharField(_("行政复议机关"), max_length=128, blank=True)
    litigation_court = models.CharField(_("行政诉讼管辖法院"), max_length=128, blank=True)
    av_device_count = models.PositiveIntegerField(_("执法记录仪等音像设备数量"), default=0)

    class Meta:
        verbose_name = _("执法主体")
        verbose_name_plural = _("执法主体")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="entrusted_organization") | Q(delegated_by__isnull=False),
                name="registry_agency_entrusted_has_delegator",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """An internal unit (内设机构) of an agency."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="units", verbose_name=_("所属机关"))
    name = models.CharField(_("名称"), max_length=128)
    functions = models.TextField(_("职责"), blank=True)
    is_legal_office = models.BooleanField(_("法制机构"), default=False)

    class Meta:
        verbose_name = _("内设机构")
        verbose_name_plural = _("内设机构")
        ordering = ["agency", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "name"], name="registry_unit_unique_name")]

    def __str__(self) -> str:
        return self.name


class Staff(Publication):
    """A person working for an agency; officers appear on the published roster (REG-7, REG-15)."""

    needs_legality_review = False

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="staff", verbose_name=_("所属机关"))
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="staff", verbose_name=_("内设机构")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff",
        verbose_name=_("登录账号"),
    )
    name = models.CharField(_("姓名"), max_length=64)
    position = models.CharField(_("职务"), max_length=64, blank=True)
    is_auxiliary = models.BooleanField(_("辅助人员"), default=False, help_text=_("辅助人员不计入执法人数（REG-8）"))
    is_legal_reviewer = models.BooleanField(_("法制审核人员"), default=False)
    has_legal_qualification = models.BooleanField(_("具有法律职业资格"), default=False)
    legal_qualification_number = models.CharField(_("法律职业资格证书编号"), max_length=64, blank=True)
    active = models.BooleanField(_("在岗"), default=True)

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")
        ordering = ["agency", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(has_legal_qualification=True) | Q(legal_qualification_number=""),
                name="registry_staff_qualification_number_needs_flag",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def valid_certificate_on(self, day: date) -> Certificate | None:
        """REG-8: the certificate that lets this person act on `day`, if any. Auxiliary staff never qualify."""
        if self.is_auxiliary or not self.active:
            return None
        for cert in self.certificates.all():
            if cert.is_valid_on(day):
                return cert
        return None


class CertificateType(models.TextChoices):
    PROVINCIAL = "provincial", _("省级人民政府颁发的行政执法证")
    FILED = "filed", _("经备案的执法证件")


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("有效")
    SUSPENDED = "suspended", _("暂扣")
    REVOKED = "revoked", _("注销")


class Certificate(models.Model):
    """执法证 (REG-7). Validity on a day = status valid and valid_from ≤ day ≤ valid_to."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("持证人"))
    number = models.CharField(_("执法证号"), max_length=32, unique=True)
    certificate_type = models.CharField(_("证件类型"), max_length=16, choices=CertificateType.choices)
    issuer = models.CharField(_("发证机关"), max_length=128)
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期至"))
    status = models.CharField(_("状态"), max_length=16, choices=CertificateStatus.choices, default=CertificateStatus.VALID)
    domains = models.CharField(_("执法领域"), max_length=200)

    class Meta:
        verbose_name = _("执法证")
        verbose_name_plural = _("执法证")
        ordering = ["staff", "-valid_to"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gte=models.F("valid_from")), name="registry_cert_valid_range"),
        ]

    def __str__(self) -> str:
        return self.number

    def is_valid_on(self, day: date) -> bool:
        return self.status == CertificateStatus.VALID and self.valid_from <= day <= self.valid_to


class Training(models.Model):
    """A training or assessment record of a staff member (REG-7, REG-22)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="trainings", verbose_name=_("人员"))
    title = models.CharField(_("培训名称"), max_length=200)
    organizer = models.CharField(_("组织单位"), max_length=128, blank=True)
    held_on = models.DateField(_("培训日期"))
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1, default=0)
    assessment = models.CharField(_("考核结果"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("培训记录")
        ordering = ["-held_on"]

    def __str__(self) -> str:
        return self.title


class LawLevel(models.TextChoices):
    LAW = "law", _("法律")
    ADMINISTRATIVE_REGULATION = "administrative_regulation", _("行政法规")
    LOCAL_REGULATION = "local_regulation", _("地方性法规")
    RULE = "rule", _("规章")
    NORMATIVE_DOCUMENT = "normative_document", _("规范性文件")


class Law(models.Model):
    """A version of a law or regulation; a new version is a new row with its own effective dates."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("名称"), max_length=128)
    issuer = models.CharField(_("制定机关"), max_length=128)
    level = models.CharField(_("效力层级"), max_length=32, choices=LawLevel.choices)
    sector = models.CharField(_("领域"), max_length=16, choices=Sector.choices)
    version_date = models.DateField(_("版本日期"))
    effective_from = models.DateField(_("施行日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    source_url = models.CharField(_("来源"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("法律法规")
        verbose_name_plural = _("法律法规")
        ordering = ["title", "-version_date"]
        constraints = [models.UniqueConstraint(fields=["title", "version_date"], name="registry_law_unique_version")]

    def __str__(self) -> str:
        return f"{self.title}（{self.version_date:%Y年%m月%d日}版）"

    def is_in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)


class Article(models.Model):
    """One article of a law version, verbatim, with its parsed penalty (laws.json)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    law = models.ForeignKey(Law, on_delete=models.PROTECT, related_name="articles", verbose_name=_("法律法规"))
    number = models.PositiveIntegerField(_("条号"))
    label = models.CharField(_("条文序号"), max_length=16)
    text = models.TextField(_("条文"))
    summary = models.CharField(_("摘要"), max_length=200, blank=True)
    is_penalty_article = models.BooleanField(_("罚则条款"), default=False)
    penalty = models.JSONField(_("罚则结构"), null=True, blank=True)

    class Meta:
        verbose_name = _("法条")
        verbose_name_plural = _("法条")
        ordering = ["law", "number"]
        constraints = [models.UniqueConstraint(fields=["law", "number"], name="registry_article_unique_number")]

    def __str__(self) -> str:
        return f"《{self.law.title}》{self.label}"


class PowerItem(Publication):
    """An entry of the power list (权责清单, REG-1…4)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="power_items", verbose_name=_("执法主体"))
    code = models.CharField(_("事项编码"), max_length=32)
    name = models.CharField(_("事项名称"), max_length=200)
    action_type = models.CharField(_("职权类型"), max_length=16, choices=ActionType.choices)
    responsible_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="power_items", verbose_name=_("承办机构")
    )
    legal_basis = models.ManyToManyField(Article, related_name="power_items", verbose_name=_("法律依据"), blank=True)
    basis_note = models.TextField(_("依据说明"), blank=True)
    responsibility = models.TextField(_("责任事项"), blank=True)
    accountability = models.TextField(_("追责情形"), blank=True)

    class Meta:
        verbose_name = _("权责清单事项")
        verbose_name_plural = _("权责清单")
        ordering = ["agency", "code"]
        constraints = [models.UniqueConstraint(fields=["agency", "code"], name="registry_power_unique_code")]

    def __str__(self) -> str:
        return self.name


class ProcedureStep(models.Model):
    """One step of a power item's procedure, with its statutory time limit; the flowchart is drawn from these."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    power_item = models.ForeignKey(PowerItem, on_delete=models.CASCADE, related_name="steps", verbose_name=_("事项"))
    order = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("环节"), max_length=64)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    time_limit_days = models.PositiveIntegerField(_("时限（日）"), null=True, blank=True)
    time_limit_kind = models.CharField(_("时限计算"), max_length=16, choices=DayKind.choices, blank=True)
    rule_ref = models.CharField(_("依据规则"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("办理环节")
        ordering = ["power_item", "order"]
        constraints = [
            models.UniqueConstraint(fields=["power_item", "order"], name="registry_step_unique_order"),
            models.CheckConstraint(
                condition=Q(time_limit_days__isnull=True) | ~Q(time_limit_kind=""),
                name="registry_step_limit_has_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def time_limit_label(self) -> str:
        if self.time_limit_days is None:
            return ""
        return f"{self.time_limit_days}个{self.get_time_limit_kind_display()}"


class DiscretionBenchmark(Publication):
    """A version of a discretion benchmark (裁量基准, CASE-27) for one power item. New version = new row."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="benchmarks", verbose_name=_("执法主体"))
    power_item = models.ForeignKey(
        PowerItem, on_delete=models.PROTECT, related_name="benchmarks", verbose_name=_("权责事项")
    )
    code = models.CharField(_("基准编号"), max_length=32)
    version = models.PositiveIntegerField(_("版本号"), default=1)
    title = models.CharField(_("名称"), max_length=200)
    effective_from = models.DateField(_("施行日期"))
    effective_to = models.DateField(_("废止日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("裁量基准")
        verbose_name_plural = _("裁量基准")
        ordering = ["agency", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code", "version"], name="registry_benchmark_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（第{self.version}版）"


class BenchmarkTier(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    benchmark = models.ForeignKey(
        DiscretionBenchmark, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("裁量基准")
    )
    order = models.PositiveSmallIntegerField(_("顺序"))
    degree = models.CharField(_("违法程度"), max_length=16)
    circumstances = models.TextField(_("违法情形"))
    penalty = models.CharField(_("处罚标准"), max_length=300)
    fine_min = models.DecimalField(_("罚款下限（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    fine_max = models.DecimalField(_("罚款上限（元）"), max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("裁量阶次")
        ordering = ["benchmark", "order"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fine_min__isnull=True) | Q(fine_max__isnull=True) | Q(fine_max__gte=models.F("fine_min")),
                name="registry_tier_fine_range",
            ),
        ]

    def __str__(self) -> str:
        return self.degree


class RecordingRequirement(models.TextChoices):
    REQUIRED = "required", _("应当全程音像记录")
    CONDITIONAL = "conditional", _("根据实际情况音像记录")


class AvRecordingItem(Publication):
    """音像记录事项清单 entry (REC-4, REC-6): which enforcement step needs audio/video recording."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="av_items", verbose_name=_("执法主体"))
    power_item = models.ForeignKey(
        PowerItem, null=True, blank=True, on_delete=models.PROTECT, related_name="av_items",
        verbose_name=_("权责事项"),
    )
    step = models.CharField(_("执法环节"), max_length=64)
    requirement = models.CharField(_("记录要求"), max_length=16, choices=RecordingRequirement.choices)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("音像记录事项")
        verbose_name_plural = _("音像记录事项清单")
        ordering = ["agency", "step"]

    def __str__(self) -> str:
        return self.step


class ReviewCatalogItem(Publication):
    """重大执法决定法制审核目录清单 entry (REV-2/REV-3) with machine-readable criteria.

    A proposed decision matches when its action type matches and any criterion set here holds: a listed penalty
    kind, an amount at or above the threshold for the party type (以上 includes the bound), a hearing held, or a
    flagged circumstance.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="review_catalog", verbose_name=_("执法主体")
    )
    title = models.CharField(_("审核事项"), max_length=200)
    action_type = models.CharField(_("职权类型"), max_length=16, choices=ActionType.choices)
    penalty_kinds = models.JSONField(_("处罚种类"), default=list, blank=True)
    amount_threshold_person = models.DecimalField(
        _("公民罚没金额标准（元，以上）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    amount_threshold_organization = models.DecimalField(
        _("法人或其他组织罚没金额标准（元，以上）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    when_hearing_held = models.BooleanField(_("经过听证程序"), default=False)
    when_complex = models.BooleanField(_("案情疑难复杂"), default=False)
    when_multiple_legal_relations = models.BooleanField(_("涉及多个法律关系"), default=False)
    when_public_interest = models.BooleanField(_("涉及重大公共利益"), default=False)
    when_high_attention = models.BooleanField(_("社会关注度高"), default=False)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("法制审核目录事项")
        verbose_name_plural = _("重大执法决定法制审核目录清单")
        ordering = ["agency", "action_type", "title"]

    def __str__(self) -> str:
        return self.title


class RandomInspectionItem(Publication):
    """随机抽查事项清单 entry (DISC-3/4)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="inspection_items", verbose_name=_("执法主体")
    )
    power_item = models.ForeignKey(
        PowerItem, null=True, blank=True, on_delete=models.PROTECT, related_name="inspection_items",
        verbose_name=_("权责事项"),
    )
    name = models.CharField(_("抽查事项"), max_length=200)
    subjects = models.CharField(_("抽查对象"), max_length=200)
    content = models.TextField(_("抽查内容"), blank=True)
    method = models.CharField(_("抽查方式"), max_length=100)
    ratio_and_frequency = models.CharField(_("抽查比例和频次"), max_length=100, blank=True)
    basis = models.TextField(_("抽查依据"), blank=True)

    class Meta:
        verbose_name = _("随机抽查事项")
        verbose_name_plural = _("随机抽查事项清单")
        ordering = ["agency", "name"]

    def __str__(self) -> str:
        return self.name


class ServiceGuide(Publication):
    """服务指南 (DISC-5): how a member of the public gets a matter handled."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="service_guides", verbose_name=_("执法主体")
    )
    power_item = models.ForeignKey(
        PowerItem, null=True, blank=True, on_delete=models.PROTECT, related_name="service_guides",
        verbose_name=_("权责事项"),
    )
    title = models.CharField(_("事项名称"), max_length=200)
    accepting_body = models.CharField(_("受理机构"), max_length=128)
    approving_body = models.CharField(_("决定机构"), max_length=128)
    conditions = models.TextField(_("受理条件"))
    materials = models.TextField(_("申请材料"), blank=True)
    time_limit_days = models.PositiveIntegerField(_("办理时限（日）"), null=True, blank=True)
    time_limit_kind = models.CharField(_("时限计算"), max_length=16, choices=DayKind.choices, blank=True)
    fees = models.CharField(_("收费标准"), max_length=200, blank=True)
    contact = models.CharField(_("咨询方式"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("服务指南")
        verbose_name_plural = _("服务指南")
        ordering = ["agency", "title"]

    def __str__(self) -> str:
        return self.title


class SupervisionEvent(models.Model):
    """A change of an agency's supervision as one bureau reads it (issue 9 defect 4, ADR 0029): one row per entry in
    the stream "supervision:<bureau>", written with it in the same transaction. Names are kept as they were at the
    time; the supervision pages read this table, never the entries' payloads."""

    bureau_id = models.BigIntegerField(_("监督机关"), db_index=True)  # the stream's agency (LedgerEntry.agency_id)
    ledger_entry = models.OneToOneField("records.LedgerEntry", verbose_name=_("账本记录"), on_delete=models.PROTECT,
                                        related_name="supervision_event")
    agency_public_id = models.UUIDField(_("执法主体"))
    agency_name = models.CharField(_("执法主体名称"), max_length=200)
    old_supervisor_public_id = models.UUIDField(null=True, blank=True)
    old_supervisor_name = models.CharField(_("原监督机关"), max_length=200, blank=True)
    new_supervisor_public_id = models.UUIDField(null=True, blank=True)
    new_supervisor_name = models.CharField(_("新监督机关"), max_length=200, blank=True)
    old_is_justice_bureau = models.BooleanField(default=False)
    new_is_justice_bureau = models.BooleanField(default=False)
    reason = models.TextField(_("变更理由"), blank=True)
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("监督关系变更")
        verbose_name_plural = _("监督关系变更")
        ordering = ["-ledger_entry_id"]

    def __str__(self) -> str:
        return f"{self.agency_name} #{self.ledger_entry_id}"


def required_legal_reviewers(officer_count: int) -> int:
    """REG-20: max(1, ceil(5 % of enforcement officers))."""
    return max(1, math.ceil(officer_count * 5 / 100))


def required_av_devices(officer_count: int) -> int:
    """REG-23: at least one device per two officers."""
    return math.ceil(officer_count / 2)
