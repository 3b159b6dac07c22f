"""Reads for accounts."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db.models import QuerySet

from zhifa.accounts.models import ApiToken, User


def api_tokens_for(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def user_public_ids(user_ids: Iterable[int]) -> dict[int, UUID]:
    """The public ids of the given users (primary key → public id), in one query."""
    return dict(User.objects.filter(pk__in=list(user_ids)).values_list("pk", "public_id"))


def users_by_id(user_ids: Iterable[int]) -> dict[int, User]:
    """The users with these primary keys, by key (one query)."""
    return User.objects.in_bulk(list(user_ids))
