"""Enforcement cases (行政处罚 general and simple procedure, 行政检查) and what hangs off them.

The procedure itself is not here: each case kind is a state table in `zhifa/cases/kinds/` and one transition
service (`zhifa/cases/engine.py`) moves a case, checks the legal gates, and appends the ledger entry in the same
transaction (architecture rules 1 and 3). These models only hold the facts the gates read.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhifa.common.identifiers import validate_uscc_field
from zhifa.records.personal import VAULT_FIELDS, PersonalDataErased, personal_values


class CaseKind(models.TextChoices):
    PENALTY = "penalty", _("行政处罚（普通程序）")
    PENALTY_SIMPLE = "penalty_simple", _("行政处罚（简易程序）")
    INSPECTION = "inspection", _("行政检查")


class SourceKind(models.TextChoices):
    """案源 (DOC-1 案件来源登记表)."""

    INSPECTION = "inspection", _("监督检查发现")
    COMPLAINT = "complaint", _("投诉举报")
    REFERRAL = "referral", _("上级交办或其他部门移送")
    MONITORING = "monitoring", _("电子技术监控")
    RANDOM_CHECK = "random_check", _("“双随机”抽查")
    OTHER = "other", _("其他")


class Case(models.Model):
    """What every case kind shares: agency, kind, 案号, state, 案由, source, the conduct it is about (place,
    jurisdiction, dates: CASE-1, CASE-23), legal review flags (REV-1…3, any kind's 重大执法决定), the decision
    and service dates, outcome, close and archive. Facts only one kind has live in that kind's detail model
    (`PenaltyDetail` for 行政处罚, read as `case.penalty`; see `zhifa.cases.details`, ADR 0025)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey("registry.Agency", on_delete=models.PROTECT, related_name="cases",
                               verbose_name=_("执法主体"))
    kind = models.CharField(_("案件类型"), max_length=24, choices=CaseKind.choices)
    state = models.CharField(_("状态"), max_length=32, db_index=True)
    reference = models.CharField(_("案号"), max_length=64)
    title = models.CharField(_("案由"), max_length=200)
    power_item = models.ForeignKey("registry.PowerItem", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("权责清单事项"))
    handling_unit = models.ForeignKey("registry.Unit", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", verbose_name=_("承办机构"))
    # 案源 (source) and the inspection it came from, if any.
    source_kind = models.CharField(_("案件来源"), max_length=16, choices=SourceKind.choices)
    source_detail = models.TextField(_("来源说明"), blank=True)
    source_case = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="derived",
                                    verbose_name=_("来源检查"))
    # CASE-1 jurisdiction.
    violation_place = models.CharField(_("违法行为发生地"), max_length=200, blank=True)
    violation_region_code = models.CharField(_("发生地行政区划代码"), max_length=6, blank=True)
    jurisdiction_basis = models.TextField(_("管辖依据"), blank=True)
    # CASE-23 limitation.
    act_date = models.DateField(_("违法行为发生日期"), null=True, blank=True)
    act_continuing = models.BooleanField(_("连续或继续状态"), default=False)
    act_end_date = models.DateField(_("行为终了日期"), null=True, blank=True)
    discovered_on = models.DateField(_("发现日期"), null=True, blank=True)
    safety_or_financial_harm = models.BooleanField(
        _("涉及公民生命健康安全、金融安全且有危害后果"), default=False, help_text=_("追责期限延长至五年（CASE-23）")
    )
    summary = models.TextField(_("简要案情"), blank=True)
    registered_on = models.DateField(_("登记日期"))
    # Legal review (REV-1/2; the full workflow is the review app's). The flags feed the review catalog (REV-3).
    is_complex = models.BooleanField(_("案情疑难复杂"), default=False)
    multiple_legal_relations = models.BooleanField(_("涉及多个法律关系"), default=False)
    public_interest = models.BooleanField(_("涉及重大公共利益"), default=False)
    high_attention = models.BooleanField(_("社会关注度高"), default=False)
    legal_review_required = models.BooleanField(_("需法制审核"), default=False)
    legal_review_reasons = models.JSONField(_("法制审核理由"), default=list, blank=True)
    collective_discussion = models.BooleanField(_("经集体讨论"), default=False)
    # Decision and after.
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    outcome = models.CharField(_("处理结果"), max_length=32, blank=True)
    outcome_reason = models.TextField(_("理由"), blank=True)
    served_on = models.DateField(_("送达日期"), null=True, blank=True)
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    archive_sha256 = models.CharField(_("归档包 SHA-256"), max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        ordering = ["-registered_on", "-id"]
        indexes = [models.Index(fields=["agency", "state"]), models.Index(fields=["agency", "-registered_on", "-id"])]
        constraints = [
            models.UniqueConstraint(fields=["agency", "reference"], name="cases_case_unique_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def stream(self) -> str:
        """The ledger stream of everything recorded for this case (transitions, documents, evidence)."""
        return f"case/{self.public_id}"


class PenaltyDetail(models.Model):
    """The facts of a 行政处罚 case (general and simple procedure): filing, investigation, the proposed and
    notified penalty, defense and hearing, performance and payment. One row per penalty case, created with it
    (`zhifa.cases.details.detail_create`); read as `case.penalty`."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="penalty", primary_key=True)
    filed_on = models.DateField(_("立案日期"), null=True, blank=True)  # CASE-2: starts the 90-day clock
    # Investigation and proposal.
    facts = models.TextField(_("违法事实"), blank=True)
    evidence_summary = models.TextField(_("证据"), blank=True)
    investigation_report = models.TextField(_("调查终结报告"), blank=True)
    legal_basis_text = models.TextField(_("法律依据"), blank=True)
    legal_basis = models.ManyToManyField("registry.Article", blank=True, related_name="+", verbose_name=_("依据条款"))
    benchmark = models.ForeignKey("registry.DiscretionBenchmark", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("裁量基准"))
    benchmark_version = models.PositiveIntegerField(_("裁量基准版本"), null=True, blank=True)  # CASE-27
    penalty_kinds = models.JSONField(_("处罚种类"), default=list, blank=True)
    fine_amount = models.DecimalField(_("罚款金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    confiscation_amount = models.DecimalField(_("没收金额（元）"), max_digits=14, decimal_places=2, null=True,
                                              blank=True)
    penalty_text = models.TextField(_("处罚内容"), blank=True)
    mitigation_note = models.TextField(_("从轻、减轻情节"), blank=True)
    # Prior notice (CASE-29…31) and hearing right (CASE-33).
    notice_served_on = models.DateField(_("告知书送达日期"), null=True, blank=True)
    notified_penalty_kinds = models.JSONField(_("告知的处罚种类"), default=list, blank=True)
    notified_fine = models.DecimalField(_("告知的罚款金额"), max_digits=14, decimal_places=2, null=True, blank=True)
    hearing_right = models.BooleanField(_("告知听证权利"), default=False)
    defense_outcome = models.CharField(_("陈述申辩情况"), max_length=16, blank=True)
    defense_text = models.TextField(_("陈述申辩意见及复核"), blank=True)
    hearing_held = models.BooleanField(_("经过听证"), default=False)
    # Decision and after.
    performance_text = models.TextField(_("履行方式和期限"), blank=True)
    payment_due = models.DateField(_("缴款期限"), null=True, blank=True)
    paid_on = models.DateField(_("缴款日期"), null=True, blank=True)
    paid_amount = models.DecimalField(_("已缴金额"), max_digits=14, decimal_places=2, null=True, blank=True)
    reminder_served_on = models.DateField(_("催告书送达日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("行政处罚案件信息")
        verbose_name_plural = _("行政处罚案件信息")
        constraints = [
            models.CheckConstraint(condition=Q(fine_amount__isnull=True) | Q(fine_amount__gte=0),
                                   name="cases_penalty_fine_not_negative"),
        ]

    def __str__(self) -> str:
        return str(self.case)

    @property
    def fine(self) -> Decimal:
        return self.fine_amount or Decimal(0)


class ReferenceCounter(models.Model):
    """Gapless 案号 serials per agency, kind and year (taken in the creating transaction)."""

    agency = models.ForeignKey("registry.Agency", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=24)
    year = models.PositiveSmallIntegerField()
    last_serial = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "kind", "year"], name="cases_refcounter_unique")]


class PartyKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ORGANIZATION = "organization", _("法人或者其他组织")


class Party(models.Model):
    """当事人. Natural persons carry a resident ID (minors are flagged from the birth date, CASE-19);
    organizations a USCC.

    The ID number, address and phone are not columns of this table: they live encrypted in the personal-data
    vault (`records.PersonalRecord`, issue 9 defect 8, ADR 0018) and read through the properties below; write them
    with `zhifa.cases.personal.party_store_personal`. The name stays here (case lists and search need it); the
    ledger holds only masked names and salted commitments (`zhifa.cases.personal.party_ledger_view`)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    kind = models.CharField(_("当事人类型"), max_length=16, choices=PartyKind.choices)
    name = models.CharField(_("姓名或名称"), max_length=128)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, validators=[validate_uscc_field])
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    legal_representative = models.CharField(_("法定代表人（负责人）"), max_length=64, blank=True)
    personal = models.OneToOneField("records.PersonalRecord", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("个人信息（加密）"))
    age_at_act = models.PositiveSmallIntegerField(_("行为时年龄（周岁）"), null=True, blank=True)
    electronic_service_consent = models.BooleanField(
        _("已签署电子送达确认书"), default=False, help_text=_("CASE-47")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("当事人")
        ordering = ["case", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind="organization") | Q(uscc=""),
                                   name="cases_party_person_has_no_uscc"),
        ]

    def __str__(self) -> str:
        return self.name

    def personal_values(self) -> dict[str, str]:
        """The vault's values (ID number, phone, address), decrypted once per instance; empty after erasure."""
        cached: dict[str, str] | None = getattr(self, "_personal_cache", None)
        if cached is None:
            try:
                record = self.personal
                cached = personal_values(record) if record is not None else dict.fromkeys(VAULT_FIELDS, "")
            except PersonalDataErased:
                cached = dict.fromkeys(VAULT_FIELDS, "")
            self._personal_cache = cached
        return cached

    @property
    def id_number(self) -> str:
        return self.personal_values()["id_number"]

    @property
    def phone(self) -> str:
        return self.personal_values()["phone"]

    @property
    def address(self) -> str:
        return self.personal_values()["address"]

    @property
    def identifier(self) -> str:
        return self.id_number or self.uscc

    @property
    def is_minor(self) -> bool:
        return self.age_at_act is not None and self.age_at_act < 18


class CaseOfficer(models.Model):
    """An officer assigned to the case; the certificate number is the one valid when assigned (REG-8)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="officers")
    staff = models.ForeignKey("registry.Staff", on_delete=models.PROTECT, related_name="+")
    certificate_number = models.CharField(_("执法证号"), max_length=32)
    assigned_on = models.DateField(_("指派日期"))
    active = models.BooleanField(default=True)  # False after a granted recusal (REG-17)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "staff"], name="cases_officer_unique")]


class ActivityKind(models.TextChoices):
    INSPECTION = "inspection", _("现场检查（勘验）")
    INQUIRY = "inquiry", _("询问")
    SAMPLING = "sampling", _("抽样取证")
    EDUCATION = "education", _("批评教育")
    ON_SITE_DECISION = "on_site_decision", _("当场处罚")


class Activity(models.Model):
    """An on-site activity with its written record (笔录, CASE-9): who, when, where, certificate shown (REG-11),
    and the recordings attached (REC-4)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("类型"), max_length=24, choices=ActivityKind.choices)
    on = models.DateField(_("日期"))
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    staff = models.ManyToManyField("registry.Staff", related_name="+", verbose_name=_("执法人员"))
    certificate_shown = models.BooleanField(_("已出示执法证件"), default=False)
    subject = models.CharField(_("被询问（检查）人"), max_length=128, blank=True)
    content = models.TextField(_("记录内容"), blank=True)
    refusal_note = models.CharField(_("拒签说明"), max_length=200, blank=True)
    recordings = models.JSONField(_("音像记录"), default=list, blank=True)  # evidence public ids
    av_omitted_reason = models.CharField(_("未音像记录的理由"), max_length=200, blank=True)  # REC-5
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "on", "id"]


