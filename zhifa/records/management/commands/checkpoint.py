"""`zhifa checkpoint`: sign the ledger's current tree head. `--every N` keeps doing so every N seconds (what
`zhifa run` starts beside the web server); `--parent PID` ends the loop when that process is gone."""

from __future__ import annotations

import os
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError

from zhifa.records.checkpoints import checkpoint_create, public_key


class Command(BaseCommand):
    help = "为账本当前树头生成签名检查点（C2SP tlog-checkpoint）；--every 秒数 可定时执行。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--every", type=int, default=0, help="每隔多少秒生成一次（0 表示只生成一次）")
        parser.add_argument("--parent", type=int, default=0, help="该进程结束时停止定时执行")

    def handle(self, *args: Any, **options: Any) -> None:
        every, parent = options["every"], options["parent"]
        self._sign(verbose=not every)
        while every > 0:
            deadline = time.monotonic() + every
            while time.monotonic() < deadline:
                if parent and os.getppid() != parent:  # the web server is gone (stopped or killed)
                    return
                time.sleep(1)
            try:
                self._sign(verbose=False)
            except DatabaseError as exc:  # e.g. the database is busy; try again next time
                self.stderr.write(f"检查点生成失败，稍后重试：{exc}")

    def _sign(self, *, verbose: bool) -> None:
        if settings.ZHIFA_WITNESS_STATE_DIR:  # a local witness co-signs on every tick (ADR 0011)
            from zhifa.records.rollback import witness_checkpoint

            note = witness_checkpoint()
        else:
            note = checkpoint_create().note
        if verbose:
            self.stdout.write(note)
            self.stdout.write(f"公钥：{public_key()}")
