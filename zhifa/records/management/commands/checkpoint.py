"""`zhifa checkpoint`: sign the ledger's current tree head once. The worker (`zhifa worker`, which `zhifa run` starts)
signs one every ZHIFA_CHECKPOINT_EVERY_SECONDS (ADR 0028)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from zhifa.records.checkpoints import public_key
from zhifa.records.tasks import checkpoint_sign


class Command(BaseCommand):
    help = "为账本当前树头生成签名检查点（C2SP tlog-checkpoint）；后台任务进程（zhifa worker）定时执行。"

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(checkpoint_sign())
        self.stdout.write(f"公钥：{public_key()}")
