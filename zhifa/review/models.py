"""Legal review (重大执法决定法制审核, rules.md §6) of a case's proposed decision.

The rounds hang on the subject row (today a case: the `case` column); review reads nothing else of it — it is given a
review subject value (zhifa/review/subject.py, ADR 0024). The clock row and its pauses are kept by the subject's owner.

A case that needs review is submitted as a package (REV-15) and reviewed in rounds (REV-10). Each round is
assigned to an independent reviewer of the agency's legal office (REG-19, REG-21), runs on a 5 + 3 working-day
clock that pauses while materials are returned for completion (REV-6), is checked item by item (REV-8) and ends with
an opinion, 同意 or 存在问题 (REV-9), issued as a 法制审核意见书. Disagreement is coordinated and escalated (REV-10).
Moving the case itself stays with the case engine; these rows are what the review actions read and write.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReviewState(models.TextChoices):
    PENDING = "pending", _("待分配")  # submitted, not yet assigned
    IN_REVIEW = "in_review", _("审核中")
    MATERIALS_REQUESTED = "materials_requested", _("退回补充材料")  # the clock is paused
    PASSED = "passed", _("同意")
    RETURNED = "returned", _("存在问题")


OPEN_STATES = (ReviewState.PENDING, ReviewState.IN_REVIEW, ReviewState.MATERIALS_REQUESTED)


class ReviewRound(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="review_rounds")
    agency = models.ForeignKey("registry.Agency", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField(_("轮次"))
    state = models.CharField(_("状态"), max_length=24, choices=ReviewState.choices, default=ReviewState.PENDING,
                             db_index=True)
    reasons = models.JSONField(_("审核理由"), default=list)  # why review is required (REV-2/REV-3)
    proposal = models.JSONField(_("送审的处理意见"))  # REV-13: a changed proposal needs a new round
    package = models.JSONField(_("送审材料清单"), default=dict)  # REV-15
    materials = models.TextField(_("送审说明"), blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_on = models.DateField(_("送审日期"))
    received_on = models.DateField(_("收到完整材料日期"), null=True, blank=True)  # REV-6 clock start
    extended = models.BooleanField(_("已延长"), default=False)
    extension_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                              on_delete=models.PROTECT, related_name="+")
    extension_reason = models.CharField(_("延长理由"), max_length=500, blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="review_assignments", verbose_name=_("审核人员"))
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    assigned_on = models.DateField(_("分配日期"), null=True, blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    decided_on = models.DateField(_("审核日期"), null=True, blank=True)
    opinion = models.TextField(_("审核意见"), blank=True)
    problems = models.PositiveSmallIntegerField(_("发现问题数"), default=0)
    working_days_taken = models.PositiveSmallIntegerField(_("用时（工作日）"), null=True, blank=True)
    overdue = models.BooleanField(_("超期"), default=False)
    # The 法制审核意见书 issued with the decision (REV-9), linked when it is issued (ADR 0024).
    opinion_document = models.ForeignKey("documents.Document", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+", verbose_name=_("法制审核意见书"))

    class Meta:
        ordering = ["case", "number"]
        # Queue pages read open rounds (no decision date) and finished ones by decision date (bench/README.md,
        # review). The due date is the subject's clock (cases' deadline row, ADR 0024), not a column here.
        indexes = [models.Index(fields=["agency", "decided_on", "received_on"], name="review_round_agency_queue"),
                   models.Index(fields=["assigned_to", "decided_on", "received_on"],
                                name="review_round_reviewer_queue")]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="review_round_unique_number"),
            models.UniqueConstraint(fields=["case"], condition=Q(state__in=["pending", "in_review",
                                                                            "materials_requested"]),
                                    name="review_one_open_round_per_case"),
        ]

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class CheckItem(models.TextChoices):
    """REV-8 checklist."""

    SUBJECT = "subject", _("执法主体是否合法")
    QUALIFICATION = "qualification", _("执法人员是否具备执法资格")
    PROCEDURE = "procedure", _("执法程序是否合法")
    FACTS = "facts", _("案件事实是否清楚")
    EVIDENCE = "evidence", _("证据是否合法充分")
    LEGAL_BASIS = "legal_basis", _("适用法律、法规、规章是否准确")
    DISCRETION = "discretion", _("裁量基准运用是否适当")
    AUTHORITY = "authority", _("是否超越法定权限（含管辖）")
    DOCUMENTS = "documents", _("执法文书是否完备、规范")
    CRIME = "crime", _("是否涉嫌犯罪需要移送司法机关")


class CheckResult(models.Model):
    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="checks")
    item = models.CharField(max_length=24, choices=CheckItem.choices)
    passed = models.BooleanField()
    comment = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["item"], condition=Q(passed=False), name="review_check_problems")]
        constraints = [models.UniqueConstraint(fields=["round", "item"], name="review_check_unique_item")]


class CoordinationOutcome(models.TextChoices):
    ACCEPT_REVIEW = "accept_review", _("承办机构采纳审核意见，修改后重新送审")
    HEAD = "head", _("提请机关负责人决定")
    COLLECTIVE = "collective", _("提请机关负责人集体讨论")


class Coordination(models.Model):
    """REV-10 disagreement: who met, what they concluded, where it goes."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="coordinations")
    on = models.DateField()
    participants = models.TextField()
    disagreement = models.TextField()
    conclusion = models.TextField()
    outcome = models.CharField(max_length=16, choices=CoordinationOutcome.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
