"""`zhifa worker`: run background tasks and the periodic jobs (ADR 0028).

Each pass enqueues the periodic jobs whose time has come (deadline tick, checkpoint, fixity, deep verification,
search-index rebuild, roster republication; `zhifa.common.tasks.schedule_due`), then runs every ready task, one at a
time. Any number of workers may run against one database: a task is claimed by one, a periodic slot is enqueued
once. `zhifa run` starts one beside the server; a server started any other way needs one started with this command.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections
from django.utils.crypto import get_random_string

from zhifa.common.tasks import run_pending, schedule_due

logger = logging.getLogger("zhifa.tasks")


class Command(BaseCommand):
    help = "运行后台任务进程：执行排队的任务（如生成归档包），并按时执行定时任务（期限检查、检查点、完整性核验等）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=2.0, help="无任务时每隔多少秒检查一次（默认 2）")
        parser.add_argument("--once", action="store_true", help="安排到期的定时任务并执行全部就绪任务后退出")
        parser.add_argument("--no-schedule", action="store_true", help="只执行任务，不安排定时任务")
        parser.add_argument("--parent", type=int, default=0, help="该进程结束时停止（zhifa run 使用）")

    def handle(self, *args: Any, **options: Any) -> None:
        self.running = True
        worker_id = f"{os.uname().nodename}-{os.getpid()}-{get_random_string(6)}"[:64]

        def stop(signum: int, frame: Any) -> None:
            self.running = False  # the task in hand finishes first

        if not options["once"]:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            self.stdout.write(f"后台任务进程已启动（{worker_id}）。")
        parent = options["parent"]
        while self.running:
            if not options["once"]:  # (--once keeps the caller's connection, e.g. a test's transaction)
                close_old_connections()
            try:
                if not options["no_schedule"]:
                    schedule_due()
                ran = run_pending(worker_id=worker_id, keep_going=lambda: self.running)
            except DatabaseError as exc:  # busy or gone for a moment: the next pass tries again
                logger.error("后台任务进程访问数据库失败，稍后重试：%s", exc)
                ran = 0
            if options["once"]:
                self.stdout.write(f"已执行 {ran} 个任务。")
                return
            if parent and os.getppid() != parent:  # the server that started this worker is gone
                return
            if not ran:
                deadline = time.monotonic() + options["interval"]
                while self.running and time.monotonic() < deadline:
                    time.sleep(min(0.2, options["interval"]))
