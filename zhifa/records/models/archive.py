"""Archive packages built in the background (ADR 0028): one row per request, with its progress and result."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PackageStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    BUILDING = "building", _("正在生成")
    READY = "ready", _("已生成")
    FAILED = "failed", _("生成失败")


class PackagePurpose(models.TextChoices):
    CASE = "case", _("案件归档")  # REC-14: kept in the data folder, without personal data (ADR 0018)
    EXPORT = "export", _("导出下载")  # the 下载归档包 button: for its requester only (personal data by role)
    HISTORY = "history", _("公示历史")  # the public disclosure stream (ADR 0045): anyone, no login, no personal data


class ArchivePackage(models.Model):
    """A BagIt package of one ledger stream (`zhifa.records.archive`), built by a task after the request commits.

    `folder` and `zip_name` are names under DATA_DIR/archives/ once the package is ready; `files_done` of
    `files_total` evidence files have been copied while it is being built."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    stream = models.CharField(_("记录流"), max_length=200, db_index=True)
    purpose = models.CharField(_("用途"), max_length=16, choices=PackagePurpose.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("申请人"),
    )
    status = models.CharField(_("状态"), max_length=16, choices=PackageStatus.choices, default=PackageStatus.QUEUED)
    files_done = models.PositiveIntegerField(_("已处理文件"), default=0)
    files_total = models.PositiveIntegerField(_("文件总数"), default=0)
    folder = models.CharField(_("归档包目录"), max_length=200, blank=True)
    zip_name = models.CharField(_("压缩包"), max_length=200, blank=True)
    ascii_name = models.CharField(_("压缩包目录名"), max_length=200, blank=True)  # the zip's top folder
    download_name = models.CharField(_("下载文件名"), max_length=200, blank=True)
    tagmanifest_sha256 = models.CharField(_("标签清单 SHA-256"), max_length=64, blank=True)
    entries = models.PositiveIntegerField(_("记录数"), default=0)
    blobs = models.PositiveIntegerField(_("证据文件数"), default=0)
    checkpoint_size = models.PositiveBigIntegerField(_("检查点树大小"), default=0)
    problems = models.PositiveIntegerField(_("问题数"), default=0)
    personal_data = models.BooleanField(_("含个人信息"), default=False)
    error = models.TextField(_("错误"), blank=True)
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("归档包")
        verbose_name_plural = _("归档包")
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.stream} ({self.get_status_display()})"

    @property
    def in_progress(self) -> bool:
        return self.status in (PackageStatus.QUEUED, PackageStatus.BUILDING)
