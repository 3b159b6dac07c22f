"""The cases app's streams: "case/<case UUID>" belongs to the case's agency (issue 9 defect 1, AC-1).

Registered with the records app's stream-owner registry in `CasesConfig.ready`. A user may write to a case's
stream (upload evidence into it) only when the case is one of their own agency's; another agency's case, or one
that does not exist, resolves to None, which the upload answers with 404.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from zhifa.records.streams import StreamOwner, register_stream_prefix

if TYPE_CHECKING:
    from zhifa.accounts.models import User

CASE_PREFIX = "case/"


def case_stream_owner(user: User, stream: str) -> StreamOwner | None:
    from zhifa.cases.models import Case

    try:
        public_id = uuid.UUID(stream[len(CASE_PREFIX):])
    except ValueError:
        return None
    if stream != f"{CASE_PREFIX}{public_id}":  # one spelling per case: no upper-case or brace variants
        return None
    agency_id = Case.objects.filter(public_id=public_id).values_list("agency_id", flat=True).first()
    if agency_id is None or agency_id != user.agency_id:
        return None  # unknown, or another agency's case: the same answer (no existence oracle)
    return StreamOwner(agency_id=agency_id, writable=True)


def register() -> None:
    register_stream_prefix(CASE_PREFIX, case_stream_owner)
