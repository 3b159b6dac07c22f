"""`zhifa deactivate_user <username>`: stop a user at once (no login, sessions ended, API tokens revoked)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhifa.accounts.services import user_deactivate
from zhifa.common.errors import ServiceError


class Command(BaseCommand):
    help = "停用用户：立即禁止登录，结束其全部会话并吊销其全部 API 令牌。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user, sessions, tokens = user_deactivate(username=options["username"])
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(
            f"已停用用户 {user.username}：结束会话 {sessions} 个，吊销 API 令牌 {tokens} 个。"))
