"""`zhifa run`: migrate, run the start-up checks, prepare a first start, collect static files, and serve.

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
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from zhifa.accounts.models import User


class Command(BaseCommand):
    help = "迁移数据库、运行启动检查；首次运行时创建初始管理员（或用 --demo 载入演示数据），并在 127.0.0.1:8000 提供服务（gunicorn）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default=os.environ.get("ZHIFA_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("ZHIFA_WORKERS", "2")))
        parser.add_argument("--demo", action="store_true", help="载入演示数据（仅用于演示与开发，生产配置下拒绝）")
        parser.add_argument("--no-demo", action="store_true", help=argparse.SUPPRESS)  # the default now; kept for scripts
        parser.add_argument("--checkpoint-every", type=int, default=300, help="每隔多少秒签署一次账本检查点")

    def handle(self, *args: Any, **options: Any) -> None:
        from zhifa.records.startup import integrity_gate, start_integrity_schedule

        integrity_gate()  # a corrupt database stops here, with the reason (defect 11)
        call_command("migrate", interactive=False, verbosity=0)
        # Refuse ledger writes if this database is an old backup behind what the witness co-signed (FC-7).
        call_command("restore", "--check", stdout=self.stdout, stderr=self.stderr)
        self.stdout.write(f"数据库已迁移：{settings.DATABASES['default']['NAME']}")
        if options["demo"]:
            if getattr(settings, "ZHIFA_PRODUCTION", False):
                raise CommandError("生产配置下不能载入演示数据（演示账号的密码是公开的）。")
            call_command("demo", stdout=self.stdout)
            call_command("demo_cases", stdout=self.stdout)
        elif not User.objects.exists():
            call_command("first_admin", stdout=self.stdout)
        # Refuse to serve on a failed check, e.g. demo accounts under production settings (zhifa.E016).
        call_command("check", deploy=getattr(settings, "ZHIFA_PRODUCTION", False), stdout=self.stdout)
        call_command("checkpoint", stdout=self.stdout)  # creates the log key on first start; signs the tree head
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(self.style.SUCCESS(f"正在启动服务：http://{options['bind']}/ （按 Ctrl+C 停止）"))
        sys.stdout.flush()
        # Sign the tree head every few minutes beside the server. This process becomes gunicorn (execv keeps the
        # pid), so the loop stops by itself when the server does.
        zhifa = os.path.join(os.path.dirname(sys.executable), "zhifa")
        subprocess.Popen([zhifa, "checkpoint", "--every", str(options["checkpoint_every"]), "--parent", str(os.getpid())])
        # Mark missed case deadlines hourly (the first pass runs now).
        subprocess.Popen([zhifa, "tick", "--every", "3600", "--parent", str(os.getpid())])
        # Fixity daily and deep verification nightly (defects 3 and 5; ADR 0017).
        start_integrity_schedule(os.getpid())
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        os.execv(gunicorn, [
            gunicorn, "zhifa.wsgi:application", "--bind", options["bind"], "--workers", str(options["workers"]),
            # Threaded workers: a long evidence upload occupies one thread, not a whole worker, and the timeout
            # (which kills a sync worker stuck in one request) no longer cuts off big single-request uploads.
            "--worker-class", "gthread", "--threads", "4", "--access-logfile", "-", "--timeout", "120",
        ])
