"""Legal review (法制审核, rules.md §6) walked over HTTP only: each step with the token of the role that takes it, the
case actions at /api/v1/cases/{id}/actions/{name} and the review reads at /api/v1/review/. The API has no clock
parameter, so the dates are the real date and working days from the project's calendar; only (h), which needs the
materials to come back on a later day, moves the engine's "today" forward."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zhifa.accounts.services import api_token_create
from zhifa.cases import engine
from zhifa.cases.engine import today_in_china
from zhifa.cases.testing import CaseWorld, make_case_world, person_party
from zhifa.records.ledger import tree_head
from zhifa.records.testing import business_entries_since
from zhifa.registry import models as reg
from zhifa.registry.testing import make_user
from zhifa.review.services import ALL_CHECKS_PASSED
from zhifa.workdays.calendar import Direction, load_calendar

CASES = "/api/v1/cases"
REVIEW = "/api/v1/review"
AMOUNT_ENTRY = "较大数额罚没款的行政处罚决定"  # make_case_world's review catalog entries
HEARING_ENTRY = "经过听证程序作出的行政处罚决定"
BASIS = "《中华人民共和国水法》第六十五条第一款"


class Desk:
    """One API client per role of the agency, each with its own token."""

    def __init__(self, world: CaseWorld) -> None:
        self.world = world
        self.clients: dict[str, Client] = {}

    def client(self, who: str | Any) -> Client:
        key = who if isinstance(who, str) else f"user:{who.pk}"
        if key not in self.clients:
            user = self.world[who] if isinstance(who, str) else who
            _row, token = api_token_create(user=user, name=f"review scenario {key}")
            self.clients[key] = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        return self.clients[key]

    def create(self, **data: Any) -> dict[str, Any]:
        response = self.client("officer").post(f"{CASES}/", data={"kind": "penalty", **data},
                                               content_type="application/json")
        assert response.status_code == 201, response.content.decode()
        return response.json()

    def act(self, who: str | Any, case: dict[str, Any], action: str, data: dict[str, Any], *,
            status: int = 200) -> dict[str, Any]:
        response = self.client(who).post(f"{CASES}/{case['id']}/actions/{action}", data=data,
                                         content_type="application/json")
        assert response.status_code == status, (action, response.content.decode())
        return response.json()

    def case(self, case: dict[str, Any], who: str = "officer") -> dict[str, Any]:
        response = self.client(who).get(f"{CASES}/{case['id']}")
        assert response.status_code == 200, response.content.decode()
        return response.json()

    def review(self, path: str, who: str = "legal_reviewer", **params: Any) -> Any:
        response = self.client(who).get(f"{REVIEW}{path}", params)
        assert response.status_code == 200, response.content.decode()
        return response.json()

    def round(self, case: dict[str, Any], number: int = -1, who: str = "legal_reviewer") -> dict[str, Any]:
        """The detail of one of the case's rounds (default the latest), found from the case detail."""
        rounds = sorted(self.case(case, who)["review_rounds"], key=lambda r: r["number"])
        return self.review(f"/rounds/{rounds[number]['id']}", who)

    # the review steps
    def submit(self, case: dict[str, Any], **kw: Any) -> dict[str, Any]:
        return self.act("officer", case, "submit_legal_review", {"materials": "调查终结报告、证据材料、告知及陈述申辩材料"},
                        **kw)

    def assign(self, case: dict[str, Any], reviewer: Any = None, **kw: Any) -> dict[str, Any]:
        reviewer = reviewer or self.world["legal_reviewer"]
        return self.act("legal_reviewer", case, "assign_reviewer", {"reviewer": str(reviewer.public_id)}, **kw)

    def pass_(self, case: dict[str, Any], **kw: Any) -> dict[str, Any]:
        return self.act("legal_reviewer", case, "pass_legal_review",
                        {**ALL_CHECKS_PASSED, "opinion": "事实清楚，证据确凿，适用依据正确，程序合法，裁量适当，同意。"}, **kw)

    def return_(self, case: dict[str, Any], item: str, note: str, **kw: Any) -> dict[str, Any]:
        return self.act("legal_reviewer", case, "return_legal_review",
                        {**ALL_CHECKS_PASSED, f"{item}_ok": False, f"{item}_note": note,
                         "opinion": "存在问题，请承办机构补正后重新送审。"}, **kw)


