"""Rules touched by the case engine whose tests were not yet named by their ID: CASE-4 (transfer), CASE-17
(no subjective fault), CASE-46 (service within 7 working days), DISC-9 (publication deadline), DISC-23 with CAL-T5
(withdrawal within 3 working days), REC-14 (archive package verifies offline)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from zhifa.cases.engine import GateBlocked, case_act
from zhifa.cases.models import Case, Deadline, DeadlineState
from zhifa.cases.testing import (
    DAY,
    actor_for,
    make_case_world,
    new_penalty_case,
    proposal,
    walk_to,
)
from zhifa.common.tasks import run_pending
from zhifa.documents.models import Document

pytestmark = pytest.mark.django_db


def act(world, case: Case, action: str, data: dict, day: date = DAY) -> Case:  # noqa: ANN001
    return case_act(actor=actor_for(world, action), case_id=case.public_id, action=action, data=data, today=day).case


@pytest.fixture
def world(agency_a):  # noqa: ANN001, ANN201
    return make_case_world(agency_a)


def _decided(world, day: date = DAY) -> Case:  # noqa: ANN001
    case = act(world, walk_to(world, new_penalty_case(world, day=day), "investigation_concluded", day=day),
               "issue_prior_notice", proposal(fine="500", served_on=day), day)
    case = act(world, case, "close_defense", {"outcome": "waived", "on": day}, day)
    return act(world, case, "decide", {"decided_on": day}, day)


def test_case_4_suspected_crime_is_transferred_with_a_letter(world):
    case = walk_to(world, new_penalty_case(world), "investigation_concluded")
    case = act(world, case, "transfer", {"receiving_organ": "临湘市公安局", "reason": "涉嫌非法采矿罪，数额巨大"})
    assert case.state == "transferred"
    letter = Document.objects.get(subject_id=case.public_id, doc_type="transfer_letter")
    assert letter.number and "涉嫌犯罪" in letter.name
    decision = Deadline.objects.get(case=case, code="decision")
    assert decision.state == DeadlineState.MET  # the 90-day clock ends with the transfer


def test_case_17_no_fault_needs_the_education_record_too(world):
    case = walk_to(world, new_penalty_case(world), "investigation_concluded")
    data = {"ground": "no_fault", "reasoning": "当事人有证据足以证明没有主观过错"}
    with pytest.raises(GateBlocked) as exc:
        act(world, case, "decide_no_penalty", data)
    assert exc.value.rule == "CASE-18"
    case = act(world, case, "decide_no_penalty", {**data, "education_record": "已告知当事人相关规定。"})
    assert case.outcome == "no_penalty:no_fault"


def test_case_46_and_disc_9_service_and_publication_deadlines_start_at_the_decision(world):
    case = _decided(world)
    rows = {d.code: d for d in Deadline.objects.filter(case=case)}
    # decided Mon 2026-06-01: 7 working days → Wed 06-10 for both
    assert (rows["service"].rule, rows["service"].due) == ("CASE-46", date(2026, 6, 10))
    assert (rows["publication"].rule, rows["publication"].due) == ("DISC-9", date(2026, 6, 10))
    case = act(world, case, "serve", {"method": "direct", "recipient": "张三", "place": "当事人住所",
                                      "signed_on": date(2026, 6, 12)}, date(2026, 6, 12))
    service = Deadline.objects.get(case=case, code="service")
    assert service.state == DeadlineState.MISSED  # served after the 7 working days: recorded as missed
    case = act(world, case, "publish", {"published_on": date(2026, 6, 9)}, date(2026, 6, 12))
    assert Deadline.objects.get(case=case, code="publication").state == DeadlineState.MET


def test_disc_23_cal_t5_withdrawal_within_3_working_days_after_revocation(world):
    case = _decided(world)
    revoked_on = date(2025, 12, 31)
    case = act(world, case, "revoke", {"on": revoked_on, "reason": "经复议决定撤销"}, DAY)
    assert case.state == "revoked"
    row = Deadline.objects.get(case=case, code="withdrawal")
    assert (row.rule, row.due) == ("DISC-23", date(2026, 1, 6))  # CAL-T5: Sun 2026-01-04 is a make-up workday


def test_rec_14_archived_case_package_verifies_offline(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    case = walk_to(world, new_penalty_case(world), "archived")
    assert case.archive_sha256 == ""  # the action commits at once; the package is built by a task (ADR 0028)
    assert run_pending() == 1
    case.refresh_from_db()
    assert len(case.archive_sha256) == 64
    packages = list((Path(tmp_path) / "archives").iterdir())
    assert len(packages) == 1
    done = subprocess.run([sys.executable, "-m", "zhifa.records.verify", str(packages[0])], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
