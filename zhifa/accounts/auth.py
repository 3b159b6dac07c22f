"""API authentication: a per-user bearer token (hash stored, never the token).

A token is refused once it has expired (ZHIFA_API_TOKEN_DAYS after creation), been revoked, its user deactivated or
still bound to a first-login password change, and from a source that is locked out of its user (ADR 0016).
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from zhifa.accounts import throttle
from zhifa.accounts.models import ApiToken, User
from zhifa.common.http import client_ip

_TOUCH_EVERY = timedelta(minutes=5)  # write last_used_at at most this often


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if not token.startswith(ApiToken.TOKEN_PREFIX):
            return None
        now = timezone.now()
        row = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=ApiToken.hash_token(token), revoked_at__isnull=True, expires_at__gt=now,
                    user__is_active=True, user__password_change_required=False)
            .first()
        )
        if row is None:
            return None
        if throttle.is_locked(row.user.username, client_ip(request)):
            return None
        if row.last_used_at is None or now - row.last_used_at > _TOUCH_EVERY:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        return row.user
