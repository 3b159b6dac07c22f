"""Whole cases walked through the API only: HTTP requests with each role's own token, as a provincial platform or
a mobile app would drive them. The API has no clock parameter, so the dates are chosen relative to the real date
(working days from the project's calendar)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zhifa.accounts.services import api_token_create
from zhifa.cases.engine import today_in_china
from zhifa.cases.testing import CaseWorld, make_case_world, org_party, person_party
from zhifa.records.ledger import tree_head
from zhifa.review.services import ALL_CHECKS_PASSED
from zhifa.workdays.calendar import Direction, load_calendar

BASE = "/api/v1/cases"


class Desk:
    """One API client per role of the agency (each with its own token)."""

    def __init__(self, world: CaseWorld) -> None:
        self.world = world
        self.clients: dict[str, Client] = {}

    def client(self, role: str) -> Client:
        if role not in self.clients:
            _row, token = api_token_create(user=self.world[role], name=f"scenario {role}")
            self.clients[role] = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        return self.clients[role]

    def create(self, kind: str, **data: Any) -> dict[str, Any]:
        response = self.client("officer").post(f"{BASE}/", data={"kind": kind, **data},
                                               content_type="application/json")
        assert response.status_code == 201, response.content.decode()
        return response.json()

    def act(self, role: str, case: dict[str, Any], action: str, data: dict[str, Any], *,
            status: int = 200) -> dict[str, Any]:
        response = self.client(role).post(f"{BASE}/{case['id']}/actions/{action}", data=data,
                                          content_type="application/json")
        assert response.status_code == status, (action, response.content.decode())
        return response.json()

    def get(self, case: dict[str, Any], role: str = "officer") -> dict[str, Any]:
        response = self.client(role).get(f"{BASE}/{case['id']}")
        assert response.status_code == 200, response.content.decode()
        return response.json()


def docs(detail: dict[str, Any], doc_type: str) -> list[dict[str, Any]]:
    return [d for d in detail["documents"] if d["doc_type"] == doc_type]


def iso(day: date) -> str:
    return day.isoformat()


def at(day: date, hour: int) -> str:
    return timezone.make_aware(datetime.combine(day, time(hour, 0))).isoformat()


def case_data(*, registered_on: date, act_date: date, parties: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "title": "未经批准在河道管理范围内采砂案", "source_kind": "inspection", "source_detail": "日常巡查发现",
        "violation_place": "临湘市长江干流江南段", "violation_region_code": "430682",
        "act_date": iso(act_date), "discovered_on": iso(act_date), "summary": "巡查发现采砂船正在作业。",
        "registered_on": iso(registered_on), "parties": parties, **extra,
    }


def on_spot(world: CaseWorld, fine: str, **extra: Any) -> dict[str, Any]:
    return {"place": "临湘市长江干流江南段", "staff": world.officer_ids, "certificate_shown": True,
            "facts": "当事人在禁渔期内垂钓，经现场指出后承认。", "legal_basis_text": "《中华人民共和国长江保护法》第八十六条",
            "penalty_kinds": ["fine"], "fine_amount": fine, "party_signed": True, **extra}


def record(world: CaseWorld, day: date) -> dict[str, Any]:
    return {"on": iso(day), "started_at": at(day, 9), "ended_at": at(day, 10), "place": "临湘市长江干流江南段",
            "staff": world.officer_ids, "certificate_shown": True, "subject": "张三",
            "content": "现场发现采砂船一艘正在作业，未能出示河道采砂许可证。"}


def investigate(desk: Desk, case: dict[str, Any], filed_on: date) -> dict[str, Any]:
    """Filing, officers, an inspection record and the investigation report (each by its role)."""
    world = desk.world
    case = desk.act("agency_head", case, "approve_filing", {"filed_on": iso(filed_on)})
    assert case["state"] == "filed" and docs(case, "filing_approval")
    case = desk.act("unit_head", case, "assign_officers", {"staff": world.officer_ids, "on": iso(filed_on)})
    assert case["state"] == "investigating" and len(case["officers"]) == 2
    case = desk.act("officer", case, "record_inspection", record(world, filed_on + timedelta(days=1)))
    assert docs(case, "inspection_record")
    case = desk.act("officer", case, "conclude_investigation", {
        "report": "经调查，当事人未经许可在河道管理范围内采砂，事实清楚，证据确凿。",
        "facts": "当事人未经许可在长江干流江南段采砂。", "evidence_summary": "现场检查笔录\n现场照片",
        "legal_basis_text": "《中华人民共和国水法》第六十五条第一款", "opinion": "建议依法给予行政处罚。"})
    assert case["state"] == "investigation_concluded"
    return case


def notice(fine: str, served_on: date) -> dict[str, Any]:
    return {"penalty_kinds": ["fine"], "fine_amount": fine, "legal_basis_text": "《中华人民共和国水法》第六十五条第一款",
            "served_on": iso(served_on)}


def state_of(desk: Desk, case: dict[str, Any]) -> str:
    return desk.get(case)["state"]


# ------------------------------------------------------------------------------------------ (a) simple procedure


@pytest.mark.django_db
def test_simple_procedure_fine_of_200_to_a_person_and_not_201(agency_a):
    world = make_case_world(agency_a)
    desk = Desk(world)
    today = today_in_china()

    refused = desk.create("penalty_simple", **case_data(registered_on=today, act_date=today,
                                                        parties=[person_party()], title="禁渔期垂钓案"))
    assert refused["state"] == "on_site"
    size = tree_head()[0]
    body = desk.act("officer", refused, "decide_on_spot", on_spot(world, "201"), status=409)
    assert body["code"] == "gate_blocked" and body["rule"] == "CASE-5"
    assert "200" in body["message"]
    assert tree_head()[0] == size  # nothing recorded
    after = desk.get(refused)
    assert after["state"] == "on_site" and after["documents"] == [] and after["fine_amount"] is None

    case = desk.create("penalty_simple", **case_data(registered_on=today, act_date=today,
                                                     parties=[person_party()], title="禁渔期垂钓案"))
    decided = desk.act("officer", case, "decide_on_spot", on_spot(world, "200"))
    assert decided["state"] == "decided_on_site" and decided["state_label"] == "已当场处罚"
    (form,) = docs(decided, "on_site_decision")
    assert form["name"] == "当场行政处罚决定书"
    assert form["number"], form  # 文号
    assert form["pdf_url"].endswith(f"/documents/{form['id']}/pdf")
    assert decided["fine_amount"] == "200.00"
    # the payment deadline, and the DISC-9 publication deadline the disclosure app opens with its draft (ADR 0044)
    assert sorted(d["code"] for d in decided["deadlines"]) == ["payment", "publication"]
    assert {a["name"] for a in decided["allowed_actions"]} >= {"record_payment", "collect_on_spot"}


# ------------------------------------------------------------------------------------ (b) general, with hearing


def _hearing_dates(world: CaseWorld) -> dict[str, date]:
    """A hearing held today, noticed the latest working day the law allows (CASE-36), requested the day the prior
    notice was served, about a month after filing (well inside the 90 days of CASE-44)."""
    calendar = load_calendar(world.agency.region_code)
    hearing = today_in_china()
    noticed = calendar.latest_date_before(hearing, 7, direction=Direction.AGENCY_OBLIGATION).due
    served = calendar.latest_date_before(noticed, 2, direction=Direction.AGENCY_OBLIGATION).due
    filed = served - timedelta(days=20)
    return {"hearing": hearing, "noticed": noticed, "served": served, "filed": filed,
            "registered": filed - timedelta(days=2), "act": filed - timedelta(days=10)}


@pytest.mark.django_db
def test_general_procedure_with_a_hearing_from_registration_to_close(agency_a):
    world = make_case_world(agency_a)
    desk = Desk(world)
    day = _hearing_dates(world)
    today = today_in_china()

    case = desk.create("penalty", **case_data(registered_on=day["registered"], act_date=day["act"],
                                              parties=[person_party()]))
    case = investigate(desk, case, day["filed"])

    # Prior notice of a 20,000 CNY fine to a person: a hearing right (CASE-33/34; the agency's threshold 10,000).
    case = desk.act("agency_head", case, "issue_prior_notice", notice("20000", day["served"]))
    assert case["state"] == "pre_notice_issued" and case["hearing_right"] is True
    assert docs(case, "prior_notice") and docs(case, "hearing_right_notice")
    request_due = next(d for d in case["deadlines"] if d["code"] == "hearing_request")
    assert request_due["rule"] == "CASE-35" and request_due["day_kind"] == "working"

    # The party asks for a hearing within 5 working days (CASE-35): the decision now needs legal review (REV-2).
    case = desk.act("officer", case, "request_hearing", {"requested_on": iso(day["served"])})
    assert case["state"] == "hearing_requested"
    assert case["legal_review_required"] is True
    assert any("REV-2" in r for r in case["legal_review_reasons"])

    # Notice of the hearing: less than 7 working days before it is refused (CASE-36), then in time.
    hearing = {"hearing_on": iso(day["hearing"]), "place": "本局听证室", "host": str(world.host.public_id)}
    size = tree_head()[0]
    late = desk.act("unit_head", case, "notice_hearing", {**hearing, "notice_on": iso(today - timedelta(days=1))},
                    status=409)
    assert late["rule"] == "CASE-36" and late["code"] == "gate_blocked"
    assert tree_head()[0] == size and state_of(desk, case) == "hearing_requested"
    case = desk.act("unit_head", case, "notice_hearing", {**hearing, "notice_on": iso(day["noticed"])})
    assert case["state"] == "hearing_noticed" and docs(case, "hearing_notice")

    case = desk.act("officer", case, "hold_hearing", {
        "participants": "当事人张三，调查人员王建国、李秀英", "investigators_case": "调查人员陈述违法事实和证据。",
        "defense": "当事人对事实无异议，请求从轻处罚。", "signed_note": "当事人已签字"})
    assert case["state"] == "hearing_held" and case["hearing_held"] is True and docs(case, "hearing_record")

    # No decision before the legal review has passed (REV-1): from here the table does not offer it at all.
    assert "decide" not in {a["name"] for a in desk.get(case, "agency_head")["allowed_actions"]}
    blocked = desk.act("agency_head", case, "decide", {}, status=409)
    assert blocked["code"] == "invalid_state"
    case = desk.act("officer", case, "submit_legal_review", {"materials": "调查终结报告、证据材料、听证笔录"})
    assert case["state"] == "legal_review" and case["review_rounds"][0]["state"] == "pending"
    desk.act("agency_head", case, "decide", {}, status=409)
    desk.act("officer", case, "pass_legal_review", {**ALL_CHECKS_PASSED, "opinion": "同意"}, status=403)
    reviewer = {"reviewer": str(desk.world["legal_reviewer"].public_id)}
    desk.act("legal_reviewer", case, "assign_reviewer", reviewer)
    case = desk.act("legal_reviewer", case, "pass_legal_review",
                    {**ALL_CHECKS_PASSED, "opinion": "事实清楚，证据确凿，适用依据正确，程序合法，同意。"})
    assert case["state"] == "legal_review_passed" and case["review_rounds"][0]["state"] == "passed"
    assert docs(case, "legal_review_opinion")

    case = desk.act("agency_head", case, "decide", {})
    assert case["state"] == "decided" and case["decided_on"] == iso(today)
    (decision,) = docs(case, "penalty_decision")
    assert decision["number"]
    assert {d["code"] for d in case["deadlines"] if d["state"] == "running"} >= {"service", "publication"}

    case = desk.act("officer", case, "serve", {"method": "direct", "recipient": "张三", "signed_on": iso(today),
                                           "place": "临湘市长安街道河滨路8号"})
    assert case["state"] == "served" and case["payment_due"] and docs(case, "service_receipt")
    desk.act("officer", case, "publish", {}, status=403)  # the disclosure officer's step
    case = desk.act("disclosure_officer", case, "publish", {})
    assert case["state"] == "published"
    case = desk.act("officer", case, "record_payment", {"amount": "20000", "receipt": "HN-0001"})
    assert case["state"] == "performed" and case["paid_amount"] == "20000.00"
    case = desk.act("agency_head", case, "close", {"summary": "当事人已全额缴纳罚款。"})
    assert case["state"] == "closed" and docs(case, "closing_approval")

    timeline = desk.client("officer").get(f"{BASE}/{case['id']}/timeline").json()
    actions = [i["kind"] for i in timeline["items"] if i["kind"].startswith("case.")]
    assert actions == ["case.register", "case.approve_filing", "case.assign_officers", "case.record_inspection",
                       "case.conclude_investigation", "case.issue_prior_notice", "case.request_hearing",
                       "case.notice_hearing", "case.hold_hearing", "case.submit_legal_review",
                       "case.assign_reviewer", "case.pass_legal_review", "case.decide", "case.serve", "case.publish",
                       "case.record_payment", "case.close"]


@pytest.mark.django_db
def test_major_decision_without_hearing_is_blocked_until_review_passes(agency_a):
    """REV-1 as the decision gate itself: a case the review catalog lists (REV-3; 8,000 CNY ≥ the 5,000 set here)
    reaches a decidable state after the defense, and the decision is refused until the reviewer passes it."""
    world = make_case_world(agency_a, review_threshold="5000")
    desk = Desk(world)
    today = today_in_china()
    case = desk.create("penalty", **case_data(registered_on=today - timedelta(days=12),
                                              act_date=today - timedelta(days=20), parties=[person_party()]))
    case = investigate(desk, case, today - timedelta(days=10))
    case = desk.act("agency_head", case, "issue_prior_notice", notice("8000", today))
    assert case["hearing_right"] is False and case["legal_review_required"] is True
    case = desk.act("officer", case, "close_defense", {"outcome": "waived", "text": "当事人书面放弃陈述申辩"})
    assert case["state"] == "defense_review"

    size = tree_head()[0]
    blocked = desk.act("agency_head", case, "decide", {}, status=409)
    assert blocked["rule"] == "REV-1" and blocked["code"] == "gate_blocked"
    assert tree_head()[0] == size
    after = desk.get(case)
    assert after["state"] == "defense_review" and not docs(after, "penalty_decision")

    desk.act("officer", case, "submit_legal_review", {"materials": "调查终结报告、证据材料"})
    desk.act("legal_reviewer", case, "assign_reviewer", {"reviewer": str(desk.world["legal_reviewer"].public_id)})
    desk.act("legal_reviewer", case, "pass_legal_review", {**ALL_CHECKS_PASSED, "opinion": "同意"})
    case = desk.act("agency_head", case, "decide", {})
    assert case["state"] == "decided" and docs(case, "penalty_decision")[0]["number"]


# ------------------------------------------------------------------------------------------- (c) no penalty


@pytest.mark.django_db
def test_no_penalty_needs_its_education_record(agency_a):
    world = make_case_world(agency_a)
    desk = Desk(world)
    today = today_in_china()
    case = desk.create("penalty", **case_data(registered_on=today - timedelta(days=5),
                                              act_date=today - timedelta(days=8), parties=[person_party()]))
    case = investigate(desk, case, today - timedelta(days=3))
    grounds = {"ground": "minor_corrected", "minor": True, "corrected_in_time": True, "no_harm": True,
               "reasoning": "违法行为轻微并及时改正，没有造成危害后果。"}

    size = tree_head()[0]
    blocked = desk.act("agency_head", case, "decide_no_penalty", grounds, status=409)
    assert blocked["rule"] == "CASE-18"
    assert tree_head()[0] == size and state_of(desk, case) == "investigation_concluded"

    case = desk.act("agency_head", case, "decide_no_penalty",
                    {**grounds, "education_record": "向当事人讲解河道管理法规，当事人表示今后严格遵守。"})
    assert case["state"] == "no_penalty" and case["outcome"] == "no_penalty:minor_corrected"
    assert docs(case, "education_record") and docs(case, "no_penalty_decision")
    case = desk.act("agency_head", case, "close", {"summary": "不予行政处罚，已进行批评教育。"})
    assert case["state"] == "closed"


# ------------------------------------------------------------------------------- (d) organization, on the spot


@pytest.mark.django_db
def test_organization_fined_on_the_spot_up_to_3000(agency_a):
    world = make_case_world(agency_a)
    desk = Desk(world)
    today = today_in_china()

    def spot_case() -> dict[str, Any]:
        return desk.create("penalty_simple", **case_data(registered_on=today, act_date=today,
                                                         parties=[org_party()], title="未按规定设置警示标志案"))

    allowed = desk.act("officer", spot_case(), "decide_on_spot", on_spot(world, "3000"))
    assert allowed["state"] == "decided_on_site" and docs(allowed, "on_site_decision")[0]["number"]

    refused_case = spot_case()
    size = tree_head()[0]
    refused = desk.act("officer", refused_case, "decide_on_spot", on_spot(world, "3001"), status=409)
    assert refused["rule"] == "CASE-5" and "3,000" in refused["message"]
    assert tree_head()[0] == size
    after = desk.get(refused_case)
    assert after["state"] == "on_site" and after["documents"] == []
