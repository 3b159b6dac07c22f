"""The review API (/api/v1/review/): authentication, agency scoping, who may read the supervision figures, the
queue's scopes, and the 调阅 entry of a round's detail. The cases are driven through the services (walk_to); the
whole procedures over HTTP are in test_api_scenarios.py."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.test import Client

from zhifa.accounts.services import api_token_create
from zhifa.cases.engine import case_act, today_in_china
from zhifa.cases.testing import CaseWorld, make_case_world, new_penalty_case, pass_review, walk_to
from zhifa.records.access import AccessLogUnavailable
from zhifa.records.ledger import tree_head
from zhifa.records.models import LedgerEntry
from zhifa.review.models import ReviewRound

BASE = "/api/v1/review"
HEARING_DAY = date(2026, 6, 15)  # walk_to's hearing (and review) day


def client_for(user: Any) -> Client:
    _row, token = api_token_create(user=user, name="review api test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def round_accesses(rnd: ReviewRound) -> list[dict[str, Any]]:
    out = []
    for raw in LedgerEntry.objects.filter(kind="access.read").values_list("canonical", flat=True):
        payload = json.loads(bytes(raw)).get("payload") or {}
        if payload.get("object_kind") == "review_round" and payload.get("object_id") == str(rnd.public_id):
            out.append(payload)
    return out


@pytest.fixture
def world(agency_a) -> CaseWorld:  # type: ignore[no-untyped-def]
    return make_case_world(agency_a)


@pytest.fixture
def rounds(world) -> dict[str, ReviewRound]:  # type: ignore[no-untyped-def]
    """`pending`: submitted on the hearing day in June, never assigned (long overdue); `assigned`: submitted today
    and assigned to the agency's reviewer; `passed`: decided in June."""
    pending = walk_to(world, new_penalty_case(world), "legal_review")
    assigned = walk_to(world, new_penalty_case(world), "hearing_held")
    case_act(actor=world["officer"], case_id=assigned.public_id, action="submit_legal_review",
             data={"materials": "调查终结报告、证据材料、听证笔录"}, today=today_in_china())
    case_act(actor=world["legal_reviewer"], case_id=assigned.public_id, action="assign_reviewer",
             data={"reviewer": str(world["legal_reviewer"].public_id)}, today=today_in_china())
    passed = pass_review(world, walk_to(world, new_penalty_case(world), "hearing_held"), HEARING_DAY)
    return {name: ReviewRound.objects.get(case=case) for name, case in
            (("pending", pending), ("assigned", assigned), ("passed", passed))}


# ------------------------------------------------------------------------------------------------------- auth


@pytest.mark.django_db
def test_requests_without_a_valid_token_are_401(rounds):
    rnd = rounds["passed"]
    for client in (Client(), Client(HTTP_AUTHORIZATION="Bearer zf_forged")):
        for path in ("/queue", f"/rounds/{rnd.public_id}", "/reviewers", "/supervision"):
            response = client.get(f"{BASE}{path}")
            assert response.status_code == 401, path
            assert response.json()["code"] == "unauthenticated"
    assert round_accesses(rnd) == []


# ---------------------------------------------------------------------------------------------------- scoping


@pytest.mark.django_db
def test_another_agencys_round_is_404_and_not_in_its_queue(rounds, agency_b):
    size = tree_head()[0]
    for role in ("officer", "legal_reviewer", "agency_head"):
        other = client_for(agency_b[role])
        for rnd in rounds.values():
            response = other.get(f"{BASE}/rounds/{rnd.public_id}")
            assert response.status_code == 404
            assert response.json() == {"code": "not_found", "message": "未找到该对象。"}
        for scope in ("open", "done", "overdue", "unassigned"):
            body = other.get(f"{BASE}/queue", {"scope": scope}).json()
            assert body["total"] == 0 and body["items"] == []
        case_id = rounds["pending"].case.public_id
        assert other.get(f"{BASE}/reviewers", {"case_id": str(case_id)}).status_code == 404
        own = other.get(f"{BASE}/reviewers").json()
        assert [r["id"] for r in own] == [str(agency_b["legal_reviewer"].public_id)]
    # a refused read leaves no 调阅 entry of A's, only security events; B's own queue reads name none of A's cases
    # (issue 9 defect 9)
    after = LedgerEntry.objects.filter(seq__gte=size)
    assert {e.kind for e in after} <= {"security.denied", "access.read"}
    for entry in after.filter(kind="access.read"):
        assert entry.stream == f"access:{agency_b.agency.pk}"
        assert all(str(r.case.public_id).encode() not in bytes(entry.canonical) for r in rounds.values())


