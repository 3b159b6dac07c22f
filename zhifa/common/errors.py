"""Errors shared by services, views and the API: each has a stable code and a Chinese message."""

from __future__ import annotations

from typing import Any


class ServiceUnavailable(Exception):
    """A store the request needs refuses writes for now (e.g. the ledger after a restore): HTTP 503, nothing saved.
    Lower apps raise subclasses (records' `LedgerError`); the request guard in `common` answers them."""


class ServiceError(Exception):
    """A refused action. `code` is stable for API clients; `message` is shown to the user."""

    code = "refused"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, rule: str = "") -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.rule = rule


class NotAllowed(ServiceError):
    """The user may see the object but not do this to it (e.g. a read-only supervisor): HTTP 403."""

    code = "forbidden"
    status = 403


class InvalidState(ServiceError):
    """The action does not fit the object's current state (e.g. publishing an unreviewed entry): HTTP 409."""

    code = "invalid_state"
    status = 409


class InvalidInput(ServiceError):
    """What was sent is wrong (a field missing, malformed, implausible or out of range): HTTP 422 by default.

    `errors` names the fields, as `{field, message}` items the API returns and forms attach to their fields. The
    status is a class attribute: the records app's uploads and evidence forms answer 400, as they have since their
    first release (`zhifa.records.evidence.InvalidInput`)."""

    code = "invalid"
    status = 422

    def __init__(self, message: str, *, code: str | None = None, rule: str = "",
                 errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message, code=code, rule=rule)
        self.errors = errors or []
