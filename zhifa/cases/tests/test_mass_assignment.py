"""Mass assignment over the cases API (reliability.md AC-4; architecture rule 2, rule 3).

A JSON body that names protected fields — the agency, the state, who created the case, the legal-review flag, a
reviewer — must not set them: the case is created in the caller's agency, in the kind's initial state, by the
caller, and an action body cannot move the case to another state than the action's own.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from zhifa.accounts.services import api_token_create
from zhifa.cases.engine import today_in_china
from zhifa.cases.models import Case
from zhifa.cases.testing import make_case_world, penalty_case_data, person_party

BASE = "/api/v1/cases"


def _client(user: Any) -> Client:
    _row, token = api_token_create(user=user, name="ac4")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.django_db
def test_ac4_protected_fields_in_the_body_are_ignored_or_refused(agency_a, agency_b) -> None:
    world = make_case_world(agency_a)
    officer = world["officer"]
    client = _client(officer)
    today = today_in_china().isoformat()
    protected = {
        "agency": str(agency_b.agency.public_id), "agency_id": agency_b.agency.pk, "state": "decided",
        "status": "decided", "created_by": str(agency_b["officer"].public_id), "legal_review_required": False,
        "reviewer": str(world["legal_reviewer"].public_id), "outcome": "penalty:fine",
    }
    body = {"kind": "penalty", **penalty_case_data(registered_on=today, act_date=today, discovered_on=today,
                                                      parties=[person_party()]), **protected}
    response = client.post(f"{BASE}/", body, content_type="application/json")
    assert response.status_code in (201, 422), response.content
    if response.status_code == 201:
        case = Case.objects.get(public_id=response.json()["id"])
        assert case.agency == agency_a.agency
        assert case.state == "lead_registered"
        assert case.created_by == officer
        assert case.outcome == ""
    assert not Case.objects.filter(agency=agency_b.agency).exists()
    assert not Case.objects.filter(state="decided").exists()

    # An action body cannot choose the target state either.
    case = Case.objects.filter(agency=agency_a.agency).first() or Case.objects.get(
        public_id=client.post(f"{BASE}/", {"kind": "penalty", **penalty_case_data(
            registered_on=today, act_date=today, discovered_on=today, parties=[person_party()])},
            content_type="application/json").json()["id"])
    response = client.post(f"{BASE}/{case.public_id}/actions/update_details",
                           {"summary": "补充说明。", "state": "decided", "agency": str(agency_b.agency.public_id)},
                           content_type="application/json")
    assert response.status_code in (200, 201, 422), response.content
    case.refresh_from_db()
    assert case.state == "lead_registered" and case.agency == agency_a.agency