@pytest.mark.django_db
def test_a_random_round_id_is_404_and_a_malformed_one_422(world):
    client = client_for(world["legal_reviewer"])
    assert client.get(f"{BASE}/rounds/00000000-0000-4000-8000-000000000000").status_code == 404
    response = client.get(f"{BASE}/rounds/not-a-uuid")
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert client.get(f"{BASE}/queue", {"scope": "everything"}).status_code == 422


# ------------------------------------------------------------------------------------------------ supervision


@pytest.mark.django_db
def test_supervision_for_the_bureau_heads_and_reviewers_only(rounds, world, agency_b, supervisor):
    body = client_for(supervisor).get(f"{BASE}/supervision").json()
    names = {a["agency_name"]: a for a in body["agencies"]}
    assert set(names) == {world.agency.name, agency_b.agency.name}  # the bureau's agencies, not the bureau
    a = names[world.agency.name]
    assert a["agency_id"] == str(world.agency.public_id)
    counts = {s["state"]: s["count"] for s in a["by_state"]}
    assert counts == {"pending": 1, "in_review": 1, "materials_requested": 0, "passed": 1, "returned": 0}
    assert a["open"] == 2 and a["decided"] == 1 and a["overdue_open"] == 1 and a["returned"] == 0
    assert a["reviewers"] == 1 and a["reviewers_required"] >= 1 and a["staffing_short"] == max(
        0, a["reviewers_required"] - a["reviewers"])
    assert names[agency_b.agency.name]["by_state"] and names[agency_b.agency.name]["open"] == 0
    assert body["total"] == 3 and body["problems_by_item"] == []

    for role in ("agency_head", "legal_reviewer"):
        own = client_for(world[role]).get(f"{BASE}/supervision")
        assert own.status_code == 200
        assert [x["agency_name"] for x in own.json()["agencies"]] == [world.agency.name]
    for user in (agency_b["officer"], world["officer"], world["disclosure_officer"]):
        refused = client_for(user).get(f"{BASE}/supervision")
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert client_for(agency_b["agency_head"]).get(f"{BASE}/supervision").json()["total"] == 0


# ---------------------------------------------------------------------------------------------------- queue


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["items"]]


@pytest.mark.django_db
def test_queue_scopes(rounds, world, supervisor):
    pending, assigned, passed = (str(rounds[k].public_id) for k in ("pending", "assigned", "passed"))
    reviewer = client_for(world["legal_reviewer"])

    def queue(client: Client, scope: str, **extra: Any) -> dict[str, Any]:
        response = client.get(f"{BASE}/queue", {"scope": scope, **extra})
        assert response.status_code == 200, response.content.decode()
        return response.json()

    assert ids(queue(reviewer, "open")) == [pending, assigned]  # earliest due first
    assert ids(queue(reviewer, "mine")) == [assigned]
    assert ids(queue(reviewer, "unassigned")) == [pending]
    assert ids(queue(reviewer, "overdue")) == [pending]
    assert ids(queue(reviewer, "done")) == [passed]
    assert ids(queue(client_for(world["officer"]), "mine")) == []
    assert ids(queue(client_for(supervisor), "open")) == [pending, assigned]  # read-only over the bureau's agencies

    page = queue(reviewer, "open", limit=1, offset=1)
    assert page["total"] == 2 and page["limit"] == 1 and page["offset"] == 1 and ids(page) == [assigned]
    assert reviewer.get(f"{BASE}/queue").json()["scope"] == "open"

    (late,) = queue(reviewer, "overdue")["items"]
    assert late["overdue"] is True and late["days_left"] < 0 and late["assigned_to"] == ""
    assert late["state"] == "pending" and late["state_label"] == "待分配"
    assert any("REV-2" in r for r in late["reasons"])
    assert late["case_reference"] == rounds["pending"].case.reference
    (mine,) = queue(reviewer, "mine")["items"]
    assert mine["assigned_to"] == world["legal_reviewer"].full_name and mine["overdue"] is False
    assert mine["days_left"] >= 0 and mine["submitted_on"] == today_in_china().isoformat()
    (done,) = queue(reviewer, "done")["items"]
    assert done["days_left"] is None and done["state_label"] == "同意" and done["decided_on"] == "2026-06-15"
    assert done["reviewer"] == world["legal_reviewer"].full_name
    assert all(round_accesses(r) == [] for r in rounds.values())  # a list writes no round 调阅 entry...
    listed = [json.loads(bytes(raw))["payload"] for raw in
              LedgerEntry.objects.filter(kind="access.read").values_list("canonical", flat=True)]
    # ...but one naming the cases it shows (issue 9 defect 9)
    assert any(p["object_kind"] == "review_queue" and str(rounds["pending"].case.public_id) in p["object_id"]
               for p in listed)


