"""`zhifa run`: migrate, run the start-up checks, prepare a first start, collect static files, start a worker
(`zhifa worker`, unless --no-worker) and serve.

A first start on an empty database creates one administrator with a one-time password (`zhifa first_admin`);
`--demo` (what `make run` passes) loads the demo county instead. Production settings refuse demo data (ADR 0016).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from zhifa.common.staticfiles import collect_static_if_changed


class Command(BaseCommand):
    help = "迁移数据库、运行启动检查；首次运行时创建初始管理员（或用 --demo 载入演示数据），并在 127.0.0.1:8000 提供服务（waitress）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default=settings.ZHIFA_BIND)
        parser.add_argument("--threads", type=int, default=None, help="处理请求的线程数（默认 ZHIFA_THREADS 或 8）")
        parser.add_argument("--workers", type=int, default=None, help="已不再使用（waitress 为单进程多线程），保留以兼容旧脚本")
        parser.add_argument("--demo", action="store_true", help="载入演示数据（仅用于演示与开发，生产配置下拒绝）")
        parser.add_argument("--no-demo", action="store_true", help=argparse.SUPPRESS)  # the default now; kept for scripts
        parser.add_argument("--checkpoint-every", type=int, default=None, help=argparse.SUPPRESS)  # ZHIFA_CHECKPOINT_EVERY_SECONDS now
        parser.add_argument("--no-worker", action="store_true",
                            help="不启动后台任务进程（另行运行 zhifa worker 时使用）")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("dbcheck")  # a corrupt database stops here, with the reason (defect 11)
        call_command("migrate", interactive=False, verbosity=0)
        # Refuse ledger writes if this database is an old backup behind what the witness co-signed (FC-7).
        call_command("restore", "--check", stdout=self.stdout, stderr=self.stderr)
        self.stdout.write(f"数据库已迁移：{settings.DATABASES['default']['NAME']}")
        if options["demo"]:
            if settings.ZHIFA_PRODUCTION:
                raise CommandError("生产配置下不能载入演示数据（演示账号的密码是公开的）。")
            call_command("demo", stdout=self.stdout)
            call_command("demo_cases", stdout=self.stdout)
        elif not get_user_model().objects.exists():
            call_command("first_admin", stdout=self.stdout)
        # Refuse to serve on a failed check, e.g. demo accounts under production settings (zhifa.E016).
        call_command("check", deploy=settings.ZHIFA_PRODUCTION, stdout=self.stdout)
        call_command("checkpoint", stdout=self.stdout)  # creates the log key on first start; signs the tree head
        collect_static_if_changed()  # skipped when the sources are unchanged since the last collection
        self.stdout.write(self.style.SUCCESS(f"正在启动服务：http://{options['bind']}/ （按 Ctrl+C 停止）"))
        sys.stdout.flush()
        if not options.get("no_worker"):
            # One worker beside the server (ADR 0028): background tasks (archive packages, the search index) and the
            # periodic jobs (checkpoint, deadline tick, fixity, deep verification, roster). This process is the
            # server (waitress runs in it); the worker stops by itself when the server does.
            # The same interpreter and code as this process, however it was installed.
            subprocess.Popen([sys.executable, "-m", "zhifa.cli", "worker", "--parent", str(os.getpid())])
        self._serve(options)

    def _serve(self, options: dict[str, Any]) -> None:
        """Serve in this process with waitress until stopped (ADR 0019: slow clients cost no thread)."""
        from zhifa.common.server import serve

        serve(options["bind"], threads=options["threads"])
