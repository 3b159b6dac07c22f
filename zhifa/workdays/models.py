"""Calendar overrides: the only database tables of the workdays app (architecture: `workdays`).

`CalendarOverride` rows win over the `chinese_calendar` package (CAL-12); `CalendarYear` records which years have
an official arrangement entered here, so that deadlines in those years stop being provisional (CAL-13).
Writes go through `services.py`, which also invalidates the per-process calendar cache.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CalendarOverride(models.Model):
    """One day whose working-day status differs from the package, from a State Council or local notice."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        MAKEUP_WORKDAY = "makeup_workday", _("调休上班")
        LOCAL_HOLIDAY = "local_holiday", _("地方节假日")

    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    region_code = models.CharField(
        _("行政区划代码"), max_length=6, blank=True, default="",
        help_text=_("6位行政区划代码，如维西傈僳族自治县 533423；留空表示全国。"),
    )
    name = models.CharField(_("名称"), max_length=64, help_text=_("如：春节、国庆节、傈僳族阔时节。"))
    source_document = models.CharField(_("发文字号"), max_length=128, help_text=_("如：国办发明电〔2026〕X号。"))
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("节假日调整")
        verbose_name_plural = _("节假日调整")
        ordering = ["date", "region_code"]
        constraints = [
            models.UniqueConstraint(fields=["date", "region_code"], name="workdays_override_date_region_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=["holiday", "makeup_workday", "local_holiday"]),
                name="workdays_override_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind="local_holiday", region_code=""),
                name="workdays_override_local_needs_region",
            ),
        ]

    def __str__(self) -> str:
        where = self.region_code or "全国"
        return f"{self.date} {self.get_kind_display()} {self.name}（{where}）"


class CalendarYear(models.Model):
    """A year whose arrangement has been entered as overrides. Nationwide official rows end CAL-13 estimates."""

    class Status(models.TextChoices):
        OFFICIAL = "official", _("正式")
        PROVISIONAL = "provisional", _("暂定")

    year = models.PositiveSmallIntegerField(_("年份"))
    region_code = models.CharField(_("行政区划代码"), max_length=6, blank=True, default="")
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PROVISIONAL)
    source_document = models.CharField(_("发文字号"), max_length=128, blank=True, default="")
    loaded_at = models.DateTimeField(_("录入时间"), null=True, blank=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日年度安排")
        verbose_name_plural = _("节假日年度安排")
        ordering = ["year", "region_code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "region_code"], name="workdays_year_region_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["official", "provisional"]), name="workdays_year_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}（{self.region_code or '全国'}）{self.get_status_display()}"
