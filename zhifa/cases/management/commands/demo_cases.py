"""`zhifa demo_cases`: add demo cases at different stages to the demo county (after `zhifa demo`; idempotent)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from zhifa.cases.demo import load_demo_cases


class Command(BaseCommand):
    help = "为演示数据添加处于不同办理阶段的演示案件（需先运行 zhifa demo；已有案件时不做任何更改）。"

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        made = load_demo_cases()
        if made:
            self.stdout.write(self.style.SUCCESS(f"已载入演示案件 {made} 件（用时 {time.monotonic() - started:.1f} 秒）。"))
        else:
            self.stdout.write("已有案件或未载入演示数据，未添加演示案件。")
