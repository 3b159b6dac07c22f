"""What legal review works on: a plain *review subject* built by the app that owns it (ADR 0024).

Review (rules.md §6) decides on a subject it is given — what is reviewed, for whom, the materials, the catalog
criteria it is matched against (REV-2/REV-3) and who took part in it (REG-19) — and returns decisions and dates.
It does not read the subject's own tables: `cases` builds this value (zhifa/cases/review_steps.py) and calls down.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Material:
    """A document of the subject that goes with the submission package (REV-15)."""

    id: str
    type: str
    name: str
    number: str


@dataclass(frozen=True)
class Criteria:
    """What the agency's 法制审核目录清单 (REV-3) is matched against: the action type of the subject's kind (registry
    `ActionType`) and the facts of the proposal. A kind without penalties leaves `penalty_kinds` empty."""

    action_type: str
    penalty_kinds: tuple[str, ...] = ()  # Chinese labels of the proposed penalty kinds
    amount: Decimal = Decimal(0)  # fines and confiscations proposed
    party_is_person: bool = False
    hearing_held: bool = False
    is_complex: bool = False
    multiple_legal_relations: bool = False
    public_interest: bool = False
    high_attention: bool = False


@dataclass(frozen=True)
class ReviewSubject:
    """One subject of review. `pk` is the row the rounds hang on (today: a case); `participants` are the users who
    handled, approved or investigated it (REG-19); `missing` names what the package lacks (REV-15)."""

    kind: str
    pk: int
    public_id: UUID
    reference: str
    title: str
    agency_id: int
    region_code: str
    criteria: Criteria
    required: bool = False  # the subject's owner has recorded that review is required (REV-1)
    parties: tuple[str, ...] = ()  # display names of the parties, for whom the decision is
    proposal: Mapping[str, Any] = field(default_factory=dict)  # REV-13: what the reviewer approves
    package: Mapping[str, Any] = field(default_factory=dict)  # REV-15
    materials: tuple[Material, ...] = ()
    missing: tuple[str, ...] = ()
    participants: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ClockState:
    """The review clock as its keeper (cases' deadline row) holds it: the due date, and the materials pauses of the
    round as (start, end) pairs (end None while the pause is open)."""

    due: date | None
    pauses: tuple[tuple[date, date | None], ...] = ()
