"""`zhifa first_admin`: on a database without users, create one system administrator with a one-time password."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhifa.accounts.services import first_admin_create
from zhifa.common.errors import ServiceError


class Command(BaseCommand):
    help = "在没有任何用户的数据库中创建一名系统管理员，并打印一次性密码（首次登录时必须修改）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="admin", help="管理员用户名（默认 admin）")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user, password = first_admin_create(username=options["username"])
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS("已创建初始系统管理员。以下密码只显示这一次，首次登录后必须修改："))
        self.stdout.write(f"  用户名：{user.username}")
        self.stdout.write(f"  一次性密码：{password}")
