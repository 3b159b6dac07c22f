"""The cases API: authentication, agency scoping, supervisors read-only, input errors, the kinds' state tables and
the 调阅 entry of a detail read."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from zhifa.accounts.services import api_token_create
from zhifa.cases.engine import KINDS, today_in_china
from zhifa.cases.models import Case
from zhifa.cases.testing import make_case_world, new_penalty_case, penalty_case_data, person_party, walk_to
from zhifa.records.access import AccessLogUnavailable
from zhifa.records.ledger import tree_head
from zhifa.records.models import LedgerEntry

BASE = "/api/v1/cases"
CJK = re.compile(r"[\u4e00-\u9fff]")


def client_for(user: Any) -> Client:
    _row, token = api_token_create(user=user, name="cases api test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def post(client: Client, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data=data, content_type="application/json")


@pytest.fixture
def world(agency_a):  # type: ignore[no-untyped-def]
    return make_case_world(agency_a)


@pytest.fixture
def case(world) -> Case:  # type: ignore[no-untyped-def]
    return new_penalty_case(world, day=today_in_china(), act_date=today_in_china(),
                            discovered_on=today_in_china())


def access_entries(case: Case) -> list[LedgerEntry]:
    return [e for e in LedgerEntry.objects.filter(kind="access.read") if str(case.public_id).encode() in
            bytes(e.canonical)]


# ------------------------------------------------------------------------------------------------------- auth


@pytest.mark.django_db
def test_requests_without_a_valid_token_are_401(case):
    anonymous = Client()
    for response in (
        anonymous.get(f"{BASE}/"),
        anonymous.get(f"{BASE}/kinds"),
        anonymous.get(f"{BASE}/{case.public_id}"),
        anonymous.get(f"{BASE}/{case.public_id}/timeline"),
        post(anonymous, f"{BASE}/", {"kind": "penalty", "title": "测试案件"}),
        post(anonymous, f"{BASE}/{case.public_id}/actions/approve_filing", {}),
        Client(HTTP_AUTHORIZATION="Bearer zf_forged").get(f"{BASE}/{case.public_id}"),
    ):
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"
    assert access_entries(case) == []


# ---------------------------------------------------------------------------------------------------- scoping


@pytest.mark.django_db
def test_another_agencys_case_is_404_on_every_route(case, agency_b):
    size = tree_head()[0]
    for role in ("officer", "agency_head"):
        other = client_for(agency_b[role])
        for response in (
            other.get(f"{BASE}/{case.public_id}"),
            other.get(f"{BASE}/{case.public_id}/timeline"),
            post(other, f"{BASE}/{case.public_id}/actions/approve_filing", {"opinion": "同意立案"}),
            post(other, f"{BASE}/{case.public_id}/actions/update_details", {"summary": "改写"}),
        ):
            assert response.status_code == 404, response.content
            assert response.json() == {"code": "not_found", "message": "未找到该对象。"}
        listing = other.get(f"{BASE}/", {"q": case.reference}).json()
        assert listing["total"] == 0 and listing["items"] == []
    case.refresh_from_db()
    assert case.state == "lead_registered" and case.summary != "改写"
    # Nothing recorded of A's case — not even an access entry for a case that "does not exist" — but the denied
    # attempts (security events) and B's own list reads, which name no case of A's (issue 9 defect 9).
    after = LedgerEntry.objects.filter(seq__gte=size)
    assert {e.kind for e in after} <= {"security.denied", "access.read"}
    for entry in after.filter(kind="access.read"):
        assert entry.stream == f"access:{agency_b.agency.pk}"
        assert str(case.public_id).encode() not in bytes(entry.canonical)


@pytest.mark.django_db
def test_unknown_case_is_404_and_malformed_id_is_422(world):
    client = client_for(world["officer"])
    assert client.get(f"{BASE}/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get(f"{BASE}/not-a-uuid").status_code == 422


@pytest.mark.django_db
def test_supervisor_reads_but_every_post_is_403(case, supervisor):
    client = client_for(supervisor)
    detail = client.get(f"{BASE}/{case.public_id}")
    assert detail.status_code == 200
    assert detail.json()["allowed_actions"] == []
    assert client.get(f"{BASE}/{case.public_id}/timeline").status_code == 200
    assert client.get(f"{BASE}/", {"q": case.reference}).json()["total"] == 1
    size = tree_head()[0]
    refused = post(client, f"{BASE}/{case.public_id}/actions/approve_filing", {"opinion": "同意立案"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden" and CJK.search(refused.json()["message"])
    created = post(client, f"{BASE}/", {"kind": "penalty", **_json_case_data()})
    assert created.status_code == 403
    case.refresh_from_db()
    assert case.state == "lead_registered"
    assert {e.kind for e in LedgerEntry.objects.filter(seq__gte=size)} <= {"security.denied"}  # refusals are security events only (issue 9 defect 9)


@pytest.mark.django_db
def test_wrong_role_is_403_and_wrong_state_is_409(case, world):
    officer = client_for(world["officer"])
    response = post(officer, f"{BASE}/{case.public_id}/actions/approve_filing", {"opinion": "同意立案"})
    assert response.status_code == 403
    response = post(client_for(world["agency_head"]), f"{BASE}/{case.public_id}/actions/decide", {})
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state" and response.json()["rule"] == "CASE-59"
    # An action of another kind's table is refused as an unknown action of this case.
    response = post(officer, f"{BASE}/{case.public_id}/actions/convert_to_general", {"reason": "事实不清"})
    assert response.status_code == 409 and response.json()["code"] == "unknown_action"


@pytest.mark.django_db
def test_action_body_is_validated_against_its_schema(case, world):
    head = client_for(world["agency_head"])
    response = post(head, f"{BASE}/{case.public_id}/actions/approve_filing", {"filed_on": "not a date"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    case.refresh_from_db()
    assert case.state == "lead_registered"


# ----------------------------------------------------------------------------------------------------- create


def _json_case_data(**extra: Any) -> dict[str, Any]:
    today = today_in_china().isoformat()
    data = {"registered_on": today, "act_date": today, "discovered_on": today, "parties": [person_party()], **extra}
    return penalty_case_data(**data)


@pytest.mark.django_db
def test_create_returns_201_with_the_detail(world):
    client = client_for(world["officer"])
    response = post(client, f"{BASE}/", {"kind": "penalty", **_json_case_data()})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "lead_registered" and body["state_label"] == "案源登记"
    assert body["kind"] == "penalty" and "罚" in body["reference"]
    assert body["parties"][0]["id_number"] and body["parties"][0]["name"] == "张三"
    assert "id" in body and "pk" not in body
    assert {a["name"] for a in body["allowed_actions"]} >= {"add_party", "update_details"}
    case = Case.objects.get(public_id=body["id"])
    assert case.created_by == world["officer"]
    assert LedgerEntry.objects.filter(stream=case.stream, kind="case.register").count() == 1


@pytest.mark.django_db
def test_create_with_an_invalid_resident_id_is_422_and_creates_nothing(world):
    client = client_for(world["officer"])
    party = person_party()
    party["id_number"] = party["id_number"][:-1] + ("0" if party["id_number"][-1] != "0" else "1")
    cases, size = Case.objects.count(), tree_head()[0]
    response = post(client, f"{BASE}/", {"kind": "penalty", **_json_case_data(parties=[party])})
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert CJK.search(body["message"]), body
    assert body["errors"][0]["field"] == "id_number"
    assert Case.objects.count() == cases
    assert tree_head()[0] == size


@pytest.mark.django_db
def test_create_rejects_an_unknown_kind(world):
    response = post(client_for(world["officer"]), f"{BASE}/", {"kind": "licence", **_json_case_data()})
    assert response.status_code == 422


# ------------------------------------------------------------------------------------------------------ kinds


@pytest.mark.django_db
def test_kinds_lists_the_three_state_tables_with_action_schemas(world):
    response = client_for(world["officer"]).get(f"{BASE}/kinds")
    assert response.status_code == 200
    kinds = {k["code"]: k for k in response.json()}
    assert set(kinds) == {"penalty", "penalty_simple", "inspection"} == set(KINDS)
    penalty = kinds["penalty"]
    assert penalty["initial"] == "lead_registered"
    assert {"code": "lead_registered", "label": "案源登记", "terminal": False} in penalty["states"]
    assert {"code": "archived", "label": "已归档", "terminal": True} in penalty["states"]
    actions = {a["name"]: a for a in penalty["actions"]}
    decide = actions["decide"]
    assert decide["target"] == "decided" and decide["roles"] == ["agency_head"] and decide["rule"]
    assert "legal_review_passed" in decide["sources"]
    assert decide["path"] == "/api/v1/cases/{case_id}/actions/decide"
    on_spot = {a["name"]: a for a in kinds["penalty_simple"]["actions"]}["decide_on_spot"]
    assert on_spot["rule"] == "CASE-5"
    assert {"fine_amount", "staff", "penalty_kinds"} <= set(on_spot["input_schema"]["properties"])
    assert "staff" in on_spot["input_schema"]["required"]
    for kind in kinds.values():
        assert kind["states"] and kind["actions"]
        for action in kind["actions"]:
            assert action["input_schema"]["type"] == "object"


@pytest.mark.django_db
def test_every_action_has_its_route_documented_in_openapi(world):
    schema = client_for(world["officer"]).get("/api/v1/openapi.json").json()
    names = {a.name for k in KINDS.values() for a in k.actions.values()}
    for name in names:
        operation = schema["paths"][f"/api/v1/cases/{{case_id}}/actions/{name}"]["post"]
        assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert {"200", "403", "404", "409", "422"} <= set(operation["responses"])
        assert "角色" in operation["description"]


# ------------------------------------------------------------------------------------------------ reads, 调阅


@pytest.mark.django_db
def test_detail_and_list_append_access_entries(case, world):
    """REC-12, AC-6, issue 9 defect 9: the list names the cases it shows (never the search words); the detail and the
    timeline each write their own 调阅 entry."""
    client = client_for(world["officer"])
    assert client.get(f"{BASE}/", {"q": "采砂"}).json()["total"] == 1
    (listed,) = access_entries(case)
    payload = json.loads(bytes(listed.canonical))["payload"]
    assert payload["object_kind"] == "case_list" and "采砂" not in bytes(listed.canonical).decode()
    response = client.get(f"{BASE}/{case.public_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(case.public_id) and body["reference"] == case.reference
    assert body["stream"] == case.stream
    entry = access_entries(case)[-1]
    assert entry.stream == f"access:{case.agency_id}"
    client.get(f"{BASE}/{case.public_id}/timeline")
    assert len(access_entries(case)) == 3


@pytest.mark.django_db
def test_detail_fails_closed_when_the_access_log_is_unavailable(case, world, monkeypatch):
    def broken(**kwargs: Any) -> None:
        raise AccessLogUnavailable("disk full")

    monkeypatch.setattr("zhifa.cases.selectors.record_access", broken)
    client = client_for(world["officer"])
    for path in (f"{BASE}/{case.public_id}", f"{BASE}/{case.public_id}/timeline"):
        response = client.get(path)
        assert response.status_code == 503
        body = response.json()
        assert body["code"] == "access_log_unavailable" and CJK.search(body["message"])
        assert case.reference not in response.content.decode()


@pytest.mark.django_db
def test_timeline_lists_the_case_stream(case, world):
    head = client_for(world["agency_head"])
    filed = post(head, f"{BASE}/{case.public_id}/actions/approve_filing", {"filed_on": case.registered_on.isoformat()})
    assert filed.status_code == 200, filed.content
    assert filed.json()["state"] == "filed"
    timeline = head.get(f"{BASE}/{case.public_id}/timeline").json()
    kinds = [item["kind"] for item in timeline["items"]]
    assert kinds[0] == "case.register" and "case.approve_filing" in kinds
    assert timeline["total"] == len(kinds)
    seqs = [item["seq"] for item in timeline["items"]]
    assert seqs == sorted(seqs)
    filing = next(i for i in timeline["items"] if i["kind"] == "case.approve_filing")
    assert filing["details"]["to"] == "filed" and filing["actor"]
    assert "批准立案" in filing["summary"]


@pytest.mark.django_db
def test_list_filters_and_pagination(world):
    today = today_in_china()
    cases = [new_penalty_case(world, day=today, act_date=today, discovered_on=today) for _ in range(3)]
    client = client_for(world["officer"])
    page = client.get(f"{BASE}/", {"limit": 2, "offset": 0}).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    assert client.get(f"{BASE}/", {"limit": 2, "offset": 2}).json()["items"][0]["state"] == "lead_registered"
    assert client.get(f"{BASE}/", {"state": "filed"}).json()["total"] == 0
    assert client.get(f"{BASE}/", {"kind": "penalty_simple"}).json()["total"] == 0
    colleague = client_for(world["unit_head"])  # neither the creator nor (yet) an officer of these cases
    assert colleague.get(f"{BASE}/", {"mine": "true"}).json()["total"] == 0
    walk_to(world, cases[0], "investigating", day=today)  # assigns the unit head's staff row as an officer
    mine = colleague.get(f"{BASE}/", {"mine": "true"}).json()
    assert mine["total"] == 1 and mine["items"][0]["id"] == str(cases[0].public_id)
    assert client.get(f"{BASE}/", {"state": "investigating"}).json()["total"] == 1
    assert client.get(f"{BASE}/", {"q": cases[1].reference}).json()["total"] == 1
    assert client.get(f"{BASE}/", {"limit": 0}).status_code == 422


@pytest.mark.django_db
def test_due_and_missed_lists(case, world):
    head = client_for(world["agency_head"])
    post(head, f"{BASE}/{case.public_id}/actions/approve_filing", {"filed_on": case.registered_on.isoformat()})
    due = head.get(f"{BASE}/due", {"days": 120})
    assert due.status_code == 200
    (row,) = [r for r in due.json() if r["case_id"] == str(case.public_id)]
    assert row["code"] == "decision" and row["rule"] == "CASE-44" and row["days_left"] > 80
    assert head.get(f"{BASE}/due", {"days": 5}).json() == []
    assert head.get(f"{BASE}/missed").json() == []


@pytest.mark.django_db
def test_openapi_components_of_the_cases_routes_are_not_shadowed(world):
    """ninja names components after the class: another app's schema of the same name would silently replace ours
    (it did: DocumentOut, EvidenceOut, ErrorOut). Each action body and each response must be our own schema."""
    from zhifa.api import api
    from zhifa.cases import api as cases_api

    components = api.get_openapi_schema()["components"]["schemas"]
    schemas = {a.schema for k in KINDS.values() for a in k.actions.values()}
    schemas |= {cases_api.CaseCreateIn, cases_api.CaseDetailOut, cases_api.CaseErrorOut, cases_api.CaseKindOut,
                cases_api.CaseTimelineOut, cases_api.CaseDueOut, cases_api.CaseListOut}
    for schema in schemas:
        mode = "serialization" if schema.__name__.endswith("Out") else "validation"
        own = schema.model_json_schema(mode=mode, ref_template="#/components/schemas/{model}")
        assert set(components[schema.__name__]["properties"]) == set(own["properties"]), schema.__name__


@pytest.mark.django_db
def test_lists_fail_closed_when_the_access_log_is_down(case, world, monkeypatch):
    """REC-12, AC-6, FC-5, issue 9 defect 9: the case list and the deadline lists show case numbers and titles, so they
    answer 503 without them when their 调阅 entry cannot be written."""
    from zhifa.records.access import AccessLogUnavailable

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise AccessLogUnavailable("down")

    monkeypatch.setattr("zhifa.cases.api.record_list_access", broken)
    client = client_for(world["officer"])
    for url in (f"{BASE}/", f"{BASE}/due", f"{BASE}/missed"):
        response = client.get(url)
        assert response.status_code == 503, (url, response.content)
        assert case.reference.encode() not in response.content and case.title.encode() not in response.content
