"""Frozen annual statistics reports (STAT-10)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StatsReport(models.Model):
    """A published version of an agency's annual report, frozen: the figures as computed at freezing, the template
    and query version they were counted with, and the SHA-256 of their canonical bytes, which the ledger entry of
    the freeze carries. Later changes to the case data never change it; a corrected report is a new version (the
    earlier one is kept). Written only by `zhifa.stats.services.stats_report_freeze`."""

    agency = models.ForeignKey("registry.Agency", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("执法主体"))
    year = models.PositiveSmallIntegerField(_("统计年度"))
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    template_key = models.CharField(_("模板"), max_length=64)
    template_version = models.PositiveIntegerField(_("模板版本"))
    query_version = models.CharField(_("统计口径版本"), max_length=32)
    report = models.JSONField(_("统计表"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    frozen_at = models.DateTimeField(_("定稿时间"))
    frozen_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ledger_entry = models.OneToOneField("records.LedgerEntry", on_delete=models.PROTECT, related_name="+",
                                        verbose_name=_("账本记录"))

    class Meta:
        verbose_name = _("行政执法统计年报")
        verbose_name_plural = _("行政执法统计年报")
        ordering = ["agency", "-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "year", "version"], name="stats_report_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.year} v{self.version}"


class StatsNarrative(models.Model):
    """STAT-1 part 2, 行政执法情况说明: what the agency writes about its year. Edited until a freeze copies it into the
    frozen report (so the report's hash covers it); editing afterwards only changes what the next version carries."""

    agency = models.ForeignKey("registry.Agency", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("统计年度"))
    text = models.TextField(_("行政执法情况说明"))
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("行政执法情况说明")
        verbose_name_plural = _("行政执法情况说明")
        constraints = [models.UniqueConstraint(fields=["agency", "year"], name="stats_narrative_one_per_year")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.year}"


class StatsPublication(models.Model):
    """The report of an agency's year that is public (DISC-29): one row per agency and year, pointing at the frozen
    version published last. The portal shows its snapshot (zhifa.disclosure), never this row."""

    agency = models.ForeignKey("registry.Agency", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("统计年度"))
    report = models.ForeignKey(StatsReport, on_delete=models.PROTECT, related_name="+", verbose_name=_("公开版本"))
    published_at = models.DateTimeField(_("公开时间"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("统计年报公开")
        verbose_name_plural = _("统计年报公开")
        constraints = [models.UniqueConstraint(fields=["agency", "year"], name="stats_publication_one_per_year")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.year} → v{self.report_id}"
