"""Writes for accounts: API tokens, the first administrator, password changes and deactivation."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from zhifa.accounts.models import ApiToken, User, UserRole
from zhifa.accounts.roles import Role
from zhifa.common.errors import ServiceError


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; return the row and the clear token, which is shown once and never stored."""
    name = name.strip()
    if not name:
        raise ServiceError("请填写令牌用途。", code="name_required")
    if len(name) > 100:
        raise ServiceError("令牌用途不能超过100个字。", code="name_too_long")
    clear = ApiToken.new_token()
    row = ApiToken.objects.create(
        user=user, name=name, token_hash=ApiToken.hash_token(clear), prefix=clear[:10],
        expires_at=timezone.now() + timedelta(days=settings.ZHIFA_API_TOKEN_DAYS),
    )
    return row, clear


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> None:
    updated = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if not updated:
        raise ServiceError("未找到该令牌，或它已被吊销。", code="not_found")


def one_time_password() -> str:
    """20 characters from an alphabet without look-alikes (0/O, 1/l/I): easy to type from a terminal."""
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(20))


@transaction.atomic
def first_admin_create(*, username: str = "admin") -> tuple[User, str]:
    """On a database without users: one system administrator with a one-time password, to be changed at first login.

    Returns the user and the clear password (printed once by `zhifa first_admin`, never stored).
    """
    username = username.strip()
    if not username:
        raise ServiceError("请填写用户名。", code="username_required")
    if User.objects.exists():
        raise ServiceError("数据库中已有用户，未创建初始管理员。", code="users_exist")
    password = one_time_password()
    user = User.objects.create_user(username=username, password=password, full_name="系统管理员",
                                    password_change_required=True)
    UserRole.objects.create(user=user, role=Role.SYSTEM_ADMIN)
    return user, password


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> None:
    """Change one's own password (the old one is required); clears the first-login obligation."""
    if not user.check_password(old_password):
        raise ServiceError("原密码不正确。", code="wrong_password")
    if old_password == new_password:
        raise ServiceError("新密码不能与原密码相同。", code="same_password")
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ServiceError("；".join(str(m) for m in exc.messages), code="weak_password") from exc
    user.set_password(new_password)
    user.password_change_required = False
    user.save(update_fields=["password", "password_change_required"])


def _end_sessions(user: User) -> int:
    """Delete every stored session of this user (database sessions: each is decoded to find its owner)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id", "")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def user_deactivate(*, username: str) -> tuple[User, int, int]:
    """Deactivate a user at once: no new login, every live session ended, every API token revoked.

    Returns the user, the number of sessions ended and the number of tokens revoked.
    """
    user = User.objects.select_for_update().filter(username=username).first()
    if user is None:
        raise ServiceError(f"未找到用户“{username}”。", code="not_found")
    user.is_active = False
    user.save(update_fields=["is_active"])
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return user, _end_sessions(user), revoked
