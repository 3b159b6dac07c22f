"""`zhifa demo`: load the demo county into an empty database and print its logins (idempotent)."""

from __future__ import annotations

import time
import unicodedata
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhifa.registry.demo import DEMO_PASSWORD, LOADED, OCCUPIED, Login, demo_state, existing_logins, load_demo


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def login_table(logins: list[Login], password: str) -> str:
    header = ("用户名", "密码", "角色", "姓名", "所属机关")
    rows = [header, *((row.username, password, row.role, row.full_name, row.agency) for row in logins)]
    widths = [max(_width(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Command(BaseCommand):
    help = "向空数据库载入演示数据（示范市司法局及其监督的五个执法主体），并列出演示账号。重复运行不会改变数据。"

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.ZHIFA_PRODUCTION:  # issue 9 defect 2: the demo password is public
            raise CommandError("生产配置下不能载入演示数据（演示账号的密码是公开的）。")
        state = demo_state()
        if state == LOADED:
            self.stdout.write("演示数据已经载入，本次未做任何更改。演示账号如下（密码如已修改，以修改后的为准）：")
            self.stdout.write(login_table(existing_logins(), DEMO_PASSWORD))
            return
        if state == OCCUPIED:
            self.stdout.write(self.style.WARNING(
                "数据库中已有执法主体或与演示账号同名的用户，未载入演示数据（演示数据只能载入空数据库）。"
            ))
            return
        started = time.monotonic()
        result = load_demo()
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"演示数据已载入（用时 {elapsed:.1f} 秒）："))
        self.stdout.write("，".join(f"{label} {n}" for label, n in result.counts.items()))
        self.stdout.write("")
        self.stdout.write("演示账号（所有账号密码相同）：")
        self.stdout.write(login_table(result.logins, DEMO_PASSWORD))
