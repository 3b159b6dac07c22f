"""Published snapshots: the only rows the public portal reads (architecture rule 8)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EntryKind(models.TextChoices):
    AGENCY = "agency", _("执法主体信息")
    OFFICER = "officer", _("执法人员")
    POWER_ITEM = "power_item", _("权责清单")
    BENCHMARK = "benchmark", _("裁量基准")
    AV_ITEM = "av_item", _("音像记录事项清单")
    REVIEW_CATALOG = "review_catalog", _("重大执法决定法制审核目录清单")
    INSPECTION_ITEM = "inspection_item", _("随机抽查事项清单")
    SERVICE_GUIDE = "service_guide", _("服务指南")
    STATS_REPORT = "stats_report", _("行政执法统计年报")


class PublicEntry(models.Model):
    """One published version of a registry entry, built from an allowlist of fields.

    Publishing a new version marks the previous one not current; withdrawing marks the current one withdrawn.
    The row itself never changes afterwards except for those two flags.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("类别"), max_length=32, choices=EntryKind.choices)
    agency = models.ForeignKey("registry.Agency", on_delete=models.PROTECT, related_name="public_entries")
    source_id = models.BigIntegerField()
    version = models.PositiveIntegerField()
    title = models.CharField(_("标题"), max_length=200)
    body = models.JSONField(_("公开内容"))
    search_text = models.TextField()
    published_at = models.DateTimeField(_("发布时间"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_current = models.BooleanField(default=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # SHA-256 (hex) of the snapshot's canonical JSON bytes (`zhifa.disclosure.history.snapshot_bytes`): what the
    # disclosure stream of the ledger records for this version (ADR 0045). Set when the row is written.
    snapshot_sha256 = models.CharField(_("快照哈希"), max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = _("公开信息")
        ordering = ["agency", "kind", "title"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "source_id", "version"], name="disclosure_entry_unique_version"),
            models.UniqueConstraint(
                fields=["kind", "source_id"], condition=Q(is_current=True), name="disclosure_entry_one_current"
            ),
        ]
        indexes = [models.Index(fields=["agency", "kind", "is_current"], name="disclosure_entry_agency_kind")]

    def __str__(self) -> str:
        return self.title


class SearchTokens(models.Model):
    """The rjieba tokens of a snapshot's title (twice) and search text, space-separated, stored at publication: the
    search scores snapshots newer than the stored index from these (ADR 0034). A table of their own, so that the
    portal's reads of snapshots do not carry them."""

    entry = models.OneToOneField(PublicEntry, primary_key=True, on_delete=models.CASCADE, related_name="tokens")
    tokens = models.TextField()

    class Meta:
        verbose_name = _("检索分词")
        verbose_name_plural = _("检索分词")

    def __str__(self) -> str:
        return str(self.entry_id)


class SearchIndex(models.Model):
    """A base index of the portal's search (ADR 0034): built by the task, stored once as the storage port's work
    file `search-index-<name>.zip` (bm25s's saved arrays), covering the current snapshots up to `covers_through`.
    The row is written after the file, so a row always has its file; the newest row is the one in use."""

    name = models.CharField(_("标识"), max_length=32, unique=True)
    covers_through = models.BigIntegerField(_("覆盖至条目"))
    entries = models.PositiveIntegerField(_("条目数"))
    size = models.BigIntegerField(_("大小"))
    built_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("检索索引")
        verbose_name_plural = _("检索索引")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return self.name


class PortalGeneration(models.Model):
    """One row: the generation of the published snapshots, for the portal's page cache (ADR 0036).

    The publish and withdraw services change it in the same transaction as the snapshots, so a reader that sees the
    new generation sees the new snapshots too. `token` is new at every change: a database restored to an older
    state (or a rolled-back test) comes back with that state's own token, never with one cached for other content.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    counter = models.BigIntegerField(default=0)
    token = models.UUIDField(default=uuid.uuid4)

    class Meta:
        verbose_name = _("公开信息版本")
        verbose_name_plural = _("公开信息版本")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="disclosure_portal_generation_one_row")]

    def __str__(self) -> str:
        return f"{self.counter}:{self.token}"


class PublicationAction(models.TextChoices):
    PUBLISH = "publish", _("发布")
    CORRECT = "correct", _("更正")
    WITHDRAW = "withdraw", _("撤回")
    EXPIRE = "expire", _("公示期满")


class PublicationEvent(models.Model):
    """One publication-history entry of the ledger's disclosure stream (ADR 0045, DISC-24/25), stored beside it in
    the same transaction so that the portal finds an entry's ledger entries without parsing the ledger (ADR 0029).
    Append-only: rows are never changed."""

    entry = models.ForeignKey(PublicEntry, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("操作"), max_length=16, choices=PublicationAction.choices)
    seq = models.BigIntegerField(_("账本序号"), unique=True)
    snapshot_sha256 = models.CharField(_("快照哈希"), max_length=64)
    recorded_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("公示历史")
        verbose_name_plural = _("公示历史")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{self.action} {self.entry_id} #{self.seq}"


# The 双公示 push's delivery log lives beside its code; the tables are the disclosure app's (ADR 0046).
from zhifa.disclosure.dualpub.models import DeliveryState, DualPubAttempt, DualPubDelivery  # noqa: E402

__all__ = ["DeliveryState", "DualPubAttempt", "DualPubDelivery", "EntryKind", "PortalGeneration", "PublicationAction",
           "PublicationEvent", "PublicEntry", "SearchIndex", "SearchTokens"]
