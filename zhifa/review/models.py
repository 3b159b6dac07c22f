"""Legal review (法制审核) rounds of a case. Issue 4 keeps the minimal record the decision gate needs (REV-1/2,
REV-10 rounds, REV-13 proposal snapshot); the full workflow (checklist, assignment, deadlines) builds on it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewState(models.TextChoices):
    PENDING = "pending", _("审核中")
    PASSED = "passed", _("同意")
    RETURNED = "returned", _("存在问题，退回")


class ReviewRound(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="review_rounds")
    agency = models.ForeignKey("registry.Agency", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField(_("轮次"))
    state = models.CharField(_("结论"), max_length=16, choices=ReviewState.choices, default=ReviewState.PENDING)
    reasons = models.JSONField(_("审核理由"), default=list)  # why review is required (REV-2/REV-3)
    proposal = models.JSONField(_("送审的处理意见"))  # REV-13: a changed proposal needs a new round
    materials = models.TextField(_("送审材料"), blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_on = models.DateField(_("送审日期"))
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    decided_on = models.DateField(_("审核日期"), null=True, blank=True)
    opinion = models.TextField(_("审核意见"), blank=True)

    class Meta:
        ordering = ["case", "number"]
        constraints = [models.UniqueConstraint(fields=["case", "number"], name="review_round_unique_number")]