# ----------------------------------------------------------------------------------------------------- detail


@pytest.mark.django_db
def test_round_detail_writes_one_access_entry(rounds, world):
    rnd = rounds["passed"]
    size = tree_head()[0]
    response = client_for(world["officer"]).get(f"{BASE}/rounds/{rnd.public_id}")
    assert response.status_code == 200, response.content.decode()
    assert tree_head()[0] == size + 1
    (entry,) = round_accesses(rnd)
    assert entry["action"] == "view" and entry["result"] == "ok"

    body = response.json()
    assert body["number"] == 1 and body["state"] == "passed" and body["case"]["id"] == str(rnd.case.public_id)
    assert [c["item"] for c in body["checks"]][:2] == ["subject", "qualification"] and len(body["checks"]) == 10
    assert all(c["passed"] for c in body["checks"]) and body["problems"] == 0
    assert body["package"]["hearing_held"] is True and body["package"]["facts"]
    assert {d["type"] for d in body["package"]["documents"]} >= {"prior_notice", "hearing_record"}
    assert body["assigned_reviewer"]["id"] == str(world["legal_reviewer"].public_id)
    doc = body["opinion_document"]
    assert doc["name"] == "法制审核意见书" and doc["pdf_url"] == f"/api/v1/documents/{doc['id']}/pdf"
    assert doc["number"] == ""  # a form (表格类文书) takes no 文号
    assert [r["id"] for r in body["rounds"]] == [str(rnd.public_id)]
    assert body["pauses"] == [] and body["coordinations"] == []

    client_for(world["legal_reviewer"]).get(f"{BASE}/rounds/{rnd.public_id}")
    assert len(round_accesses(rnd)) == 2  # one per read


@pytest.mark.django_db
def test_round_detail_fails_closed_when_the_access_log_is_down(rounds, world, monkeypatch):
    def broken(**kwargs: Any) -> None:
        raise AccessLogUnavailable("disk full")

    monkeypatch.setattr("zhifa.review.api.record_access", broken)
    response = client_for(world["officer"]).get(f"{BASE}/rounds/{rounds['passed'].public_id}")
    assert response.status_code == 503
    assert response.json()["code"] == "access_log_unavailable" and "opinion" not in response.json()


@pytest.mark.django_db
def test_reviewers_with_workloads_and_eligibility(rounds, world):
    body = client_for(world["agency_head"]).get(f"{BASE}/reviewers").json()
    (reviewer,) = body
    assert reviewer["id"] == str(world["legal_reviewer"].public_id)
    assert reviewer["open"] == 1 and reviewer["done"] == 1  # the assigned round; the passed one
    assert reviewer["legal_qualification"] is True and reviewer["first_review"] is False
    assert reviewer["problem"] is None
    case_id = str(rounds["pending"].case.public_id)
    (for_case,) = client_for(world["agency_head"]).get(f"{BASE}/reviewers", {"case_id": case_id}).json()
    assert for_case["problem"] is None
