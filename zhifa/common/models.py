"""Rows of the background-work port (ADR 0028): when each periodic job last ran, and which attempt a task is."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduledJob(models.Model):
    """One periodic job. Workers claim a run by moving `next_run_at` with a compare-and-set update, so two workers
    never enqueue the same slot twice."""

    name = models.CharField(_("任务"), max_length=64, primary_key=True)
    next_run_at = models.DateTimeField(_("下次运行"))
    last_enqueued_at = models.DateTimeField(_("上次排队"), null=True, blank=True)
    last_result_id = models.CharField(_("上次任务编号"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("定时任务")
        verbose_name_plural = _("定时任务")

    def __str__(self) -> str:
        return self.name


class TaskAttempt(models.Model):
    """A retry: the task result `result_id` is attempt number `attempt` of the task first enqueued as `first_id`,
    enqueued after `previous_id` failed. First attempts have no row."""

    result_id = models.CharField(max_length=64, primary_key=True)
    previous_id = models.CharField(max_length=64, db_index=True)
    first_id = models.CharField(max_length=64)
    attempt = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("任务重试")
        verbose_name_plural = _("任务重试")

    def __str__(self) -> str:
        return f"{self.first_id}#{self.attempt}"
