"""Property-based tests of the cases API from its own OpenAPI schema (schemathesis): whatever a client sends, the
API answers without a server error, with a status the schema documents and a body that conforms to it.

The schema is the one the running API serves (`api.get_openapi_schema()`), narrowed to /api/v1/cases/. Requests
go in-process to Django's WSGI handler with a token of a user holding every role of an agency, so generated action
bodies reach the gates instead of stopping at the role check; half of the generated case ids are replaced by a
real case of that agency (the other half stay random and must be 404s).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
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
from zhifa.registry.testing import make_user

# The coverage phase runs every boundary case the schema defines; probing each path with undocumented methods
# (405s) is left out to keep the run short.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"unexpected-methods": []}}})
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(), config=CONFIG).include(
    path_regex=r"^/api/v1/cases/")
schema.app = WSGIHandler()

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


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


# ------------------------------------------------------------------------------------- the review routes (法制审核)

review_schema = schemathesis.openapi.from_dict(api.get_openapi_schema(), config=CONFIG).include(
    path_regex=r"^/api/v1/review/")
review_schema.app = schema.app


@pytest.fixture
def review_world(agency_a, in_process_requests) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A decided round with its checklist, a pause and a coordination (rows made directly: walking a case to review
    renders a dozen documents, and the schema check only needs every part of the detail filled), and a token of a
    user holding every role of the agency."""
    from datetime import timedelta

    from zhifa.cases.models import Deadline, Pause, PauseKind
    from zhifa.review.models import CheckItem, CheckResult, Coordination, ReviewRound

    world = make_case_world(agency_a)
    today = today_in_china()
    case = new_penalty_case(world, day=today, act_date=today, discovered_on=today)
    reviewer = world["legal_reviewer"]
    rnd = ReviewRound.objects.create(
        case=case, agency=world.agency, number=1, state="returned", reasons=["经过听证程序（REV-2）"],
        proposal={"fine_amount": "20000"}, package={"facts": "事实"}, submitted_by=world["officer"],
        submitted_on=today - timedelta(days=9), received_on=today - timedelta(days=9),
        assigned_to=reviewer, assigned_by=reviewer, assigned_on=today - timedelta(days=9), reviewer=reviewer,
        decided_on=today, opinion="存在问题", problems=1, working_days_taken=6, overdue=True)
    CheckResult.objects.bulk_create([CheckResult(round=rnd, item=item, passed=item != "facts", comment="")
                                     for item in CheckItem.values])
    Deadline.objects.create(case=case, agency=world.agency, code="review", rule="REV-6", label="法制审核",
                            start=rnd.received_on, due=today - timedelta(days=2), day_kind="working", state="missed")
    Pause.objects.create(case=case, kind=PauseKind.REVIEW_MATERIALS, review_round=rnd, start=today - timedelta(days=8),
                         end=today - timedelta(days=7), note="现场照片")
    Coordination.objects.create(round=rnd, on=today, participants="双方", disagreement="分歧", conclusion="集体讨论",
                                outcome="collective", recorded_by=world["officer"])
    everyone = make_user(agency_a.agency, *[r for r in Role if r not in (Role.SUPERVISOR, Role.SYSTEM_ADMIN)])
    _row, token = api_token_create(user=everyone, name="schemathesis review")
    return {"round_id": str(rnd.public_id), "case_id": str(case.public_id),
            "headers": {"Authorization": f"Bearer {token}"}}


@pytest.mark.django_db
@review_schema.parametrize()
@settings(max_examples=3, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_review_api_conforms_to_its_schema(case, review_world):  # type: ignore[no-untyped-def]
    round_id = (case.path_parameters or {}).get("round_id")
    if isinstance(round_id, str) and round_id[:1] in "01234567":
        case.path_parameters["round_id"] = review_world["round_id"]
    case_id = (case.query or {}).get("case_id")
    if isinstance(case_id, str) and case_id[:1] in "01234567":
        case.query["case_id"] = review_world["case_id"]
    case.call_and_validate(headers=review_world["headers"], checks=CHECKS)
