"""Writes for accounts: API tokens."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from zhifa.accounts.models import ApiToken, User
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
    row = ApiToken.objects.create(user=user, name=name, token_hash=ApiToken.hash_token(clear), prefix=clear[:10])
    return row, clear


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> None:
    updated = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if not updated:
        raise ServiceError("未找到该令牌，或它已被吊销。", code="not_found")
