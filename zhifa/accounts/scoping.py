"""Which agencies a user may see and change (architecture rule 2): the agency scoping of every query.

Selectors filter every staff query through `visible_agency_ids`; an object outside that set is a 404, never a 403.
It lives in `accounts` (the floor above `common`, below `records`, ADR 0023): the agency model is reached through
the user's own `agency` relation, so this module imports no higher app.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from zhifa.accounts.models import User
from zhifa.accounts.roles import Role

M = TypeVar("M", bound=Model)

ALL_AGENCIES = None  # sentinel: a system administrator's scope


def visible_agency_ids(user: User) -> frozenset[int] | None:
    """Own agency; a supervisor also sees the agencies its bureau supervises; a system admin sees all (None)."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.has_role(Role.SYSTEM_ADMIN):
        return ALL_AGENCIES
    if user.agency_id is None:
        return frozenset()
    ids = {user.agency_id}
    if user.has_role(Role.SUPERVISOR):
        ids.update(supervised_agency_ids(user))
    return frozenset(ids)


def supervised_agency_ids(user: User) -> frozenset[int]:
    """The agencies the user's agency supervises (a justice bureau's 监督 scope), whatever the user's roles."""
    if user.agency_id is None:
        return frozenset()
    return frozenset(_agency_model()._default_manager.filter(supervisor_id=user.agency_id).values_list("pk", flat=True))


def _agency_model() -> type[Model]:
    """The model `User.agency` points at (registry's Agency), taken from the relation the user model declares."""
    related = User._meta.get_field("agency").related_model
    assert isinstance(related, type) and issubclass(related, Model)
    return related


def writable_agency_ids(user: User) -> frozenset[int] | None:
    """Writes are only ever to the user's own agency (supervisors are read-only over the others)."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.has_role(Role.SYSTEM_ADMIN):
        return ALL_AGENCIES
    return frozenset({user.agency_id}) if user.agency_id else frozenset()


def scope_to_agencies(qs: QuerySet[M], agency_ids: frozenset[int] | None, field: str = "agency") -> QuerySet[M]:
    if agency_ids is ALL_AGENCIES:
        return qs
    return qs.filter(**{f"{field}__in": agency_ids})
