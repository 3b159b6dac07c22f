"""Denied attempts are security events; list pages write 调阅 entries (issue 9 defect 9; reliability.md AC-1, AC-6,
FC-5; rule REC-12).

- A signed-in user's 404 (another agency's object) or 403 (a refused action) on a staff page or an authenticated API
  route appends one `security.denied` entry in the stream "security:<their agency>": who, from where, method, route,
  path and status — never the query string (it may carry a party's name) or the body.
- The agency head, the bureau's supervisor and the system administrator read them at /staff/records/security/ and
  GET /api/v1/records/security; an officer may not.
- The case list and search, the due list, the review queue and the case action form page write a 调阅 entry and
  fail closed (503, no data) when it cannot be written.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from zhifa.accounts.roles import Role
from zhifa.accounts.services import api_token_create
from zhifa.cases.engine import today_in_china
from zhifa.cases.testing import make_case_world, new_penalty_case
from zhifa.records.models import LedgerEntry
from zhifa.records.security import SECURITY_KIND

PARTY_NAME = "张三"


def browser(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


def api_client(user) -> Client:  # noqa: ANN001
    _row, token = api_token_create(user=user, name="security test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def security_events() -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(bytes(e.canonical)) | {"_stream": e.stream}
            for e in LedgerEntry.objects.filter(kind=SECURITY_KIND).order_by("seq")]


def access_entries() -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(bytes(e.canonical)) for e in LedgerEntry.objects.filter(kind="access.read").order_by("seq")]


@pytest.fixture
def a_case(agency_a):  # noqa: ANN001, ANN201
    world = make_case_world(agency_a)
    today = today_in_china()
    return new_penalty_case(world, day=today, act_date=today, discovered_on=today)


def test_cross_agency_404s_are_security_events(a_case, agency_b) -> None:
    """Defect 9: B's officer probing A's case on a staff page and over the API: two events in B's security stream,
    with route and status, without the query string."""
    officer = agency_b[Role.OFFICER]
    assert browser(officer).get(f"/staff/cases/{a_case.public_id}/?q={PARTY_NAME}").status_code == 404
    assert api_client(officer).get(f"/api/v1/cases/{a_case.public_id}").status_code == 404
    events = security_events()
    assert len(events) == 2
    for event in events:
        assert event["_stream"] == f"security:{agency_b.agency.pk}" and event["agency_id"] == agency_b.agency.pk
        assert event["actor"]["username"] == officer.username
        assert event["payload"]["status"] == 404 and str(a_case.public_id) in event["payload"]["path"]
        assert PARTY_NAME not in json.dumps(event, ensure_ascii=False)
    assert {e["payload"]["channel"] for e in events} == {"staff", "api"}
    assert events[0]["payload"]["route"] == "staff/cases/<uuid:public_id>/"


def test_403s_are_security_events_and_anonymous_or_public_requests_are_not(a_case, agency_a) -> None:
    archivist = agency_a[Role.ARCHIVIST]
    assert browser(archivist).get("/staff/records/upload/").status_code == 403
    assert Client().get(f"/staff/cases/{a_case.public_id}/").status_code == 302  # to the login page
    assert Client().get(f"/api/v1/cases/{a_case.public_id}").status_code == 401
    assert browser(archivist).get(f"/api/v1/public/entries/{uuid.uuid4()}").status_code == 404
    events = security_events()
    assert [(e["payload"]["status"], e["payload"]["method"]) for e in events] == [(403, "GET")]


def test_who_reads_the_security_log(a_case, agency_a, agency_b, supervisor, system_admin) -> None:
    browser(agency_b[Role.OFFICER]).get(f"/staff/cases/{a_case.public_id}/")
    assert len(security_events()) == 1
    for user in (agency_b[Role.AGENCY_HEAD], supervisor, system_admin):
        page = browser(user).get("/staff/records/security/")
        assert page.status_code == 200 and str(a_case.public_id) in page.content.decode(), user
        body = api_client(user).get("/api/v1/records/security").json()
        assert body["total"] >= 1 and any(str(a_case.public_id) in i["path"] for i in body["items"])
    # A's head sees nothing of B's staff's attempts; officers may not read the log at all (and that is an event).
    assert str(a_case.public_id) not in browser(agency_a[Role.AGENCY_HEAD]).get(
        "/staff/records/security/").content.decode()
    assert browser(agency_b[Role.OFFICER]).get("/staff/records/security/").status_code == 403
    assert api_client(agency_b[Role.OFFICER]).get("/api/v1/records/security").status_code == 403


def test_a_failing_security_log_does_not_turn_a_refusal_into_an_error(a_case, agency_b, monkeypatch) -> None:
    from django.db import DatabaseError

    def broken(**kwargs):  # noqa: ANN003, ANN202
        raise DatabaseError("disk full")

    monkeypatch.setattr("zhifa.records.security.ledger_append", broken)
    assert browser(agency_b[Role.OFFICER]).get(f"/staff/cases/{a_case.public_id}/").status_code == 404


@pytest.mark.parametrize("url", ["/staff/cases/", f"/staff/cases/?q={PARTY_NAME}", "/staff/cases/due/",
                                 "/staff/review/", "action"])
def test_list_pages_and_the_action_form_write_one_access_entry(url, a_case, agency_a) -> None:
    """Defect 9 / AC-6: each of these pages shows case content, so each view writes exactly one 调阅 entry naming
    the cases it shows (never the search words)."""
    user = agency_a[Role.AGENCY_HEAD] if url == "/staff/review/" else agency_a[Role.OFFICER]
    if url == "action":
        url = f"/staff/cases/{a_case.public_id}/act/update_details/"
    before = len(access_entries())
    response = browser(user).get(url)
    assert response.status_code == 200, response.status_code
    new = access_entries()[before:]
    assert len(new) == 1, new
    entry = new[0]
    assert entry["agency_id"] == agency_a.agency.pk and entry["actor"]["username"] == user.username
    assert PARTY_NAME not in json.dumps(entry, ensure_ascii=False)
    if "review" not in url and "due" not in url:
        assert str(a_case.public_id) in entry["payload"]["object_id"]


@pytest.mark.parametrize("url", ["/staff/cases/", f"/staff/cases/?q={PARTY_NAME}", "/staff/cases/due/",
                                 "/staff/review/", "action"])
def test_list_pages_and_the_action_form_fail_closed(url, a_case, agency_a, monkeypatch) -> None:
    """FC-5: without a 调阅 entry, no page: 503 and no case content."""
    from django.db import DatabaseError

    def broken(*args, **kwargs):  # noqa: ANN003, ANN202
        raise DatabaseError("disk full")

    monkeypatch.setattr("zhifa.records.access.ledger_append_many", broken)
    user = agency_a[Role.AGENCY_HEAD] if url == "/staff/review/" else agency_a[Role.OFFICER]
    if url == "action":
        url = f"/staff/cases/{a_case.public_id}/act/update_details/"
    response = browser(user).get(url)
    assert response.status_code == 503
    assert PARTY_NAME not in response.content.decode() and a_case.title not in response.content.decode()


def test_access_and_security_events_record_the_proxied_client_address(settings) -> None:
    """AC-6 (source IP): behind a proxy, 调阅 and security events record the address ZHIFA_CLIENT_IP_HEADER names,
    the same one the login lockout counts, not the proxy's."""
    from django.test import RequestFactory

    from zhifa.records.access import client_address

    request = RequestFactory().get("/staff/cases/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert client_address(request) == "10.0.0.2"
    settings.ZHIFA_CLIENT_IP_HEADER = "X-Forwarded-For"
    assert client_address(request) == "203.0.113.7"
