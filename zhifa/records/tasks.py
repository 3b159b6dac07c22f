"""Periodic jobs of the records app (ADR 0028), run by `zhifa worker`: the signed checkpoint every few minutes,
fixity daily from 02:00 and the deep verification nightly from 03:00 China time (issue 9 defects 3 and 5, ADR 0017).

Each integrity run is logged (ERROR when it found something) and leaves its report in DATA_DIR/reports/. Fixity
flags what changed, so downloads of those files are refused from then on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tasks import task

from zhifa.common.tasks import periodic
from zhifa.records.checkpoints import checkpoint_create
from zhifa.records.packages import archive_package_build_task
from zhifa.records.rollback import witness_checkpoint

__all__ = ["archive_package_build_task", "checkpoint_job", "deep_verify_job", "fixity_job"]

logger = logging.getLogger("zhifa.integrity")
CHINA = ZoneInfo("Asia/Shanghai")


def checkpoint_sign() -> str:
    """Sign the current tree head; with a local witness configured, have it co-sign too (ADR 0011)."""
    if settings.ZHIFA_WITNESS_STATE_DIR:
        return witness_checkpoint()
    return checkpoint_create().note


def run_fixity() -> bool:
    out = StringIO()
    try:
        call_command("fixity", stdout=out, stderr=out)
        ok = True
    except CommandError:
        ok = False
    _keep("fixity", out.getvalue(), ok)
    return ok


def run_deep() -> bool:
    out = StringIO()
    try:
        call_command("verify", "--deep", stdout=out, stderr=out)
        ok = True
    except CommandError as exc:
        out.write(str(exc) + "\n")
        ok = False
    _keep("deep-verify", out.getvalue(), ok)
    return ok


def _keep(name: str, text: str, ok: bool) -> None:
    folder = Path(settings.DATA_DIR) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{datetime.now(CHINA).strftime('%Y%m%dT%H%M%S')}.txt"
    path.write_text(text, encoding="utf-8")
    if ok:
        logger.info("%s 通过，报告 %s", name, path)
    else:
        logger.error("%s 发现问题，报告 %s：\n%s", name, path, text[-4000:])


def _hours(value: int) -> timedelta | None:
    return timedelta(hours=value) if value > 0 else None


@periodic("records.checkpoint", every=lambda: timedelta(seconds=settings.ZHIFA_CHECKPOINT_EVERY_SECONDS))
@task()
def checkpoint_job() -> str:
    """The tree size it signed (the checkpoint's second line)."""
    return checkpoint_sign().splitlines()[1]


@periodic("records.fixity", every=lambda: _hours(settings.ZHIFA_FIXITY_EVERY_HOURS), first_hour=2)
@task()
def fixity_job() -> bool:
    """A fixity run that finds a problem succeeds as a task: the problem is flagged and reported, not retried."""
    return run_fixity()


@periodic("records.deep_verify", every=lambda: _hours(settings.ZHIFA_DEEP_VERIFY_EVERY_HOURS), first_hour=3)
@task()
def deep_verify_job() -> bool:
    return run_deep()
