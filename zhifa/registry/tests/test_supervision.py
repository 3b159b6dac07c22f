"""Escaping supervision (issue 9 defect 4; reliability.md AC-1, AC-4; rules REG-1).

An agency administrator can neither clear nor change its own agency's supervising bureau nor mark its agency as a
justice bureau, through the staff form or the API. The system administrator or the supervising bureau itself sets
supervision (POST /api/v1/registry/agency/{id}/supervision, or the staff page), and every change is a ledger event
in the stream "supervision:<bureau>" that the bureau reads at /staff/supervision-events/.
"""

from __future__ import annotations

import pytest
from django.test import Client

from zhifa.accounts.roles import Role
from zhifa.accounts.services import api_token_create
from zhifa.records.models import LedgerEntry
from zhifa.registry import models as reg
from zhifa.registry.api import _form_data
from zhifa.registry.entries import ENTRY_TYPES
from zhifa.registry.testing import make_agency, make_user


def api_client(user) -> Client:  # noqa: ANN001
    _row, token = api_token_create(user=user, name="supervision test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def browser(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


def events(bureau: reg.Agency) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(stream=f"supervision:{bureau.pk}", kind="registry.supervision_changed"))


def _form_post(agency: reg.Agency, **changes: object) -> dict[str, object]:
    """The agency edit form as the browser posts it: every current value, with `changes` applied."""
    from zhifa.registry.api import _value

    data = {name: _value(agency, name) for name in ENTRY_TYPES["agency"].fields}
    data.update(changes)
    return _form_data(ENTRY_TYPES["agency"], data)


@pytest.fixture
def bureau_admin(bureau):  # noqa: ANN001, ANN201
    return make_user(bureau, Role.AGENCY_ADMIN, username="bureau_admin")


@pytest.fixture
def other_bureau(db):  # noqa: ANN001, ANN201
    return make_agency("另一市司法局", justice=True)


@pytest.mark.parametrize("change", [{"supervisor": None}, {"is_justice_bureau": True}, "other"])
def test_agency_admin_cannot_escape_supervision_by_form_or_api(change, agency_a, bureau, other_bureau) -> None:
    """Defect 4: the form and PATCH both refuse (403); the agency stays supervised by its bureau."""
    agency = agency_a.agency
    changes = {"supervisor": other_bureau.public_id} if change == "other" else change
    admin = agency_a[Role.AGENCY_ADMIN]
    response = browser(admin).post(f"/staff/agency/{agency.public_id}/edit/", _form_post(agency, **changes))
    assert response.status_code == 200  # the form comes back with the refusal
    assert "只能由系统管理员或监督机关设置" in response.content.decode()
    response = api_client(admin).patch(f"/api/v1/registry/agency/{agency.public_id}", changes if change != "other"
                                       else {"supervisor": str(other_bureau.public_id)},
                                       content_type="application/json")
    # (PATCH treats null as "unchanged", so clearing by PATCH is a 200 that changes nothing.)
    assert response.status_code == (200 if change == {"supervisor": None} else 403), response.content
    response = api_client(admin).post(f"/api/v1/registry/agency/{agency.public_id}/supervision",
                                      {"supervisor": None, "reason": "自行解除"}, content_type="application/json")
    assert response.status_code == 403, response.content
    agency.refresh_from_db()
    assert agency.supervisor_id == bureau.pk and not agency.is_justice_bureau
    assert events(bureau) == []


def test_agency_admin_still_edits_other_fields(agency_a, bureau) -> None:
    agency = agency_a.agency
    response = browser(agency_a[Role.AGENCY_ADMIN]).post(f"/staff/agency/{agency.public_id}/edit/",
                                                         _form_post(agency, phone="0730-1234567"))
    assert response.status_code == 302
    agency.refresh_from_db()
    assert agency.phone == "0730-1234567" and agency.supervisor_id == bureau.pk


def test_bureau_hands_over_an_agency_and_both_bureaus_see_it(agency_a, bureau, bureau_admin, other_bureau) -> None:
    agency = agency_a.agency
    response = api_client(bureau_admin).post(
        f"/api/v1/registry/agency/{agency.public_id}/supervision",
        {"supervisor": str(other_bureau.public_id), "reason": "按市政府决定移交"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["supervisor"] == str(other_bureau.public_id)
    agency.refresh_from_db()
    assert agency.supervisor_id == other_bureau.pk
    assert len(events(bureau)) == 1 and len(events(other_bureau)) == 1
    # The former bureau may no longer change it; it sees the change on its events page.
    again = api_client(bureau_admin).post(f"/api/v1/registry/agency/{agency.public_id}/supervision",
                                          {"supervisor": str(bureau.public_id), "reason": "收回"},
                                          content_type="application/json")
    assert again.status_code == 404
    page = browser(bureau_admin).get("/staff/supervision-events/")
    assert page.status_code == 200 and "按市政府决定移交" in page.content.decode()
    listed = api_client(bureau_admin).get("/api/v1/registry/supervision-events").json()
    assert [e["payload"]["reason"] for e in listed] == ["按市政府决定移交"]


def test_bureau_cannot_mark_justice_bureau_and_needs_a_reason(agency_a, bureau, bureau_admin) -> None:
    agency = agency_a.agency
    client = api_client(bureau_admin)
    url = f"/api/v1/registry/agency/{agency.public_id}/supervision"
    response = client.post(url, {"supervisor": str(bureau.public_id), "is_justice_bureau": True, "reason": "x"},
                           content_type="application/json")
    assert response.status_code == 403
    response = client.post(url, {"supervisor": None, "reason": " "}, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "reason_required"
    agency.refresh_from_db()
    assert agency.supervisor_id == bureau.pk and not agency.is_justice_bureau


def test_system_admin_sets_supervision_and_the_bureau_sees_it(agency_a, bureau, system_admin, other_bureau,
                                                              supervisor) -> None:
    """The system administrator may change it by the form too; the change is still a bureau-visible event."""
    agency = agency_a.agency
    response = browser(system_admin).post(f"/staff/agency/{agency.public_id}/edit/",
                                          _form_post(agency, supervisor=other_bureau.public_id))
    assert response.status_code == 302
    agency.refresh_from_db()
    assert agency.supervisor_id == other_bureau.pk
    assert len(events(bureau)) == 1 and len(events(other_bureau)) == 1
    assert LedgerEntry.objects.filter(stream=f"registry:agency:{agency.public_id}",
                                      kind="registry.supervision_changed").count() == 1
    page = browser(supervisor).get("/staff/supervision-events/")  # the old bureau's supervisor
    assert page.status_code == 200 and agency.name in page.content.decode()


def test_staff_page_action(agency_a, bureau, supervisor) -> None:
    """The bureau's supervisor releases an agency from the agency page's action; others get 403/404."""
    agency = agency_a.agency
    detail = browser(supervisor).get(f"/staff/agency/{agency.public_id}/")
    assert f"/staff/agency/{agency.public_id}/supervision/" in detail.content.decode()
    assert browser(agency_a[Role.AGENCY_ADMIN]).get(f"/staff/agency/{agency.public_id}/supervision/").status_code == 403
    response = browser(supervisor).post(f"/staff/agency/{agency.public_id}/supervision/",
                                        {"supervisor": "", "reason": "撤销委托"})
    assert response.status_code == 302
    agency.refresh_from_db()
    assert agency.supervisor_id is None
    assert len(events(bureau)) == 1
    assert browser(agency_a[Role.AGENCY_ADMIN]).get("/staff/supervision-events/").status_code == 403