def iso(day: date) -> str:
    return day.isoformat()


def at(day: date, hour: int) -> str:
    return timezone.make_aware(datetime.combine(day, time(hour, 0))).isoformat()


def docs(detail: dict[str, Any], doc_type: str) -> list[dict[str, Any]]:
    return [d for d in detail["documents"] if d["doc_type"] == doc_type]


def calendar(world: CaseWorld):  # noqa: ANN201
    return load_calendar(world.agency.region_code)


def wd_after(world: CaseWorld, start: date, n: int) -> date:
    return calendar(world).add_working_days(start, n, direction=Direction.AGENCY_OBLIGATION).due


def case_data(*, registered_on: date, act_date: date, **extra: Any) -> dict[str, Any]:
    return {"title": "未经批准在河道管理范围内采砂案", "source_kind": "inspection", "source_detail": "日常巡查发现",
            "violation_place": "临湘市长江干流江南段", "violation_region_code": "430682", "act_date": iso(act_date),
            "discovered_on": iso(act_date), "summary": "巡查发现采砂船正在作业。", "registered_on": iso(registered_on),
            "parties": [person_party()], **extra}


def investigate(desk: Desk, case: dict[str, Any], filed_on: date, staff: list[str] | None = None) -> dict[str, Any]:
    world = desk.world
    case = desk.act("agency_head", case, "approve_filing", {"filed_on": iso(filed_on)})
    case = desk.act("unit_head", case, "assign_officers", {"staff": staff or world.officer_ids, "on": iso(filed_on)})
    day = filed_on + timedelta(days=1)
    desk.act("officer", case, "record_inspection", {
        "on": iso(day), "started_at": at(day, 9), "ended_at": at(day, 10), "place": "临湘市长江干流江南段",
        "staff": world.officer_ids, "certificate_shown": True, "subject": "张三",
        "content": "现场发现采砂船一艘正在作业，未能出示河道采砂许可证。"})
    case = desk.act("officer", case, "conclude_investigation", {
        "report": "经调查，当事人未经许可在河道管理范围内采砂，事实清楚，证据确凿。",
        "facts": "当事人未经许可在长江干流江南段采砂。", "evidence_summary": "现场检查笔录\n现场照片",
        "legal_basis_text": BASIS, "opinion": "建议依法给予行政处罚。"})
    assert case["state"] == "investigation_concluded"
    return case


def notice(fine: str, served_on: date, **extra: Any) -> dict[str, Any]:
    return {"penalty_kinds": ["fine"], "fine_amount": fine, "legal_basis_text": BASIS, "served_on": iso(served_on),
            **extra}