class Preservation(models.Model):
    """证据先行登记保存 (CASE-11): head approval, then a disposal decision within 7 working days."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="preservations")
    items = models.JSONField(_("物品清单"), default=list)
    reason = models.TextField(_("理由"))
    requested_on = models.DateField(_("申请日期"))
    approved_on = models.DateField(_("批准日期"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    disposal_due = models.DateField(_("处理决定期限"), null=True, blank=True)
    disposed_on = models.DateField(_("处理决定日期"), null=True, blank=True)
    disposal = models.CharField(_("处理决定"), max_length=200, blank=True)

    class Meta:
        ordering = ["case", "id"]


class RecusalDecision(models.TextChoices):
    PENDING = "pending", _("待决定")
    GRANTED = "granted", _("准予回避")
    REFUSED = "refused", _("不予回避")


class Recusal(models.Model):
    """回避 (REG-17): application, grounds, decision by the agency head; investigation continues meanwhile."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="recusals")
    staff = models.ForeignKey("registry.Staff", on_delete=models.PROTECT, related_name="+")
    applicant = models.CharField(_("申请人"), max_length=128)
    grounds = models.TextField(_("理由"))
    applied_on = models.DateField(_("申请日期"))
    decision = models.CharField(_("决定"), max_length=16, choices=RecusalDecision.choices,
                                default=RecusalDecision.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_on = models.DateField(null=True, blank=True)


class Hearing(models.Model):
    """听证 (CASE-33…40)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="hearing")
    requested_on = models.DateField(_("申请日期"))
    notice_on = models.DateField(_("通知日期"), null=True, blank=True)
    hearing_on = models.DateField(_("听证日期"), null=True, blank=True)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    host = models.ForeignKey("registry.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    public = models.BooleanField(_("公开举行"), default=True)
    participants = models.TextField(_("参加人员"), blank=True)
    record = models.TextField(_("听证笔录"), blank=True)
    terminated_reason = models.CharField(_("终止理由"), max_length=200, blank=True)


class ServiceMethod(models.TextChoices):
    """送达方式 (CASE-48)."""

    DIRECT = "direct", _("直接送达")
    RELATIVE = "relative", _("由同住成年家属、代理人或收发部门签收")
    REFUSED_LEFT = "refused_left", _("留置送达")
    ELECTRONIC = "electronic", _("电子送达")
    MAIL = "mail", _("邮寄送达")
    ANNOUNCEMENT = "announcement", _("公告送达")


class Service(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="services")
    document_id = models.UUIDField(_("送达文书"))
    document_name = models.CharField(max_length=64)
    method = models.CharField(_("送达方式"), max_length=16, choices=ServiceMethod.choices)
    recipient = models.CharField(_("受送达人（签收人）"), max_length=128)
    signed_on = models.DateField(_("签收、到达或公告日期"))
    served_on = models.DateField(_("送达日期"))
    place = models.CharField(_("送达地点"), max_length=200, blank=True)
    note = models.TextField(_("说明"), blank=True)
    recordings = models.JSONField(default=list, blank=True)


class PauseKind(models.TextChoices):
    RECONSIDERATION = "reconsideration", _("行政复议期间")
    LITIGATION = "litigation", _("行政诉讼期间")
    EXCLUDED = "excluded", _("依法不计入办案期限的期间")
    REVIEW_MATERIALS = "review_materials", _("法制审核退回补充材料期间")


CASE_PAUSES = (PauseKind.RECONSIDERATION, PauseKind.LITIGATION, PauseKind.EXCLUDED)


class Pause(models.Model):
    """A clock pause (CAL-14): surcharge during 复议/诉讼 (CASE-53); excluded periods of the 90-day limit (CASE-44);
    materials returned for completion stop the legal-review clock of one round (REV-6; `review_round` set, `note`
    names the missing materials). One model for every pause (ADR 0024)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="pauses")
    kind = models.CharField(max_length=16, choices=PauseKind.choices)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)  # open while pending
    note = models.TextField(blank=True)
    review_round = models.ForeignKey("review.ReviewRound", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="pauses")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="review_materials", review_round__isnull=False)
                | (~Q(kind="review_materials") & Q(review_round__isnull=True)),
                name="cases_pause_review_round_iff_review"),
        ]


