"""Impossible dates on cases are refused with the reason, in the services, so the API and the UI agree
(issue 9 defect 12; reliability.md BI-8; rules CASE-2).

Facts not before 1949-10-01, registration and procedural dates not before 1996-10-01 (行政处罚法 in force), nothing
after today except a planned day (a hearing), which may lie at most five years ahead.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from zhifa.accounts.services import api_token_create
from zhifa.cases.dates import check_dates, date_problems
from zhifa.cases.engine import InvalidInput, today_in_china
from zhifa.cases.kinds.penalty_inputs import HearingNoticeIn
from zhifa.cases.models import Case, ReferenceCounter
from zhifa.cases.services import case_create
from zhifa.cases.testing import DAY, make_case_world, penalty_case_data
from zhifa.records.ledger import tree_head

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(agency_a):  # type: ignore[no-untyped-def]
    return make_case_world(agency_a)


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("registered_on", date(1900, 1, 1), "1996年10月1日"),
    ("registered_on", date(1996, 9, 30), "1996年10月1日"),
    ("discovered_on", date(2099, 1, 1), "不能晚于今天"),
    ("act_date", date(1949, 9, 30), "1949年10月1日"),
    ("act_end_date", date(2026, 6, 2), "不能晚于今天"),
])
def test_impossible_case_dates_are_refused_with_the_reason(world, field, value, reason):
    size = tree_head()[0]
    data = penalty_case_data(**{field: value})
    if field == "act_end_date":
        data["act_continuing"] = True
    with pytest.raises(InvalidInput) as exc:
        case_create(actor=world["officer"], kind="penalty", data=data, today=DAY)
    assert reason in exc.value.message
    assert any(e["field"] == field for e in exc.value.errors)
    assert not Case.objects.exists() and not ReferenceCounter.objects.filter(year=1900).exists()
    assert tree_head()[0] == size


def test_plausible_old_and_boundary_dates_pass(world):
    case = case_create(actor=world["officer"], kind="penalty", today=DAY, data=penalty_case_data(
        registered_on=DAY, act_date=date(1949, 10, 1), discovered_on=DAY))
    assert case.reference.endswith("〔2026〕1号")


def test_a_planned_hearing_may_lie_ahead_but_not_in_9999():
    today = date(2026, 6, 1)
    ok = HearingNoticeIn.model_validate({"notice_on": "2026-06-01", "hearing_on": "2026-07-01", "place": "会议室",
                                         "host": "00000000-0000-0000-0000-000000000000"})
    assert date_problems(ok, today=today) == []
    far = HearingNoticeIn.model_construct(hearing_on=date(9999, 12, 30))
    with pytest.raises(InvalidInput) as exc:
        check_dates(far, today=today)
    assert "不能晚于今天起5年" in exc.value.message


def test_api_refuses_a_case_registered_in_1900(world):
    _row, token = api_token_create(user=world["officer"], name="dates")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = penalty_case_data(registered_on="1900-01-01", act_date="2026-05-20", discovered_on="2026-05-21")
    response = client.post("/api/v1/cases/", data={"kind": "penalty", **body}, content_type="application/json")
    assert response.status_code == 422, response.content
    assert "1996年10月1日" in response.json()["message"]
    assert not Case.objects.exists()


def test_ui_refuses_a_discovery_date_in_2099(client, world):
    client.force_login(world["officer"])
    today = today_in_china()
    response = client.post(reverse("cases:new") + "?kind=penalty", {
        "kind": "penalty", "title": "在河道管理范围内违法采砂", "source_kind": "inspection",
        "violation_place": "临湘市长江干流江南段", "act_date": today.isoformat(), "discovered_on": "2099-01-01",
        "party-kind": "organization", "party-name": "某某公司"})
    html = response.content.decode()
    assert response.status_code in (400, 422)
    assert "不能晚于今天" in html
    assert not Case.objects.exists()
