"""The desk copy behind "my cases" (ADR 0038, issue 11 point 2): kept by the case engine, equal to "registered by the
user or an active officer" (REG-17 recusal takes a case off the officer's desk), and paged on its own index."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhifa.cases.engine import case_act
from zhifa.cases.members import case_members_sync
from zhifa.cases.models import Case, CaseMember, CaseOfficer
from zhifa.cases.selectors import case_list_for, due_list_for
from zhifa.cases.testing import DAY, actor_for, make_case_world, new_penalty_case, walk_to
from zhifa.common.migration_support import schema_editor_stub
from zhifa.registry.models import Staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(agency_a):  # noqa: ANN001, ANN201
    return make_case_world(agency_a)


def desk(case: Case) -> set[str]:
    return set(Staff.objects.filter(pk__in=CaseMember.objects.filter(case=case).values("staff_id"))
               .values_list("name", flat=True))


def old_definition(user) -> set[int]:  # noqa: ANN001
    """"Mine" as the list defined it before the desk copy: registered by the user or an active officer."""
    ids = set(Case.objects.filter(created_by=user).values_list("pk", flat=True))
    ids |= set(CaseOfficer.objects.filter(staff=user.staff, active=True).values_list("case_id", flat=True))
    return ids


def test_the_desk_follows_registration_assignment_and_recusal(world) -> None:  # noqa: ANN001
    """REG-17: a granted recusal takes the case off the recused officer's desk; the registrar keeps it."""
    case = new_penalty_case(world)
    assert desk(case) == {"王建国"}  # the registering officer's staff record
    case = walk_to(world, case, "investigating")
    assert desk(case) == {"王建国", "李秀英"}
    unit_head = world["unit_head"]
    assert [c.pk for c in case_list_for(user=unit_head, mine=True)[0]] == [case.pk]
    for action, data in (("apply_recusal", {"applicant": "张三", "grounds": "执法人员系当事人近亲属"}),
                         ("decide_recusal", {"granted": True})):
        case_act(actor=actor_for(world, action), case_id=case.public_id, action=action,
                 data={"staff": str(world.officers[1].public_id), **data}, today=DAY)
    assert desk(case) == {"王建国"}
    assert case_list_for(user=unit_head, mine=True) == ([], 0)
    officer = world["officer"]
    assert {c.pk for c in case_list_for(user=officer, mine=True)[0]} == old_definition(officer) == {case.pk}


def test_my_cases_page_in_registration_order_with_filters(world) -> None:  # noqa: ANN001
    officer = world["officer"]
    cases = [new_penalty_case(world, day=DAY - timedelta(days=k)) for k in range(5)]
    walk_to(world, cases[2], "investigating")
    page, total = case_list_for(user=officer, mine=True, limit=2, offset=1)
    assert total == 5 and [c.pk for c in page] == [cases[1].pk, cases[2].pk]
    assert case_list_for(user=officer, mine=True, state="investigating") == ([Case.objects.get(pk=cases[2].pk)], 1)
    assert case_list_for(user=officer, mine=True, q=cases[3].reference)[1] == 1
    assert case_list_for(user=officer, mine=True, q="张三")[1] == 5  # a party's name (EXISTS, no repeated rows)
    # The officer's due list starts from the same desk rows (PEN deadlines of their cases).
    due = due_list_for(user=officer, today=DAY, days=400)
    assert due and {d.case_id for d in due} <= {c.pk for c in cases}


def test_my_cases_reads_the_desk_index_in_order(world) -> None:  # noqa: ANN001
    """The page query walks `cases_member_desk` in its order: no sort of the officer's whole caseload."""
    if connection.vendor != "sqlite":
        pytest.skip("the plan is read with SQLite's EXPLAIN QUERY PLAN")
    new_penalty_case(world)
    with CaptureQueriesContext(connection) as captured:
        case_list_for(user=world["officer"], mine=True)
    (page_sql,) = [q["sql"] for q in captured.captured_queries if "ORDER BY" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {page_sql}")
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "cases_member_desk" in plan and "TEMP B-TREE" not in plan, plan


def test_sync_repairs_a_drifted_desk(world) -> None:  # noqa: ANN001
    case = walk_to(world, new_penalty_case(world), "investigating")
    CaseMember.objects.filter(case=case).delete()
    CaseMember.objects.create(staff=world.host, case=case, agency=case.agency, registered_on=case.registered_on)
    case_members_sync(case)
    assert desk(case) == {"王建国", "李秀英"}


def test_the_migration_fills_every_desk(world) -> None:  # noqa: ANN001
    """Migration 0008 puts existing cases on their registrars' and active officers' desks, as the engine does."""
    cases = [walk_to(world, new_penalty_case(world), "investigating"), new_penalty_case(world)]
    expected = set(CaseMember.objects.values_list("staff_id", "case_id", "agency_id", "registered_on"))
    CaseMember.objects.all().delete()
    migration = importlib.import_module("zhifa.cases.migrations.0008_case_members")
    migration.desks(apps, schema_editor_stub())
    assert set(CaseMember.objects.values_list("staff_id", "case_id", "agency_id", "registered_on")) == expected
    assert {case_id for _s, case_id, _a, _r in expected} == {c.pk for c in cases}