class CaseMember(models.Model):
    """A case on a staff member's desk ("my cases"): they registered it or are one of its active officers.

    A copy kept by the case engine in the same transaction as every action (`zhifa/cases/members.py`), holding the
    case's registration date, so that "my cases" and an officer's due list page through one index in case order
    instead of collecting and sorting the officer's whole caseload (issue 11 point 2, ADR 0038)."""

    staff = models.ForeignKey("registry.Staff", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="members")
    agency = models.ForeignKey("registry.Agency", on_delete=models.PROTECT, related_name="+")
    registered_on = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["staff", "case"], name="cases_member_unique")]
        indexes = [models.Index(fields=["staff", "-registered_on", "-case"], name="cases_member_desk")]


class CaseParticipant(models.Model):
    """Who took part in a case and how (REG-19 independence of the legal reviewer): one row per user and act,
    written by the case engine in the same transaction as the action (and by case registration)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    act = models.CharField(max_length=64)  # the case action ("approve_filing", ...) or "created"
    first_on = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user", "act"], name="cases_participant_unique")]


class Extension(models.Model):
    """An approved extension of the 90-day decision limit (CASE-44): approver, reason, legal basis."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    new_due = models.DateField()
    reason = models.TextField()
    legal_basis = models.TextField()
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_on = models.DateField()


