"""Reading ledger entries: the one place that parses an entry's canonical bytes for display (ADR 0029).

Other apps never parse `LedgerEntry.canonical`: what they need of an event (state history, supervision changes,
document links) is stored in their own tables in the same transaction as the entry. Records' own pages (a stream's
timeline, the security events) read entries through `entry_view`, which knows every schema version: entries
written before versioning carry no "v" and read as version 0; version 1 adds "v" to the envelope and changes
nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from zhifa.records.ledger import ENTRY_SCHEMA_VERSION
from zhifa.records.models import LedgerEntry

KNOWN_VERSIONS = frozenset(range(ENTRY_SCHEMA_VERSION + 1))  # 0: written before versioning


@dataclass(frozen=True)
class EntryView:
    """One entry as read: the envelope's columns, its version, who acted (the snapshot) and the payload."""

    seq: int
    kind: str
    stream: str
    agency_id: int | None
    recorded_at: datetime
    version: int
    time: str
    actor: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def actor_name(self) -> str:
        return str(self.actor.get("name") or self.actor.get("username") or "")

    @property
    def summary(self) -> str:
        """A kind-agnostic one-line summary: the payload's simple facts (records does not know what they mean)."""
        return "；".join(f"{k}：{v}" for k, v in self.details.items())[:200]

    @property
    def details(self) -> dict[str, Any]:
        """The payload's simple (not nested) facts."""
        return {k: v for k, v in self.payload.items() if not isinstance(v, dict | list)}

    @property
    def when(self) -> datetime | str:
        """The entry's own time (UTC) as a datetime, or the text if it does not parse."""
        return parse_datetime(self.time) or self.time


def entry_content(row: LedgerEntry) -> dict[str, Any]:
    """The entry's JSON object (an empty object if the bytes are not one: the verifier reports that)."""
    try:
        content = json.loads(bytes(row.canonical))
    except ValueError:
        return {}
    return content if isinstance(content, dict) else {}


def entry_view(row: LedgerEntry) -> EntryView:
    content = entry_content(row)
    version = content.get("v", 0)
    actor = content.get("actor")
    payload = content.get("payload")
    return EntryView(
        seq=row.seq, kind=row.kind, stream=row.stream, agency_id=row.agency_id, recorded_at=row.recorded_at,
        version=version if isinstance(version, int) else 0, time=str(content.get("time") or ""),
        actor=actor if isinstance(actor, dict) else {}, payload=payload if isinstance(payload, dict) else {},
    )


def entry_views(rows: Iterable[LedgerEntry]) -> list[EntryView]:
    return [entry_view(row) for row in rows]
