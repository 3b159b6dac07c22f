"""`zhifa dbcheck`: the database's own integrity check; on corruption a clear message and exit status 78 (issue 9
defect 11, ADR 0017). `zhifa run` runs it before anything touches the database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from zhifa.records.startup import integrity_gate


class Command(BaseCommand):
    help = "检查数据库完整性（ZHIFA_STARTUP_DB_CHECK：quick、full 或 off）；损坏时给出原因并以状态 78 退出。"
    requires_system_checks: list[str] = []  # it must run before anything else reads the database

    def handle(self, *args: Any, **options: Any) -> None:
        integrity_gate()
