"""Staff reads of decision publication drafts (the disclosure officer's desk, the head's review, the supervising
bureau's view): scoped to the agencies the user may see; another agency's draft is a 404."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from zhifa.accounts.models import User
from zhifa.accounts.scoping import scope_to_agencies, visible_agency_ids
from zhifa.cases.models import Deadline, DeadlineState
from zhifa.disclosure.decisions import services
from zhifa.disclosure.decisions import text as dtext
from zhifa.disclosure.models import DecisionDraft, DraftState, PublicEntry, RedactionLog

OPEN = (DeadlineState.RUNNING, DeadlineState.SUSPENDED, DeadlineState.EXTENDED)


def drafts_for(*, user: User) -> QuerySet[DecisionDraft]:
    return scope_to_agencies(DecisionDraft.objects.select_related("case", "agency"), visible_agency_ids(user))


def draft_get_for(*, user: User, public_id: UUID | str) -> DecisionDraft:
    try:
        return drafts_for(user=user).get(public_id=public_id)
    except (DecisionDraft.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


@dataclass
class DeadlineView:
    row: Deadline
    level: str  # "", "yellow", "red"
    working_days_left: int


def _deadline_views(drafts: list[DecisionDraft], today: date) -> dict[int, list[DeadlineView]]:
    """The publication deadlines of each draft's case (one query), with the warning level (yellow: 2 working days
    left; red: missed)."""
    by_case: dict[int, list[DeadlineView]] = {}
    cases = {d.case_id: d.case for d in drafts}
    rows = Deadline.objects.filter(case_id__in=list(cases), code__startswith="publication").order_by("due", "id")
    for row in rows:
        case = cases[row.case_id]
        if row.is_open:
            level = services.warning_level(case=case, due=row.due, today=today)
            left = services.working_days_left(case=case, due=row.due, today=today)
        else:
            level, left = ("red" if row.state == DeadlineState.MISSED else ""), 0
        by_case.setdefault(row.case_id, []).append(DeadlineView(row, level, left))
    return by_case


@dataclass
class DeskRow:
    draft: DecisionDraft
    deadlines: list[DeadlineView] = field(default_factory=list)

    @property
    def level(self) -> str:
        levels = {d.level for d in self.deadlines if d.row.is_open or d.row.state == DeadlineState.MISSED}
        return "red" if "red" in levels else "yellow" if "yellow" in levels else ""


def desk_for(*, user: User, today: date, state: str = "", limit: int = 200) -> list[DeskRow]:
    """Drafts waiting (or all of one state), the most urgent first."""
    qs = drafts_for(user=user)
    if state:
        qs = qs.filter(state=state)
    else:
        qs = qs.exclude(state__in=[DraftState.WITHDRAWN, DraftState.EXEMPT])
    drafts = list(qs.order_by("decided_on", "id")[:limit])
    views = _deadline_views(drafts, today)
    rows = [DeskRow(d, views.get(d.case_id, [])) for d in drafts]
    rank = {"red": 0, "yellow": 1, "": 2}
    return sorted(rows, key=lambda r: (rank[r.level], r.draft.decided_on))


@dataclass
class DraftPage:
    draft: DecisionDraft
    pieces: list[dtext.Piece]
    masks: list[dict[str, Any]]
    log: list[RedactionLog]
    deadlines: list[DeadlineView]
    entries: list[PublicEntry]


def draft_page_for(*, user: User, public_id: UUID | str, today: date) -> DraftPage:
    draft = draft_get_for(user=user, public_id=public_id)
    masks = [{**m, "index": i, "original": draft.original_text[m["start"]:m["end"]],
              "category_label": dtext.CATEGORY_LABELS.get(m["category"], m["category"]),
              "rule_reason": m.get("reason") or dtext.RULE_REASONS.get(m["rule"], m["rule"])}
             for i, m in enumerate(sorted(draft.masks, key=lambda m: m["start"]))]
    pieces = dtext.pieces(draft.original_text, masks)
    log = list(RedactionLog.objects.filter(draft=draft).select_related("operator").order_by("-id")[:200])
    entries = list(PublicEntry.objects.filter(kind="decision", source_id=draft.pk).order_by("-version"))
    return DraftPage(draft, pieces, masks, log, _deadline_views([draft], today).get(draft.case_id, []), entries)