class DeadlineState(models.TextChoices):
    RUNNING = "running", _("进行中")
    SUSPENDED = "suspended", _("暂停")
    EXTENDED = "extended", _("已延长")
    MET = "met", _("已完成")
    MISSED = "missed", _("已逾期")


class Deadline(models.Model):
    """One running legal deadline of a case (rule, start, due, working or calendar days, state, history)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    agency = models.ForeignKey("registry.Agency", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=64)  # e.g. "decision", "hearing_request", "preservation:<uuid>"
    rule = models.CharField(_("依据"), max_length=16)
    label = models.CharField(_("事项"), max_length=100)
    start = models.DateField(_("起算日"))
    due = models.DateField(_("届满日"), db_index=True)
    day_kind = models.CharField(max_length=16)  # "working" | "calendar"
    party_facing = models.BooleanField(default=False)  # a party's right or duty (payment, hearing request)
    provisional = models.BooleanField(default=False)  # CAL-13
    basis = models.TextField(blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=DeadlineState.choices, default=DeadlineState.RUNNING)
    history = models.JSONField(default=list)
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due", "id"]
        indexes = [
            models.Index(fields=["agency", "state", "due"]),
            # The due list: open deadlines of an agency by due date, without sorting all of them (bench/README.md).
            models.Index(fields=["agency", "due", "id"], name="cases_deadline_open_due",
                         condition=Q(state__in=["running", "suspended", "extended"])),
        ]
        constraints = [
            models.UniqueConstraint(fields=["case", "code"], condition=Q(state__in=["running", "suspended", "extended"]),
                                    name="cases_deadline_one_open_per_code"),
        ]

    @property
    def is_open(self) -> bool:
        return self.state in (DeadlineState.RUNNING, DeadlineState.SUSPENDED, DeadlineState.EXTENDED)

    def days_left(self, today: date) -> int:
        return (self.due - today).days


class AgencyCaseSettings(models.Model):
    """Per-agency configuration the law leaves to the sector or region (CONFIG rules in rules.md)."""

    agency = models.OneToOneField("registry.Agency", on_delete=models.CASCADE, related_name="case_settings")
    # CASE-34 较大数额 thresholds for the hearing right (inclusive, "以上").
    hearing_fine_person = models.DecimalField(_("听证较大数额（公民，元）"), max_digits=14, decimal_places=2,
                                              default=Decimal("10000"))
    hearing_fine_organization = models.DecimalField(_("听证较大数额（法人或其他组织，元）"), max_digits=14,
                                                    decimal_places=2, default=Decimal("100000"))
    hearing_confiscation_person = models.DecimalField(_("听证没收较大数额（公民，元）"), max_digits=14,
                                                      decimal_places=2, default=Decimal("10000"))
    hearing_confiscation_organization = models.DecimalField(_("听证没收较大数额（法人或其他组织，元）"),
                                                            max_digits=14, decimal_places=2,
                                                            default=Decimal("100000"))
    # CASE-32 defense window (working days) and CASE-5 on-the-spot limits (another statute may differ).
    defense_days = models.PositiveSmallIntegerField(_("陈述申辩期限（工作日）"), default=5)
    on_spot_limit_person = models.DecimalField(_("当场处罚罚款上限（公民）"), max_digits=10, decimal_places=2,
                                               default=Decimal("200"))
    on_spot_limit_organization = models.DecimalField(_("当场处罚罚款上限（法人或其他组织）"), max_digits=10,
                                                     decimal_places=2, default=Decimal("3000"))
    # REG-9: investigation needs at least this many certified officers (2 unless a statute says otherwise).
    min_officers = models.PositiveSmallIntegerField(_("最少执法人员数"), default=2)

    class Meta:
        verbose_name = _("案件办理参数")


class CaseEvent(models.Model):
    """The case's history as the cases app records it (ADR 0029): one row per ledger entry the cases app writes
    into the case's stream — every action, with the state before and after and the documents it issued, and every
    missed deadline — written in the same transaction as the entry. The case page, the API timeline and the review
    app's participant checks read this table; nothing outside `records` parses the entries themselves."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    agency = models.ForeignKey("registry.Agency", on_delete=models.PROTECT, related_name="+")
    ledger_entry = models.OneToOneField("records.LedgerEntry", verbose_name=_("账本记录"), on_delete=models.PROTECT,
                                        related_name="case_event")
    action = models.CharField(_("操作"), max_length=64)  # the action's name, or "deadline_missed"
    label = models.CharField(_("事项"), max_length=100, blank=True)
    from_state = models.CharField(_("原状态"), max_length=32, blank=True)
    to_state = models.CharField(_("新状态"), max_length=32, blank=True)
    documents = models.ManyToManyField("documents.Document", verbose_name=_("出具文书"), blank=True,
                                       related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(_("操作人姓名"), max_length=150, blank=True)  # as it was at the time
    at = models.DateTimeField(_("时间"))
    # What else the action reported about itself (a new case, its source case, a publication, changed fields...).
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["ledger_entry_id"]
        indexes = [models.Index(fields=["case", "ledger_entry"])]

    def __str__(self) -> str:
        return f"{self.case_id} #{self.ledger_entry_id} {self.action}"

    @property
    def is_transition(self) -> bool:
        return self.action != "deadline_missed"
