"""Evidence store tables (architecture rule 6; docs/decisions/0010-evidence-store.md).

`Blob` is one stored file, named by its SHA-256; `Evidence` is one upload of a blob into a stream, recorded by a
ledger entry in the same transaction. Both are append-only: database triggers (migration 0003) refuse DELETE on
both and UPDATE on everything except an evidence row's integrity fields, which only the fixity check changes.
`UploadSession` is the mutable working state of a resumable upload and never holds evidence by itself.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Blob(models.Model):
    """A content-addressed file under ZHIFA_BLOB_DIR/ab/cd/<sha256>. Never overwritten, never deleted."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, primary_key=True)  # lowercase hex
    size = models.BigIntegerField(_("大小（字节）"))
    content_type = models.CharField(_("类型（按内容识别）"), max_length=100)
    stored_at = models.DateTimeField(_("入库时间"), default=timezone.now)

    class Meta:
        verbose_name = _("存储文件")
        constraints = [models.CheckConstraint(condition=Q(size__gte=1), name="records_blob_size_positive")]

    def __str__(self) -> str:
        return self.sha256

    @property
    def sm3(self) -> str:
        """The SM3 recorded for this blob in SM mode ("" if none; ADR 0020)."""
        try:
            return self.sm3_digest.sm3
        except BlobSm3.DoesNotExist:
            return ""


class BlobSm3(models.Model):
    """The SM3 of a blob, recorded in SM mode (issue 9 defect 15, ADR 0020). A table of its own, append-only like
    records_blob (its triggers refuse UPDATE and DELETE), so that a blob stored before SM mode was switched on can
    get its SM3 later without ever changing a blob row."""

    blob = models.OneToOneField(Blob, on_delete=models.PROTECT, primary_key=True, related_name="sm3_digest")
    sm3 = models.CharField(_("SM3"), max_length=64)  # lowercase hex
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("SM3 校验值")

    def __str__(self) -> str:
        return f"{self.blob_id} sm3={self.sm3}"


class IntegrityStatus(models.TextChoices):
    OK = "ok", _("完好")
    CHANGED = "changed", _("内容已改变")
    MISSING = "missing", _("文件缺失")


class Evidence(models.Model):
    """One evidence item (photo, audio, video, document) uploaded into a stream, e.g. "case/<uuid>" (a case's stream)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(
        "registry.Agency", verbose_name=_("执法主体"), on_delete=models.PROTECT, related_name="evidence"
    )
    stream = models.CharField(_("记录流"), max_length=128)
    blob = models.ForeignKey(Blob, verbose_name=_("文件"), on_delete=models.PROTECT, related_name="evidence")
    ledger_entry = models.OneToOneField(
        "records.LedgerEntry", verbose_name=_("账本记录"), on_delete=models.PROTECT, related_name="evidence"
    )
    # The uploader's file name is metadata only: the stored name is the hash, the download name is generated.
    original_filename = models.CharField(_("原文件名"), max_length=255, blank=True)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.BigIntegerField(_("大小（字节）"))
    captured_at = models.DateTimeField(_("采集时间"))  # required: REC-8 is measured from it
    uploaded_at = models.DateTimeField(_("上传时间"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    captured_by = models.CharField(_("采集人员"), max_length=100, blank=True)
    device_serial = models.CharField(_("设备编号"), max_length=64, blank=True)
    gps_lat = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    gps_lon = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("时长（秒）"), null=True, blank=True)
    late_upload = models.BooleanField(_("超过24小时上传"), default=False)  # REC-8
    integrity_status = models.CharField(
        _("完整性"), max_length=16, choices=IntegrityStatus.choices, default=IntegrityStatus.OK
    )
    integrity_checked_at = models.DateTimeField(_("最近核验时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("证据")
        verbose_name_plural = _("证据")
        ordering = ["uploaded_at", "pk"]
        indexes = [models.Index(fields=["agency", "stream"], name="records_evidence_agency_stream")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(gps_lat__isnull=True) & Q(gps_lon__isnull=True))
                | (Q(gps_lat__gte=-90) & Q(gps_lat__lte=90) & Q(gps_lon__gte=-180) & Q(gps_lon__lte=180)),
                name="records_evidence_gps_pair_in_range",
            ),
            models.CheckConstraint(
                condition=Q(integrity_status__in=IntegrityStatus.values), name="records_evidence_integrity_valid"
            ),
            models.CheckConstraint(condition=Q(size__gte=1), name="records_evidence_size_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.stream} · {self.original_filename or self.public_id}"

    @property
    def sha256(self) -> str:
        return self.blob_id  # the blob's primary key is its hash

    @property
    def sm3(self) -> str:
        """The SM3 recorded beside the SHA-256 in SM mode ("" otherwise; ADR 0020)."""
        return self.blob.sm3

    @property
    def ledger_seq(self) -> int:
        return self.ledger_entry_id

    @property
    def media_kind(self) -> str:
        """image / audio / video / document: which player the viewer uses."""
        major = self.content_type.split("/", 1)[0]
        return major if major in ("image", "audio", "video") else "document"

    @property
    def integrity_ok(self) -> bool:
        return self.integrity_status == IntegrityStatus.OK


class UploadState(models.TextChoices):
    OPEN = "open", _("上传中")
    FINISHED = "finished", _("已完成")
    ABORTED = "aborted", _("已取消")
    EXPIRED = "expired", _("已过期")


class UploadSession(models.Model):
    """A resumable upload: the client sends chunks at `received` until `expected_size`, then finishes.

    The bytes live as parts in the storage backend, named by the session (ADR 0027); `received` is advanced only
    after a chunk is stored, so a crash mid-chunk loses at most that chunk and the client resumes from `received`.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey("registry.Agency", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    stream = models.CharField(max_length=128)
    filename = models.CharField(max_length=255, blank=True)
    declared_type = models.CharField(max_length=100, blank=True)  # informational: the type is detected
    expected_size = models.BigIntegerField()
    expected_sha256 = models.CharField(max_length=64, blank=True)  # optional end-to-end check at finish
    received = models.BigIntegerField(default=0)
    captured_at = models.DateTimeField()
    captured_by = models.CharField(max_length=100, blank=True)
    device_serial = models.CharField(max_length=64, blank=True)
    gps_lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    gps_lon = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=UploadState.choices, default=UploadState.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    evidence = models.OneToOneField(
        Evidence, null=True, blank=True, on_delete=models.PROTECT, related_name="upload_session"
    )

    class Meta:
        verbose_name = _("分片上传")
        constraints = [
            models.CheckConstraint(
                condition=Q(received__gte=0) & Q(received__lte=models.F("expected_size")),
                name="records_upload_received_in_range",
            ),
            models.CheckConstraint(condition=Q(expected_size__gte=1), name="records_upload_size_positive"),
        ]

    def __str__(self) -> str:
        return f"upload {self.public_id} {self.received}/{self.expected_size}"


class BlobFlag(models.Model):
    """A stored file found changed or missing (issue 9 defect 5, ADR 0017), by `zhifa fixity` or by the check on
    read. Any download of a flagged file — evidence or document — is refused. Mutable on purpose: fixity removes
    the flag when the file verifies again (restored from a backup); every change for evidence is in the ledger."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, primary_key=True)
    status = models.CharField(_("完整性"), max_length=16, choices=IntegrityStatus.choices)
    flagged_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    found_by = models.CharField(_("发现方式"), max_length=16)  # "fixity" or "read"

    class Meta:
        verbose_name = _("完整性受损的文件")

    def __str__(self) -> str:
        return f"{self.sha256} {self.status}"
