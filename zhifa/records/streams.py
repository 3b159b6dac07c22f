"""Who owns a ledger stream, and who may write to it (issue 9 defect 1; reliability.md AC-1; architecture rule 2).

A stream belongs to a subject and an agency. An app that names streams after its subjects registers a resolver for
its prefix (the cases app registers "case/" in its AppConfig.ready): given a user and a stream it answers which
agency owns the stream and whether that user may write to it, or None when the subject does not exist.

`require_writable` is the check every upload (records view, API, resumable sessions) goes through:
- a stream under a registered prefix must name an existing subject of the uploader's agency;
- a stream under a system prefix ("access:", "security:", "supervision:", "registry:", …) is written by the system
  only;
- any other name is an agency-local stream: it belongs to the agency that first wrote to it.
An unknown or foreign stream is refused with 404, the same answer as a read of another agency's object, so the
check reveals nothing about what exists elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from zhifa.common.errors import ServiceError

if TYPE_CHECKING:
    from zhifa.accounts.models import User

# Streams the system writes itself; nobody uploads into them.
SYSTEM_STREAM_PREFIXES = ("access:", "security:", "supervision:", "registry:", "calendar", "stats:", "disclosure:")


@dataclass(frozen=True)
class StreamOwner:
    agency_id: int
    writable: bool


Resolver = Callable[["User", str], "StreamOwner | None"]

_resolvers: dict[str, Resolver] = {}


class StreamNotFound(ServiceError):
    """The stream does not exist for this user (unknown, or another agency's): HTTP 404, like any foreign read."""

    code = "not_found"
    status = 404


def register_stream_prefix(prefix: str, resolver: Resolver) -> None:
    """Register the resolver of streams starting with `prefix` (idempotent; one resolver per prefix)."""
    if not prefix or prefix.lower().startswith(SYSTEM_STREAM_PREFIXES):
        raise ValueError(f"invalid stream prefix {prefix!r}")
    _resolvers[prefix] = resolver


def registered_prefixes() -> tuple[str, ...]:
    return tuple(sorted(_resolvers))


def _resolver_for(stream: str) -> Resolver | None:
    for prefix, resolver in _resolvers.items():
        if stream.startswith(prefix):
            return resolver
    return None


def is_system_stream(stream: str) -> bool:
    return stream.lower().startswith(SYSTEM_STREAM_PREFIXES)


def stream_owner(user: User, stream: str) -> StreamOwner | None:
    """The owner of `stream` as seen by `user`, or None when it is unknown (or not the user's to know about)."""
    resolver = _resolver_for(stream)
    if resolver is not None:
        return resolver(user, stream)
    if is_system_stream(stream):
        return None
    return _local_owner(user, stream)


def _local_owner(user: User, stream: str) -> StreamOwner | None:
    """A free-named stream belongs to the agency that wrote to it first; a new name to the user's own agency."""
    from zhifa.records.models import LedgerEntry

    first = (LedgerEntry.objects.filter(stream=stream).exclude(agency_id=None).order_by("seq")
             .values_list("agency_id", flat=True).first())
    agency_id = first if first is not None else user.agency_id
    if agency_id is None:
        return None
    return StreamOwner(agency_id=agency_id, writable=agency_id == user.agency_id)


def require_writable(user: User, stream: str) -> StreamOwner:
    """The owner of `stream` if `user` may write to it; otherwise StreamNotFound (404, no existence oracle)."""
    owner = stream_owner(user, stream)
    if owner is None or not owner.writable or owner.agency_id != user.agency_id:
        raise StreamNotFound(_("未找到该记录流，或您无权向其中上传。"), code="not_found")
    return owner
