"""Schemathesis over EVERY operation of the API — public and authenticated — with zero 5xx as its bar
(issue 9 defect 10 and bar; reliability.md BI-5, BI-6).

The schema is the one the running API serves (`api.get_openapi_schema()`, 180+ operations). Requests go in-process
to Django's WSGI handler with the token of a user holding every role of an agency (as a demo agency's staff would),
so generated bodies reach the services instead of stopping at the role check; path ids are replaced by a real case
of that agency half of the time (the other half stay random and must be 404s). The only check is that no answer is
a server error: conformance of statuses and bodies is checked per app (test_schemathesis.py).

Bounded: two generated examples per operation plus schemathesis's coverage phase (boundary values, e.g. offsets
past 2^63), derandomized, no example database.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from zhifa.accounts.roles import Role
from zhifa.accounts.services import api_token_create
from zhifa.api import api
from zhifa.cases.engine import today_in_china
from zhifa.cases.testing import make_case_world, new_penalty_case
from zhifa.registry.testing import make_user

CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"unexpected-methods": []}}})
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(), config=CONFIG)
schema.app = WSGIHandler()


@pytest.fixture
def world(agency_a, in_process_requests) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    everyone = make_user(agency_a.agency, *[r for r in Role if r not in (Role.SUPERVISOR, Role.SYSTEM_ADMIN)])
    _row, token = api_token_create(user=everyone, name="schemathesis all")
    return {"personas": agency_a, "headers": {"Authorization": f"Bearer {token}"}}


def _real_case_id(world: dict[str, Any]) -> str:
    """A case of the token's agency, made on first use (most operations take no case id: the world stays cheap)."""
    if "case_id" not in world:
        today = today_in_china()
        case = new_penalty_case(make_case_world(world["personas"]), day=today, act_date=today, discovered_on=today)
        world["case_id"] = str(case.public_id)
    return world["case_id"]


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=1, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_operation_answers_a_server_error(case, world):  # type: ignore[no-untyped-def]
    params = case.path_parameters or {}
    if isinstance(params.get("case_id"), str) and params["case_id"][:1] in "01234567":
        params["case_id"] = _real_case_id(world)
    response = case.call(headers=world["headers"])
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:500]}")
