"""`zhifa integrity_watch [--once]`: run the fixity check and the deep verification now, each leaving its report in
DATA_DIR/reports/. Their schedule (fixity every ZHIFA_FIXITY_EVERY_HOURS from 02:00, deep verification every
ZHIFA_DEEP_VERIFY_EVERY_HOURS from 03:00 China time) is kept by the worker (`zhifa worker`, ADR 0028)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhifa.records.tasks import run_deep, run_fixity


class Command(BaseCommand):
    help = "立即执行一次证据文件完整性检查与深度核验，报告写入数据目录 reports/（定时执行由 zhifa worker 负责）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="立即各执行一次后退出（默认即如此，保留以兼容旧脚本）")

    def handle(self, *args: Any, **options: Any) -> None:
        ok = run_fixity() & run_deep()
        if not ok:
            raise CommandError("完整性检查或深度核验发现问题，见数据目录 reports/。", returncode=1)
