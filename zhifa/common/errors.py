"""Errors shared by services, views and the API: each has a stable code and a Chinese message."""

from __future__ import annotations


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
