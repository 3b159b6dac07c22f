"""The four causes of the 25 distinct 5xx a hostile test found (issue 9 defect 10; reliability.md BI-5, BI-6,
BI-8), each now a clear answer in Chinese:

- an `offset` above 2^63 on every list endpoint, public ones included, and a `?page=` as large on staff lists;
- a duplicate unit name or power-item code (API and UI), once an IntegrityError;
- `/staff/calendar/?start=9999-12-30` and other dates at the edge of the calendar;
- a write while the ledger refuses writes: 503 (Chinese page, JSON under /api/), not 500;
- and NUL / lone surrogates in a JSON body or in parameters: 400 (BI-5).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote_from_bytes, urlencode

import pytest
from django.test import Client

from zhifa.accounts.roles import Role
from zhifa.accounts.services import api_token_create
from zhifa.api import api
from zhifa.cases.testing import make_case_world, new_penalty_case
from zhifa.records.ledger import tree_head
from zhifa.records.rollback import set_witnessed_size
from zhifa.registry import models as reg

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u4e00-\u9fff]")
HUGE = str(2**64)


def token_client(user: Any) -> Client:
    _row, token = api_token_create(user=user, name="server errors")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)


def list_operations() -> list[str]:
    """Every GET operation of the API with an `offset` parameter (read from the served schema)."""
    paths = []
    for path, ops in api.get_openapi_schema()["paths"].items():
        op = ops.get("get")
        if op and any(p["name"] == "offset" and p["in"] == "query" for p in op.get("parameters", [])):
            paths.append(path)
    return paths


def test_huge_offsets_are_a_clear_error_on_every_list_endpoint(agency_a):
    world = make_case_world(agency_a)
    case = new_penalty_case(world)
    everyone = agency_a[Role.AGENCY_ADMIN]
    for role in (Role.OFFICER, Role.LEGAL_REVIEWER, Role.ARCHIVIST, Role.AGENCY_HEAD):
        everyone.roles.get_or_create(role=role)
    client = token_client(everyone)
    anonymous = Client(raise_request_exception=False)
    paths = list_operations()
    assert "/api/v1/public/entries" in paths and "/api/v1/cases/" in paths and len(paths) >= 20
    for path in paths:
        url = path.replace("{case_id}", str(case.public_id))
        for offset in (HUGE, "9223372036854775807", "-1"):
            who = anonymous if path.startswith("/api/v1/public/") else client
            response = who.get(url, {"offset": offset})
            assert response.status_code == 422, (url, offset, response.status_code)
            body = response.json()
            assert "分页参数超出范围" in body["message"], body
        assert who.get(url, {"offset": "0"}).status_code == 200, url


@pytest.mark.parametrize("url", [
    "/staff/cases/", "/staff/review/", "/staff/records/timeline/?stream=case/x", "/staff/unit/", "/search/",
])
def test_huge_page_numbers_on_staff_and_portal_lists(agency_a, url):
    client = Client(raise_request_exception=False)
    user = agency_a[Role.OFFICER]
    user.roles.get_or_create(role=Role.LEGAL_REVIEWER)
    client.force_login(user)
    sep = "&" if "?" in url else "?"
    for page in (HUGE, "1" * 40, "-3", "x"):
        response = client.get(f"{url}{sep}page={page}")
        assert response.status_code in (200, 404), (url, page, response.status_code)  # 404: no such stream


def test_duplicate_unit_name_and_power_item_code_over_the_api(agency_a):
    client = token_client(agency_a[Role.AGENCY_ADMIN])
    first = client.post("/api/v1/registry/unit", {"name": "法制科"}, content_type="application/json")
    assert first.status_code == 201, first.content
    again = client.post("/api/v1/registry/unit", {"name": "法制科"}, content_type="application/json")
    assert again.status_code == 400, again.content
    assert "本机关已有" in again.json()["message"] and "name" in again.json()["errors"]
    existing = client.post("/api/v1/registry/unit", {"name": "水政监察大队"}, content_type="application/json")
    assert existing.status_code == 400
    unit = str(agency_a.unit.public_id)
    item = {"code": "XZCF-1", "name": "对违法取水的处罚", "action_type": "penalty", "responsible_unit": unit}
    assert client.post("/api/v1/registry/power_item", item, content_type="application/json").status_code == 201
    dup = client.post("/api/v1/registry/power_item", {**item, "name": "另一事项"}, content_type="application/json")
    assert dup.status_code == 400 and "code" in dup.json()["errors"], dup.content
    # renaming onto an existing name is the same error
    other = client.post("/api/v1/registry/unit", {"name": "办公室"}, content_type="application/json").json()
    patch = client.patch(f"/api/v1/registry/unit/{other['public_id']}", {"name": "法制科"},
                         content_type="application/json")
    assert patch.status_code == 400
    assert reg.Unit.objects.filter(agency=agency_a.agency, name="法制科").count() == 1


def test_duplicate_unit_name_in_the_ui_is_a_form_error(agency_a):
    client = Client(raise_request_exception=False)
    client.force_login(agency_a[Role.AGENCY_ADMIN])
    response = client.post("/staff/unit/new/", {"name": "水政监察大队"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "本机关已有" in html
    assert reg.Unit.objects.filter(agency=agency_a.agency, name="水政监察大队").count() == 1


@pytest.mark.parametrize("query", [
    {"start": "9999-12-30"},
    {"start": "9999-12-30", "days": "10"},
    {"start": "9999-12-31", "days": "3650", "kind": "calendar"},
    {"start": "0001-01-01", "days": "5"},
    {"start": "2026-06-01", "days": "3650", "direction": "party"},
])
def test_calendar_at_the_edge_of_time(agency_a, query):
    client = Client(raise_request_exception=False)
    client.force_login(agency_a[Role.OFFICER])
    response = client.get("/staff/calendar/", query)
    assert response.status_code in (200, 400), response.status_code
    if query["start"] != "2026-06-01":
        assert "日期" in response.content.decode()


@pytest.fixture
def writes_refused():  # type: ignore[no-untyped-def]
    set_witnessed_size(tree_head()[0] + 5)
    yield
    set_witnessed_size(0)


def test_a_write_while_the_ledger_refuses_writes_is_503(agency_a, writes_refused):
    api_client = token_client(agency_a[Role.AGENCY_ADMIN])
    response = api_client.post("/api/v1/registry/unit", {"name": "新设科室"}, content_type="application/json")
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "ledger_unavailable" and CJK.search(response.json()["message"])
    ui = Client(raise_request_exception=False)
    ui.force_login(agency_a[Role.AGENCY_ADMIN])
    page = ui.post("/staff/unit/new/", {"name": "新设科室"})
    assert page.status_code == 503 and "账本" in page.content.decode()
    assert page["Content-Type"].startswith("text/html")
    assert not reg.Unit.objects.filter(name="新设科室").exists()


@pytest.mark.parametrize("raw", [
    '{"name": "\\ud800科"}', '{"name": "a\\u0000b"}', '{"name\\udfff": "x"}', '{"name": ["\\udc00"]}',
])
def test_lone_surrogates_and_nul_in_json_are_400(agency_a, raw):
    client = token_client(agency_a[Role.AGENCY_ADMIN])
    response = client.post("/api/v1/registry/unit", raw.encode(), content_type="application/json")
    assert response.status_code == 400, response.content
    assert "不允许的字符" in json.loads(response.content)["message"]
    public = Client(raise_request_exception=False).get("/api/v1/public/entries", {"q": "a\x00b"})
    assert public.status_code == 400


def test_nul_in_a_form_field_or_query_is_400(agency_a):
    client = Client(raise_request_exception=False)
    client.force_login(agency_a[Role.AGENCY_ADMIN])
    form = client.post("/staff/unit/new/", urlencode({"name": "科\x00室"}),
                       content_type="application/x-www-form-urlencoded")
    assert form.status_code == 400
    multipart = client.post("/staff/unit/new/", {"name": "科\x00室"})  # Django's own form check: a field error
    assert multipart.status_code == 200 and "空字符" in multipart.content.decode()
    assert client.get("/staff/cases/", {"q": "\x00"}).status_code == 400
    assert not reg.Unit.objects.filter(name__contains="室").exists()


def test_valid_unicode_round_trips_and_a_huge_field_is_refused(agency_a):
    """BI-5: CJK Ext-B (𠮷) and a zero-width joiner round-trip exactly; a 1 MB field is a clear 400, not a 500; a
    GB18030-encoded form post is a 400 page (Django accepts urlencoded bodies in UTF-8 only; our pages are UTF-8,
    so browsers never send anything else), never a 500 or mojibake stored."""
    client = token_client(agency_a[Role.AGENCY_ADMIN])
    name = "𠮷野\u200d科\U0002a6a5"
    created = client.post("/api/v1/registry/unit", {"name": name}, content_type="application/json")
    assert created.status_code == 201, created.content
    got = client.get(f"/api/v1/registry/unit/{created.json()['public_id']}")
    assert got.json()["name"] == name
    huge = client.post("/api/v1/registry/unit", {"name": "科" * 1_000_000}, content_type="application/json")
    assert huge.status_code in (400, 413, 422), huge.status_code
    ui = Client(raise_request_exception=False)
    ui.force_login(agency_a[Role.AGENCY_ADMIN])
    body = b"name=" + quote_from_bytes("䶮堃𠮷室".encode("gb18030")).encode()
    response = ui.post("/staff/unit/new/", body, content_type="application/x-www-form-urlencoded; charset=GB18030")
    assert response.status_code == 400 and "请求" in response.content.decode()
    assert not reg.Unit.objects.filter(agency=agency_a.agency, name__endswith="室").exists()
    utf8 = ui.post("/staff/unit/new/", {"name": "䶮堃𠮷室"})
    assert utf8.status_code == 302
    assert reg.Unit.objects.filter(agency=agency_a.agency, name="䶮堃𠮷室").exists()


def test_an_integrity_error_no_form_caught_is_409_not_500(agency_a, monkeypatch):
    """The safety net under the form checks: any IntegrityError reaching a view or the API is a 409 in Chinese."""
    from django.db import IntegrityError

    def clash(**kwargs: Any) -> None:
        raise IntegrityError("UNIQUE constraint failed")

    monkeypatch.setattr("zhifa.registry.services.entry_create", clash)
    api_client = token_client(agency_a[Role.AGENCY_ADMIN])
    response = api_client.post("/api/v1/registry/unit", {"name": "科"}, content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    ui = Client(raise_request_exception=False)
    ui.force_login(agency_a[Role.AGENCY_ADMIN])
    page = ui.post("/staff/unit/new/", {"name": "科"})
    assert page.status_code == 409 and "冲突" in page.content.decode()
