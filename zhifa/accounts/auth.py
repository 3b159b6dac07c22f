"""API authentication: a per-user bearer token (hash stored, never the token)."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from zhifa.accounts.models import ApiToken, User

_TOUCH_EVERY = timedelta(minutes=5)  # write last_used_at at most this often


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if not token.startswith(ApiToken.TOKEN_PREFIX):
            return None
        row = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=ApiToken.hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at > _TOUCH_EVERY:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        return row.user

