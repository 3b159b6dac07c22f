"""Deadlines as rows, and `zhifa tick` with a frozen clock across the 2026 National Day holiday and its make-up
workday (Sat 2026-10-10): CAL-1, CAL-6, CASE-11."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command

from zhifa.cases.engine import case_act
from zhifa.cases.models import Deadline, DeadlineState, Preservation
from zhifa.cases.selectors import due_list_for, missed_deadlines_for
from zhifa.cases.testing import actor_for, make_case_world, new_penalty_case, walk_to
from zhifa.records.models import LedgerEntry

pytestmark = pytest.mark.django_db


def frozen(day: date, hour_utc: int = 4):  # noqa: ANN201 - noon in Asia/Shanghai
    return mock.patch("django.utils.timezone.now", return_value=datetime(day.year, day.month, day.day, hour_utc,
                                                                         tzinfo=UTC))


def tick() -> str:
    out = StringIO()
    call_command("tick", stdout=out)
    return out.getvalue()


def test_tick_marks_the_preservation_deadline_missed_only_after_the_make_up_workday_count(agency_a):
    world = make_case_world(agency_a)
    approved = date(2026, 9, 29)
    case = walk_to(world, new_penalty_case(world, day=approved, act_date=date(2026, 9, 20),
                                           discovered_on=approved), "investigating", day=approved)
    case = case_act(actor=world["officer"], case_id=case.public_id, action="request_preservation",
                    data={"items": ["采砂船一艘"], "reason": "证据可能灭失", "on": approved}, today=approved).case
    pres = Preservation.objects.get(case=case)
    case_act(actor=actor_for(world, "approve_preservation"), case_id=case.public_id, action="approve_preservation",
             data={"preservation": str(pres.public_id), "on": approved}, today=approved)
    row = Deadline.objects.get(case=case, code=f"preservation:{pres.public_id}")
    # 7 working days after Tue 09-29: 09-30, 10-08, 10-09, Sat 10-10 (make-up), 10-12, 10-13, 10-14
    assert (row.due, row.rule, row.day_kind) == (date(2026, 10, 14), "CASE-11", "working")
    assert row in due_list_for(user=world["officer"], today=date(2026, 10, 8))

    with frozen(date(2026, 10, 14)):  # the due day itself: not missed (CAL-5, ends at 24:00)
        assert "新标记逾期 0 项" in tick()
    row.refresh_from_db()
    assert row.state == DeadlineState.RUNNING

    before = LedgerEntry.objects.filter(stream=case.stream, kind="case.deadline_missed").count()
    with frozen(date(2026, 10, 15)):
        assert "新标记逾期 1 项" in tick()
        assert "新标记逾期 0 项" in tick()  # idempotent
    row.refresh_from_db()
    assert row.state == DeadlineState.MISSED
    assert [h["event"] for h in row.history] == ["started", "missed"]
    entries = LedgerEntry.objects.filter(stream=case.stream, kind="case.deadline_missed")
    assert entries.count() == before + 1
    assert row in missed_deadlines_for(user=world["agency_head"])


def test_tick_marks_the_90_day_decision_limit_and_an_extension_reopens_it(agency_a):
    world = make_case_world(agency_a)
    case = walk_to(world, new_penalty_case(world), "investigating")
    row = Deadline.objects.get(case=case, code="decision")
    assert row.due == date(2026, 8, 30)  # a Sunday: agency-facing, not moved (CAL-4)
    with frozen(date(2026, 8, 31)):
        tick()
    row.refresh_from_db()
    assert row.state == DeadlineState.MISSED
    case_act(actor=world["agency_head"], case_id=case.public_id, action="extend_decision_limit",
             data={"new_due": date(2026, 9, 30), "reason": "需检测鉴定", "legal_basis": "部门规章规定"},
             today=date(2026, 8, 31))
    row.refresh_from_db()
    assert (row.state, row.due) == (DeadlineState.EXTENDED, date(2026, 9, 30))