def to_defense_review(desk: Desk, fine: str, *, staff: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """A case noticed today of `fine` CNY (below the hearing threshold), the defense waived in writing."""
    today = today_in_china()
    case = desk.create(**case_data(registered_on=today - timedelta(days=12), act_date=today - timedelta(days=20),
                                   **extra))
    case = investigate(desk, case, today - timedelta(days=10), staff)
    case = desk.act("agency_head", case, "issue_prior_notice", notice(fine, today))
    assert case["hearing_right"] is False
    case = desk.act("officer", case, "close_defense", {"outcome": "waived", "text": "当事人书面放弃陈述申辩"})
    assert case["state"] == "defense_review"
    return case


def decide(desk: Desk, case: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return desk.act("agency_head", case, "decide", {}, **kw)


# ------------------------------------------------------------------------------ (a) required by the amount


@pytest.mark.django_db
def test_a_required_by_the_catalogs_amount_threshold_and_decided_only_after_a_pass(agency_a):
    world = make_case_world(agency_a, review_threshold="5000")
    desk = Desk(world)
    today = today_in_china()
    case = to_defense_review(desk, "8000")
    assert case["legal_review_required"] is True
    (reason,) = case["legal_review_reasons"]
    assert AMOUNT_ENTRY in reason and "5,000" in reason and "REV-3" in reason

    size = tree_head()[0]
    blocked = decide(desk, case, status=409)
    assert blocked["code"] == "gate_blocked" and blocked["rule"] == "REV-1"
    assert tree_head()[0] == size and desk.case(case)["state"] == "defense_review"

    case = desk.submit(case)
    assert case["state"] == "legal_review"
    (queued,) = desk.review("/queue", scope="unassigned")["items"]
    assert queued["case_id"] == case["id"] and queued["number"] == 1 and queued["state"] == "pending"
    assert any(AMOUNT_ENTRY in r for r in queued["reasons"])
    assert queued["submitted_on"] == iso(today) == queued["received_on"]
    assert queued["due"] == iso(wd_after(world, today, 5)) and queued["extended"] is False
    assert decide(desk, case, status=409)["code"] == "invalid_state"  # not decidable while in review

    desk.assign(case)
    assert desk.review("/queue", scope="mine")["items"][0]["assigned_to"] == world["legal_reviewer"].full_name
    case = desk.pass_(case)
    assert case["state"] == "legal_review_passed"
    rnd = desk.round(case)
    assert rnd["state"] == "passed" and rnd["state_label"] == "同意" and rnd["reviewer"] == world["legal_reviewer"].full_name
    assert rnd["decided_on"] == iso(today) and rnd["overdue"] is False and rnd["working_days_taken"] == 0
    assert rnd["proposal"]["fine_amount"] == "8000.00"
    assert rnd["opinion_document"]["id"] == docs(case, "legal_review_opinion")[0]["id"]

    case = decide(desk, case)
    assert case["state"] == "decided" and docs(case, "penalty_decision")[0]["number"]
    assert desk.review("/queue", scope="done")["items"][0]["id"] == rnd["id"]


# ----------------------------------------------------------------------------------- (b) required by a hearing


@pytest.mark.django_db
def test_b_required_because_a_hearing_was_held(agency_a):
    world = make_case_world(agency_a, review_threshold="50000")  # 20,000 CNY is below the catalog's amount
    desk = Desk(world)
    cal = calendar(world)
    hearing = today_in_china()
    noticed = cal.latest_date_before(hearing, 7, direction=Direction.AGENCY_OBLIGATION).due  # CASE-36
    served = cal.latest_date_before(noticed, 2, direction=Direction.AGENCY_OBLIGATION).due
    filed = served - timedelta(days=20)
    case = desk.create(**case_data(registered_on=filed - timedelta(days=2), act_date=filed - timedelta(days=10)))
    case = investigate(desk, case, filed)
    case = desk.act("agency_head", case, "issue_prior_notice", notice("20000", served))
    assert case["hearing_right"] is True and case["legal_review_required"] is False
    case = desk.act("officer", case, "request_hearing", {"requested_on": iso(served)})
    case = desk.act("unit_head", case, "notice_hearing", {"notice_on": iso(noticed), "hearing_on": iso(hearing),
                                                          "place": "本局听证室", "host": str(world.host.public_id)})
    case = desk.act("officer", case, "hold_hearing", {
        "participants": "当事人张三，调查人员王建国、李秀英", "investigators_case": "调查人员陈述违法事实和证据。",
        "defense": "当事人对事实无异议，请求从轻处罚。", "signed_note": "当事人已签字"})
    assert case["state"] == "hearing_held" and case["legal_review_required"] is True
    reasons = case["legal_review_reasons"]
    assert "经过听证程序（REV-2）" in reasons
    assert any(HEARING_ENTRY in r for r in reasons) and not any(AMOUNT_ENTRY in r for r in reasons)

    case = desk.submit(case)
    desk.assign(case)
    rnd = desk.round(case)
    assert "经过听证程序（REV-2）" in rnd["reasons"]
    assert rnd["package"]["hearing_held"] is True
    assert {d["type"] for d in rnd["package"]["documents"]} >= {"prior_notice", "hearing_record"}
    case = desk.pass_(case)
    case = decide(desk, case)
    assert case["state"] == "decided"


# ----------------------------------------------------------------------- (c) returned, then a second round


@pytest.mark.django_db
def test_c_returned_with_a_stated_problem_and_passed_in_a_second_round(agency_a):
    world = make_case_world(agency_a, review_threshold="5000")
    desk = Desk(world)
    case = to_defense_review(desk, "8000")
    case = desk.submit(case)
    desk.assign(case)

    size = tree_head()[0]
    unexplained = desk.act("legal_reviewer", case, "return_legal_review",
                           {**ALL_CHECKS_PASSED, "discretion_ok": False, "opinion": "存在问题。"}, status=409)
    assert unexplained["rule"] == "REV-9" and "裁量基准运用是否适当" in unexplained["message"]
    all_fine = desk.act("legal_reviewer", case, "return_legal_review", {**ALL_CHECKS_PASSED, "opinion": "存在问题。"},
                        status=409)
    assert all_fine["rule"] == "REV-9"
    assert tree_head()[0] == size and desk.round(case)["state"] == "in_review"

    case = desk.return_(case, "discretion", "未说明罚款数额的裁量理由，请补充裁量情节。")
    assert case["state"] == "legal_review_returned"
    first = desk.round(case)
    assert first["state"] == "returned" and first["problems"] == 1
    (problem,) = [c for c in first["checks"] if not c["passed"]]
    assert problem["item"] == "discretion" and problem["comment"].startswith("未说明罚款数额")
    assert first["opinion_document"] is not None
    assert decide(desk, case, status=409)["code"] == "invalid_state"

    # The handling unit revises (a lighter fine, CASE-30) and resubmits: round 2, the first kept (REV-10).
    case = desk.act("officer", case, "revise_proposal", {"penalty_kinds": ["fine"], "fine_amount": "6000",
                                                          "legal_basis_text": BASIS,
                                                          "mitigation_note": "当事人初次违法，主动配合调查。"})
    case = desk.submit(case)
    assert [r["state"] for r in case["review_rounds"]] == ["returned", "pending"]
    desk.assign(case)
    case = desk.pass_(case)
    second = desk.round(case)
    assert second["number"] == 2 and second["proposal"]["fine_amount"] == "6000.00"
    assert [(r["number"], r["state"]) for r in second["rounds"]] == [(1, "returned"), (2, "passed")]
    assert [r["problems"] for r in second["rounds"]] == [1, 0]
    assert second["opinion_document"]["id"] != first["opinion_document"]["id"]
    assert {d["id"] for d in docs(case, "legal_review_opinion")} == {second["opinion_document"]["id"],
                                                                       first["opinion_document"]["id"]}
    detail = desk.case(case)
    assert [(r["number"], r["state"]) for r in detail["review_rounds"]] == [(1, "returned"), (2, "passed")]
    assert desk.review("/queue", scope="done")["total"] == 2
    assert decide(desk, case)["state"] == "decided"

    supervision = desk.review("/supervision", who="agency_head")
    (figures,) = supervision["agencies"]
    assert figures["returned"] == 1 and figures["problems"] == 1 and figures["decided"] == 2
    assert supervision["problems_by_item"] == [{"item": "discretion", "label": "裁量基准运用是否适当", "count": 1}]


# ------------------------------------------------------------------------------------------- (d) extension


@pytest.mark.django_db
def test_d_one_extension_of_three_working_days_approved_by_the_agency_head(agency_a):
    world = make_case_world(agency_a, review_threshold="5000")
    desk = Desk(world)
    case = desk.submit(to_defense_review(desk, "8000"))
    desk.assign(case)
    before = desk.round(case)["due"]

    size = tree_head()[0]
    refused = desk.act("legal_reviewer", case, "extend_review", {"reason": "案情复杂"}, status=403)
    assert refused["code"] == "forbidden"
    assert business_entries_since(size) == []  # the refusal is a security event only (issue 9 defect 9)

    case = desk.act("agency_head", case, "extend_review", {"reason": "涉及多个法律关系，案情复杂，需进一步核实。"})
    rnd = desk.round(case)
    assert rnd["extended"] is True and rnd["extension_approved_by"] == world["agency_head"].full_name
    assert rnd["due"] == iso(wd_after(world, date.fromisoformat(before), 3))
    assert rnd["due"] == iso(wd_after(world, date.fromisoformat(rnd["received_on"]), 8))
    (deadline,) = [d for d in case["deadlines"] if d["code"] == "review"]
    assert deadline["due"] == rnd["due"] and deadline["state"] == "extended" and deadline["rule"] == "REV-6"

    size = tree_head()[0]
    again = desk.act("agency_head", case, "extend_review", {"reason": "仍需时间"}, status=409)
    assert again["rule"] == "REV-6"
    assert tree_head()[0] == size and desk.round(case)["due"] == rnd["due"]
    assert desk.pass_(case)["state"] == "legal_review_passed"


# ----------------------------------------------------------------------------------------- (e) disagreement


@pytest.mark.django_db
def test_e_disagreement_is_coordinated_and_goes_to_the_heads_collective_discussion(agency_a):
    world = make_case_world(agency_a, review_threshold="5000")
    desk = Desk(world)
    case = desk.submit(to_defense_review(desk, "8000"))
    desk.assign(case)
    case = desk.return_(case, "legal_basis", "应当适用《河道管理条例》第四十四条。")
    assert case["state"] == "legal_review_returned"

    case = desk.act("officer", case, "coordinate_review", {
        "participants": "承办机构负责人李秀英、法制审核人员吴审核", "disagreement": "承办机构认为水法第六十五条更为具体。",
        "conclusion": "双方意见不一致，提请机关负责人集体讨论。", "outcome": "collective"})
    assert case["state"] == "legal_review_disputed"
    first = desk.round(case)
    (coordination,) = first["coordinations"]
    assert coordination["outcome"] == "collective" and coordination["outcome_label"] == "提请机关负责人集体讨论"
    assert coordination["recorded_by"] == world["officer"].full_name

    case = desk.act("agency_head", case, "collective_discussion", {
        "participants": "局长、副局长、法制审核机构负责人", "minutes": "讨论认为应适用水法第六十五条第一款。",
        "conclusion": "维持承办机构的处理意见，重新送审。"})
    assert case["state"] == "collective_discussion" and docs(case, "collective_discussion_record")
    blocked = decide(desk, case, status=409)
    assert blocked["rule"] == "REV-1"  # the latest round is not passed

    case = desk.submit(case)
    desk.assign(case)
    case = desk.pass_(case)
    assert [r["state"] for r in case["review_rounds"]] == ["returned", "passed"]
    case = decide(desk, case)
    assert case["state"] == "decided" and case["collective_discussion"] is True


# --------------------------------------------------------------------------------------- (f) assignment rules


@pytest.mark.django_db
def test_f_an_investigator_cannot_review_and_a_first_reviewer_needs_the_qualification(agency_a):
    world = make_case_world(agency_a, review_threshold="5000")
    desk = Desk(world)
    agency = world.agency
    investigator = make_user(agency, "legal_reviewer", username="a_reviewer_investigator")
    staff = world.officers[2]  # 赵志强, certified: now the account of a legal reviewer too
    staff.user, staff.is_legal_reviewer, staff.has_legal_qualification = investigator, True, True
    staff.save()
    newcomer = make_user(agency, "legal_reviewer", username="a_reviewer_newcomer")
    reg.Staff.objects.create(agency=agency, name="郑新人", user=newcomer, is_legal_reviewer=True)

    everyone = [*world.officer_ids, str(staff.public_id)]
    case = desk.submit(to_defense_review(desk, "8000", staff=everyone))
    assert {o["name"] for o in case["officers"]} >= {"赵志强"}

    size = tree_head()[0]
    refused = desk.assign(case, investigator, status=409)
    assert refused["rule"] == "REG-19" and "调查" in refused["message"]
    assert tree_head()[0] == size
    rnd = desk.round(case)
    assert rnd["state"] == "pending" and rnd["assigned_reviewer"] is None and rnd["assigned_to"] == ""

    refused = desk.assign(case, newcomer, status=409)
    assert refused["rule"] == "REG-21" and "法律职业资格" in refused["message"]
    assert desk.round(case)["assigned_reviewer"] is None

    eligibility = {r["name"]: r for r in desk.review("/reviewers", who="agency_head", case_id=case["id"])}
    assert eligibility[investigator.full_name]["problem"]["rule"] == "REG-19"
    assert eligibility[newcomer.full_name]["problem"]["rule"] == "REG-21"
    assert eligibility[newcomer.full_name]["legal_qualification"] is False
    assert eligibility[newcomer.full_name]["first_review"] is True
    assert eligibility[world["legal_reviewer"].full_name]["problem"] is None

    desk.assign(case)
    rnd = desk.round(case)
    assert rnd["state"] == "in_review" and rnd["assigned_reviewer"]["id"] == str(world["legal_reviewer"].public_id)
    assert rnd["assigned_by"] == world["legal_reviewer"].full_name


# --------------------------------------------------------------------------------------- (g) the package


@pytest.mark.django_db
def test_g_an_incomplete_package_is_refused_with_what_is_missing(agency_a):
    world = make_case_world(agency_a, review_threshold="5000")
    desk = Desk(world)
    agency = world.agency
    item = reg.PowerItem.objects.create(agency=agency, code="WR-P-001", name="对未经批准在河道管理范围内采砂的处罚",
                                        action_type=reg.ActionType.PENALTY)
    bench = reg.DiscretionBenchmark.objects.create(
        agency=agency, power_item=item, code="WR-B-001", title="河道采砂行政处罚裁量基准", effective_from=date(2026, 1, 1),
        publication_status=reg.PublicationStatus.PUBLISHED)
    case = to_defense_review(desk, "8000", power_item=str(item.public_id))

    size = tree_head()[0]
    refused = desk.submit(case, status=409)
    assert refused["code"] == "review_refused" and refused["rule"] == "REV-15"
    assert refused["errors"] == ["适用的裁量基准（本事项有已公布的裁量基准，CASE-27）"]
    assert "送审材料不完整" in refused["message"]
    assert tree_head()[0] == size
    assert desk.case(case)["state"] == "defense_review" and desk.case(case)["review_rounds"] == []
    assert desk.review("/queue")["total"] == 0

    case = desk.act("officer", case, "revise_proposal", {"penalty_kinds": ["fine"], "fine_amount": "8000",
                                                          "legal_basis_text": BASIS, "benchmark": str(bench.public_id)})
    case = desk.submit(case)
    rnd = desk.round(case)
    assert rnd["package"]["benchmark"] == {"id": str(bench.public_id), "code": "WR-B-001", "version": 1}


# ------------------------------------------------------------------------------------ (h) the paused clock


@pytest.mark.django_db
def test_h_requesting_materials_pauses_the_clock(agency_a, monkeypatch):
    world = make_case_world(agency_a, review_threshold="5000")
    desk = Desk(world)
    today = today_in_china()
    case = desk.submit(to_defense_review(desk, "8000"))
    desk.assign(case)
    due = date.fromisoformat(desk.round(case)["due"])
    assert due == wd_after(world, today, 5)

    desk.act("officer", case, "request_review_materials", {"missing": "现场照片原件"}, status=403)  # the reviewer's
    case = desk.act("legal_reviewer", case, "request_review_materials", {"missing": "现场照片原件、询问笔录"})
    rnd = desk.round(case)
    assert rnd["state"] == "materials_requested" and rnd["paused"] is True
    assert rnd["days_left"] is None and rnd["overdue"] is False  # the clock is stopped
    (queued,) = desk.review("/queue", scope="mine")["items"]
    assert queued["paused"] is True and queued["days_left"] is None
    assert rnd["pauses"] == [{"start": iso(today + timedelta(days=1)), "end": None, "missing": "现场照片原件、询问笔录",
                              "working_days": None}]
    assert [d["state"] for d in case["deadlines"] if d["code"] == "review"] == ["suspended"]
    blocked = desk.pass_(case, status=409)
    assert blocked["rule"] == "REV-6"

    # The materials come back two working days later: the due date moves by the paused working days.
    supplied = wd_after(world, today, 2)
    monkeypatch.setattr(engine, "today_in_china", lambda: supplied)
    case = desk.act("officer", case, "supply_review_materials", {"note": "已补充现场照片原件和询问笔录"})
    rnd = desk.round(case)
    paused = calendar(world).working_days_between(today, supplied)
    assert paused == 2
    assert rnd["state"] == "in_review" and rnd["paused"] is False
    assert rnd["pauses"][0]["end"] == iso(supplied) and rnd["pauses"][0]["working_days"] == paused
    assert rnd["due"] == iso(wd_after(world, due, paused))
    assert rnd["days_left"] == (wd_after(world, due, paused) - supplied).days
    (deadline,) = [d for d in case["deadlines"] if d["code"] == "review"]
    assert deadline["state"] == "running" and deadline["due"] == rnd["due"]

    case = desk.pass_(case)
    rnd = desk.round(case)
    assert rnd["state"] == "passed" and rnd["overdue"] is False
    assert rnd["working_days_taken"] == 0  # the two working days were paused
