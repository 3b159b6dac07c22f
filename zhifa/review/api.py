"""API v1 routes of the review app, mounted at /api/v1/review/."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["review"])
