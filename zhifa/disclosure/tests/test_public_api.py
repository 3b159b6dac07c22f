"""The public API (/api/v1/public) returns current published snapshots only (architecture rule 8, REG-2, DISC-23)."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from zhifa.disclosure.models import EntryKind
from zhifa.disclosure.tests.test_portal import (  # noqa: F401 - _portal_settings is an autouse fixture
    DUMPING_ITEM,
    STEPS,
    WATER_ITEM,
    _portal_settings,
    current_entry,
    draft_power_item,
    make_article,
    make_officer,
    make_org,
    published_power_item,
    review_and_publish,
)
from zhifa.registry import services

API = "/api/v1/public"


def get(client: Client, path: str, **params: Any) -> Any:
    response = client.get(API + path, params)
    return response.status_code, response.json()


def titles(client: Client, **params: Any) -> list[str]:
    status, data = get(client, "/entries", **params)
    assert status == 200, data
    return [item["title"] for item in data["items"]]


@pytest.mark.django_db
def test_reg2_unpublished_entries_are_absent_until_published(client: Client) -> None:
    """REG-2: draft, submitted and reviewed entries are not in the API; published ones are."""
    org = make_org("锦江区水务局", 1)
    item = draft_power_item(org)
    for step in ("draft", "submit", "review"):
        if step == "submit":
            item = services.entry_submit(actor=org.admin, obj=item)
        elif step == "review":
            item = services.entry_review(actor=org.reviewer, obj=item, approve=True)
        assert titles(client, kind="power_item") == []
        assert titles(client, q="河道") == []

    item = services.entry_publish(actor=org.admin, obj=item)
    entry = current_entry(item)
    assert titles(client, kind="power_item") == [WATER_ITEM]
    assert titles(client, q="河道") == [WATER_ITEM]
    status, data = get(client, f"/entries/{entry.public_id}")
    assert status == 200
    assert data["kind"] == "power_item" and data["kind_label"] == "权责清单" and data["version"] == 1
    assert data["agency"] == {"id": str(org.agency.public_id), "name": "锦江区水务局"}
    assert [s["name"] for s in data["body"]["steps"]] == [s[0] for s in STEPS]
    assert data["flowchart_url"] == f"{API}/entries/{entry.public_id}/flowchart.svg"


@pytest.mark.django_db
def test_reg3_change_keeps_the_published_version_and_old_ids_404_after_republication(client: Client) -> None:
    org = make_org("锦江区水务局", 1)
    item = published_power_item(org)
    first = current_entry(item)
    data = {"code": "330217001", "name": "新名称的处罚事项", "action_type": "penalty",
            "responsible_unit": str(org.unit.public_id), "legal_basis": [], "basis_note": "", "responsibility": "",
            "accountability": ""}
    item = services.entry_update(actor=org.admin, slug="power_item", obj=item, data=data)
    assert get(client, f"/entries/{first.public_id}")[1]["title"] == WATER_ITEM
    assert titles(client, kind="power_item") == [WATER_ITEM]

    item = review_and_publish(org, item)
    second = current_entry(item)
    assert titles(client, kind="power_item") == ["新名称的处罚事项"]
    assert get(client, f"/entries/{first.public_id}")[0] == 404
    assert get(client, f"/entries/{second.public_id}")[1]["version"] == 2


@pytest.mark.django_db
def test_disc23_withdrawn_entry_disappears_from_list_search_detail_and_flowchart(client: Client) -> None:
    org = make_org("锦江区水务局", 1)
    item = published_power_item(org)
    entry = current_entry(item)
    assert titles(client, q="河道") == [WATER_ITEM]

    services.entry_withdraw(actor=org.admin, obj=item)

    assert titles(client, q="河道") == []
    assert titles(client, kind="power_item") == []
    status, body = get(client, f"/entries/{entry.public_id}")
    assert status == 404 and body["code"] == "not_found"
    assert client.get(f"{API}/entries/{entry.public_id}/flowchart.svg").status_code == 404


@pytest.mark.django_db
def test_agencies_list_and_detail_only_published_agencies(client: Client) -> None:
    """DISC-3: subject information, with the number of published entries per section."""
    org = make_org("锦江区水务局", 1)
    hidden = make_org("未公开的执法局", 2, publish=False)
    published_power_item(org)
    make_officer(org, "王小明", "51010020230001")

    status, data = get(client, "/agencies")
    assert status == 200
    assert data["count"] == 1
    assert [a["name"] for a in data["items"]] == ["锦江区水务局"]
    assert data["items"][0]["id"] == str(org.agency.public_id)
    assert data["items"][0]["sector"] == "水利"

    status, detail = get(client, f"/agencies/{org.agency.public_id}")
    assert status == 200
    assert detail["body"]["uscc"] == org.agency.uscc
    assert detail["body"]["reconsideration_body"] == "锦江区人民政府"  # DISC-6
    counts = {s["kind"]: s["count"] for s in detail["sections"]}
    assert counts["power_item"] == 1 and counts["officer"] == 1 and counts["benchmark"] == 0

    assert get(client, f"/agencies/{hidden.agency.public_id}")[0] == 404
    assert get(client, f"/agencies/{uuid.uuid4()}") == (404, {"code": "not_found", "message": "未找到该对象。"})


@pytest.mark.django_db
def test_entries_search_filters_and_pagination(client: Client) -> None:
    jinjiang = make_org("锦江区水务局", 1)
    qingyang = make_org("青羊区水务局", 2)
    published_power_item(jinjiang, WATER_ITEM, "A1")
    published_power_item(qingyang, DUMPING_ITEM, "B1")
    for i in range(5):
        make_officer(jinjiang, f"执法员{i}", f"51010020230{i:03d}")

    assert sorted(titles(client, q="河道")) == sorted([WATER_ITEM, DUMPING_ITEM])
    assert titles(client, q="河道", agency=str(qingyang.agency.public_id)) == [DUMPING_ITEM]
    assert titles(client, q="河道", kind="officer") == []

    status, page = get(client, "/entries", kind="officer", limit=2, offset=2)
    assert status == 200
    assert page["count"] == 5 and page["limit"] == 2 and page["offset"] == 2 and len(page["items"]) == 2
    status, rest = get(client, "/entries", kind="officer", limit=2, offset=4)
    assert len(rest["items"]) == 1
    assert {i["kind"] for i in page["items"]} == {"officer"}
    assert all("body" not in i for i in page["items"])  # lists carry no body

    assert get(client, "/entries", kind="nope")[0] == 422
    assert get(client, "/entries", limit=0)[0] == 422
    assert get(client, "/entries", limit=1000)[0] == 422


@pytest.mark.django_db
def test_reg15_officer_body_carries_only_allowlisted_fields(client: Client) -> None:
    org = make_org("锦江区水务局", 1)
    staff = make_officer(org, "王小明", "51010020230001", domains="水利")
    status, data = get(client, f"/entries/{current_entry(staff).public_id}")
    assert status == 200
    assert set(data["body"]) == {"name", "unit", "position", "certificates"}
    assert data["body"]["certificates"][0]["number"] == "51010020230001"
    assert staff.legal_qualification_number not in str(data)
    assert data["flowchart_url"] is None
    assert client.get(f"{API}/entries/{current_entry(staff).public_id}/flowchart.svg").status_code == 404


@pytest.mark.django_db
def test_disc5_flowchart_endpoint_serves_svg(client: Client) -> None:
    org = make_org("锦江区水务局", 1)
    item = published_power_item(org, articles=[make_article()])
    response = client.get(f"{API}/entries/{current_entry(item).public_id}/flowchart.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["X-Content-Type-Options"] == "nosniff"
    texts = "".join(ET.fromstring(response.content).itertext())
    for name, days, _kind in STEPS:
        assert name in texts
        if days:
            assert f"{days}个" in texts


@pytest.mark.django_db
def test_list_endpoints_use_a_constant_number_of_queries(client: Client) -> None:
    """T10 (style.md): no N+1 on list endpoints; the agency name comes from a subquery."""
    org = make_org("锦江区水务局", 1)
    make_officer(org, "执法员甲", "51010020230001")

    def count(path: str, **params: Any) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(API + path, params).status_code == 200
        return len(ctx.captured_queries)

    client.get(API + "/entries", {"q": "执法"})  # build the search index
    few = (count("/entries"), count("/entries", q="执法"), count("/agencies"))
    other = make_org("青羊区水务局", 2)
    for i in range(8):
        make_officer(org if i % 2 else other, f"执法员{i}", f"51010020239{i:03d}")
    client.get(API + "/entries", {"q": "执法"})  # rebuild the search index
    many = (count("/entries"), count("/entries", q="执法"), count("/agencies"))
    assert few == many
    assert few[0] <= 2


@pytest.mark.django_db
def test_openapi_documents_the_public_endpoints(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    for path in ("/agencies", "/agencies/{agency_id}", "/entries", "/entries/{public_id}",
                 "/entries/{public_id}/flowchart.svg"):
        assert API + path in schema["paths"], path
    kinds = schema["components"]["schemas"]["Kind"]["enum"]
    assert set(kinds) == {k.value for k in EntryKind}
    svg = schema["paths"][API + "/entries/{public_id}/flowchart.svg"]["get"]["responses"]["200"]
    assert "image/svg+xml" in svg["content"]
