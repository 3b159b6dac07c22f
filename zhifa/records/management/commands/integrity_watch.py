"""`zhifa integrity_watch [--parent PID] [--once]`: fixity every ZHIFA_FIXITY_EVERY_HOURS (24) and the deep
verification every ZHIFA_DEEP_VERIFY_EVERY_HOURS (24), the first pass of each at the next 02:00 and 03:00 China time
(issue 9 defects 3 and 5, ADR 0017). `zhifa run` starts it beside the web server; `--parent PID` ends it when that
process is gone. Until the re-floor issue brings a real scheduler, this is the one place these runs are timed.

Each run is logged (ERROR when it found something) and leaves its report in DATA_DIR/reports/. Fixity flags what
changed, so downloads of those files are refused from then on.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

logger = logging.getLogger("zhifa.integrity")
CHINA = ZoneInfo("Asia/Shanghai")


def next_at(now: datetime, hour: int) -> datetime:
    """The next `hour`:00 China time strictly after `now`."""
    local = now.astimezone(CHINA)
    target = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    return target


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


class Command(BaseCommand):
    help = "定时执行证据文件完整性检查（每日）与深度核验（每夜），报告写入数据目录 reports/。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--parent", type=int, default=0, help="该进程结束时停止")
        parser.add_argument("--once", action="store_true", help="立即各执行一次后退出")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            ok = run_fixity() & run_deep()
            if not ok:
                raise CommandError("完整性检查或深度核验发现问题，见数据目录 reports/。", returncode=1)
            return
        jobs: list[list[Any]] = []
        for hours, hour, task in ((settings.ZHIFA_FIXITY_EVERY_HOURS, 2, run_fixity),
                                  (settings.ZHIFA_DEEP_VERIFY_EVERY_HOURS, 3, run_deep)):
            if hours > 0:
                jobs.append([next_at(datetime.now(CHINA), hour), timedelta(hours=hours), task])
        parent = options["parent"]
        while jobs:
            if parent and os.getppid() != parent:  # the web server is gone
                return
            now = datetime.now(CHINA)
            for job in jobs:
                if now >= job[0]:
                    try:
                        job[2]()
                    except DatabaseError as exc:  # busy or gone: try again at the next slot
                        logger.error("定时完整性任务失败：%s", exc)
                    finally:
                        connection.close()
                    job[0] = max(job[0] + job[1], now + timedelta(minutes=1))
            time.sleep(30)
