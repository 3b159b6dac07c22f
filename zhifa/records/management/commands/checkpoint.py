"""`zhifa checkpoint`: sign the ledger's current tree head (run it on a timer, e.g. every 5 minutes)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from zhifa.records.checkpoints import checkpoint_create, public_key


class Command(BaseCommand):
    help = "为账本当前树头生成签名检查点（C2SP tlog-checkpoint）。"

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.ZHIFA_WITNESS_STATE_DIR:  # a local witness co-signs on every tick (ADR 0011)
            from zhifa.records.rollback import witness_checkpoint

            self.stdout.write(witness_checkpoint())
        else:
            self.stdout.write(checkpoint_create().note)
        self.stdout.write(f"公钥：{public_key()}")
