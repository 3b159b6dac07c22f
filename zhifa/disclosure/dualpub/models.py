"""The delivery log of the 双公示 push to a provincial platform (ADR 0046). Imported by zhifa.disclosure.models, so
the tables belong to the disclosure app.

A delivery names what was asked (agency, range, who) and the cases it froze at the request; each try at sending it
is an attempt row (when, HTTP status or error, how many records, the payload's SHA-256). Neither keeps the records
themselves: they carry natural persons' ID numbers, which live only in the personal-data vault (ADR 0018), so each
attempt rebuilds them from the cases."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("等待推送")
    RETRYING = "retrying", _("等待重试")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("推送失败")


class DualPubDelivery(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey("registry.Agency", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    standard = models.CharField(_("数据标准"), max_length=8, default="DS-1")  # DS-1 行政处罚
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    url = models.CharField(_("接收地址"), max_length=500)
    case_ids = models.JSONField(_("案件"), default=list)  # public ids frozen at the request
    records = models.PositiveIntegerField(_("推送记录数"), default=0)
    refused = models.PositiveIntegerField(_("未通过校验记录数"), default=0)
    state = models.CharField(_("状态"), max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("双公示推送")
        verbose_name_plural = _("双公示推送")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["agency", "-id"], name="disclosure_dualpub_agency")]

    def __str__(self) -> str:
        return f"{self.standard} {self.start}–{self.end} {self.state}"


class DualPubAttempt(models.Model):
    delivery = models.ForeignKey(DualPubDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField(_("第几次"))
    started_at = models.DateTimeField(_("开始时间"))
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"))
    status_code = models.PositiveSmallIntegerField(_("HTTP 状态码"), null=True, blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    records = models.PositiveIntegerField(_("记录数"))
    payload_sha256 = models.CharField(_("推送内容摘要"), max_length=64)
    response_excerpt = models.CharField(_("接收方答复（节选）"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("双公示推送尝试")
        verbose_name_plural = _("双公示推送尝试")
        ordering = ["delivery", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="disclosure_dualpub_attempt_once")]

    def __str__(self) -> str:
        return f"{self.delivery_id}#{self.number}"
