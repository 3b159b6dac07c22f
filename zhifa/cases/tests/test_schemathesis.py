"""Property-based tests of the cases API from its own OpenAPI schema (schemathesis): whatever a client sends, the
API answers without a server error, with a status the schema documents and a body that conforms to it.

The schema is the one the running API serves (`api.get_openapi_schema()`), narrowed to /api/v1/cases/. Requests
go in-process to Django's WSGI handler with a token of a user holding every role of an agency, so generated action
bodies reach the gates instead of stopping at the role check; half of the generated case ids are replaced by a
real case of that agency (the other half stay random and must be 404s).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from zhifa.accounts.roles import Role
from zhifa.accounts.services import api_token_create
from zhifa.api import api
from zhifa.cases.engine import today_in_china
from zhifa.cases.testing import make_case_world, new_penalty_case
from zhifa.common.testing import make_user

# The coverage phase runs every boundary case the schema defines; probing each path with undocumented methods
# (405s) is left out to keep the run short.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"unexpected-methods": []}}})
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(), config=CONFIG).include(
    path_regex=r"^/api/v1/cases/")
schema.app = WSGIHandler()

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def in_process_requests() -> Iterator[None]:
    """Keep the test's database connection (and its transaction) across requests, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_world(agency_a, in_process_requests) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    world = make_case_world(agency_a)
    today = today_in_china()
    case = new_penalty_case(world, day=today, act_date=today, discovered_on=today)
    everyone = make_user(agency_a.agency, *[r for r in Role if r not in (Role.SUPERVISOR, Role.SYSTEM_ADMIN)])
    _row, token = api_token_create(user=everyone, name="schemathesis")
    return {"case_id": str(case.public_id), "headers": {"Authorization": f"Bearer {token}"}}


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=3, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_cases_api_conforms_to_its_schema(case, api_world):  # type: ignore[no-untyped-def]
    case_id = (case.path_parameters or {}).get("case_id")
    if isinstance(case_id, str) and case_id[:1] in "01234567":
        case.path_parameters["case_id"] = api_world["case_id"]
    case.call_and_validate(headers=api_world["headers"], checks=CHECKS)
