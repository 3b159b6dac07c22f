"""Background work of the cases app (ADR 0028): the deadline tick, a periodic job of the worker."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from zhifa.cases.archiving import case_archive_build
from zhifa.cases.deadlines import deadlines_tick
from zhifa.common.tasks import periodic

__all__ = ["case_archive_build", "deadlines_tick_job"]


@periodic("deadlines.tick", every=lambda: timedelta(seconds=settings.ZHIFA_TICK_EVERY_SECONDS))
@task()
def deadlines_tick_job() -> dict[str, int]:
    """Mark missed case deadlines (CAL-5: today in Asia/Shanghai), one ledger entry each."""
    result = deadlines_tick(today=timezone.localdate())
    return {"missed": result.missed, "cases": result.cases}
