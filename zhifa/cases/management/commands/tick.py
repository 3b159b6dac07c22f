"""`zhifa tick`: mark every case deadline whose due date has passed as missed (one ledger entry each).

The worker (`zhifa worker`, which `zhifa run` starts) runs the same pass every ZHIFA_TICK_EVERY_SECONDS (ADR 0028);
`--every` keeps a loop in this process instead. The date is today's in Asia/Shanghai (CAL-5: a deadline ends at 24:00 of its due date).
"""

from __future__ import annotations

import os
import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from zhifa.cases.deadlines import deadlines_tick


class Command(BaseCommand):
    help = "检查案件办理期限，将已届满未完成的期限标记为逾期（每项记入账本）；--every 秒数 可定时执行。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--every", type=int, default=0, help="每隔多少秒检查一次（0 表示只检查一次）")
        parser.add_argument("--parent", type=int, default=0, help="该进程结束时停止定时执行")

    def handle(self, *args: Any, **options: Any) -> None:
        every, parent = options["every"], options["parent"]
        self._tick(verbose=True)
        while every > 0:
            deadline = time.monotonic() + every
            while time.monotonic() < deadline:
                if parent and os.getppid() != parent:
                    return
                time.sleep(1)
            try:
                self._tick(verbose=False)
            except DatabaseError as exc:  # busy database: try again next time
                self.stderr.write(f"期限检查失败，稍后重试：{exc}")

    def _tick(self, *, verbose: bool) -> None:
        today: date = timezone.localdate()
        try:
            result = deadlines_tick(today=today)
        except DatabaseError as exc:
            if verbose:
                raise CommandError(f"期限检查失败：{exc}") from exc
            raise
        if verbose or result.missed:
            self.stdout.write(f"{today.isoformat()}：新标记逾期 {result.missed} 项（涉及 {result.cases} 件案件）。")
