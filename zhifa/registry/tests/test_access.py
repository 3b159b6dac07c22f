"""Access control over every staff route and every API route (architecture rule 2; reliability.md AC-1, AC-4).

Personas in two agencies A and B: whatever any of A's users does to one of B's objects is a 404, in the UI and
over the API, and changes nothing. The route lists are read from the URL resolver and the OpenAPI schema, so a
new route that these tests do not cover fails `test_every_route_is_covered`.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from zhifa.accounts.roles import Role
from zhifa.accounts.services import api_token_create
from zhifa.api import api
from zhifa.registry import models as reg
from zhifa.registry.entries import ENTRY_TYPES
from zhifa.registry.testing import AGENCY_ROLES, AgencyPersonas, make_user

AGENCY_SCOPED_SLUGS = [slug for slug, t in ENTRY_TYPES.items() if not t.global_scope]


def objects_of(p: AgencyPersonas) -> dict[str, object]:
    """One object of every agency-scoped entry type, owned by `p.agency`."""
    power = reg.PowerItem.objects.create(agency=p.agency, code="XZCF-9", name="对违法取水的处罚", action_type="penalty")
    step = reg.ProcedureStep.objects.create(power_item=power, order=1, name="立案")
    bench = reg.DiscretionBenchmark.objects.create(
        agency=p.agency, power_item=power, code="B1", title="违法取水裁量基准", effective_from=date(2026, 1, 1)
    )
    tier = reg.BenchmarkTier.objects.create(
        benchmark=bench, order=1, degree="一般", circumstances="首次", penalty="罚款", fine_min=Decimal(2),
        fine_max=Decimal(5),
    )
    return {
        "agency": p.agency,
        "unit": p.unit,
        "staff": p.staff,
        "certificate": p.certificate,
        "training": reg.Training.objects.create(staff=p.staff, title="执法培训", held_on=date(2026, 3, 1)),
        "power_item": power,
        "step": step,
        "benchmark": bench,
        "tier": tier,
        "av_item": reg.AvRecordingItem.objects.create(agency=p.agency, step="现场检查", requirement="required"),
        "review_catalog": reg.ReviewCatalogItem.objects.create(agency=p.agency, title="较大数额罚款", action_type="penalty"),
        "inspection_item": reg.RandomInspectionItem.objects.create(
            agency=p.agency, name="取水单位抽查", subjects="取水单位", method="双随机"
        ),
        "service_guide": reg.ServiceGuide.objects.create(
            agency=p.agency, title="取水许可", accepting_body="政务大厅", approving_body="水利局", conditions="依法申请"
        ),
    }


@pytest.fixture
def b_objects(agency_b: AgencyPersonas) -> dict[str, object]:
    return objects_of(agency_b)


def _staff_urls(slug: str, obj: object) -> list[tuple[str, str]]:
    pid = obj.public_id  # type: ignore[attr-defined]
    urls = [
        ("get", f"/staff/{slug}/{pid}/"),
        ("get", f"/staff/{slug}/{pid}/edit/"),
        ("post", f"/staff/{slug}/{pid}/edit/"),
    ]
    urls += [("post", f"/staff/{slug}/{pid}/{action}/") for action in
             ("submit", "approve", "reject", "publish", "withdraw", "new_version", "delete")]
    if slug == "agency":  # the supervision page (issue 9 defect 4)
        urls += [("get", f"/staff/agency/{pid}/supervision/"), ("post", f"/staff/agency/{pid}/supervision/")]
    for child in ENTRY_TYPES[slug].children:
        urls.append(("get", f"/staff/{child}/new/under/{pid}/"))
        urls.append(("post", f"/staff/{child}/new/under/{pid}/"))
    return urls


def _snapshot(slug: str, obj: object) -> tuple[object, ...]:
    fresh = type(obj).objects.get(pk=obj.pk)  # type: ignore[attr-defined]
    return tuple(getattr(fresh, f.attname) for f in fresh._meta.concrete_fields)


@pytest.mark.parametrize("role", AGENCY_ROLES)
def test_ac1_staff_ui_other_agency_objects_are_404(role: str, agency_a, agency_b, b_objects) -> None:
    """AC-1: every staff route with one of B's objects answers 404 to every role of A, and changes nothing."""
    client = Client()
    client.force_login(agency_a[role])
    for slug, obj in b_objects.items():
        before = _snapshot(slug, obj)
        for method, url in _staff_urls(slug, obj):
            response = getattr(client, method)(url, {"name": "篡改", "opinion": "x"})
            assert response.status_code == 404, (role, method, url, response.status_code)
        assert _snapshot(slug, obj) == before, (role, slug)


@pytest.mark.parametrize("slug", [s for s in AGENCY_SCOPED_SLUGS if ENTRY_TYPES[s].parent is None])
def test_ac2_lists_show_only_own_agency(slug: str, agency_a, agency_b, b_objects) -> None:
    """AC-2: list pages and API lists of A's users never contain B's objects."""
    objects_of(agency_a)
    client = Client()
    client.force_login(agency_a[Role.AGENCY_ADMIN])
    html = client.get(f"/staff/{slug}/").content.decode()
    assert str(b_objects[slug].public_id) not in html  # type: ignore[attr-defined]
    data = client.get(f"/api/v1/registry/{slug}?limit=200").json()
    assert data["count"] >= 1
    assert str(b_objects[slug].public_id) not in {item["public_id"] for item in data["items"]}  # type: ignore[attr-defined]


def _api_paths() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return [(method, path) for path, ops in schema["paths"].items() for method in ops]


def _fill(path: str, slug_objects: dict[str, object]) -> tuple[str, str] | None:
    match = re.match(r"^/api/v1/registry/([a-z_]+)/\{public_id\}(/.*)?$", path)
    if not match:
        return None
    slug = match.group(1)
    if slug not in slug_objects:
        return None
    return slug, path.replace("{public_id}", str(slug_objects[slug].public_id))  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", AGENCY_ROLES)
def test_ac1_api_other_agency_objects_are_404(role: str, agency_a, agency_b, b_objects) -> None:
    """AC-1 over the API with a token: every route with one of B's ids is a 404 JSON error; nothing changes."""
    _row, token = api_token_create(user=agency_a[role], name="access test")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    checked = 0
    for method, path in _api_paths():
        filled = _fill(path, b_objects)
        if filled is None:
            continue
        slug, url = filled
        before = _snapshot(slug, b_objects[slug])
        body = {"approve": True, "opinion": "x", "name": "篡改"}
        response = getattr(client, method)(url, body, content_type="application/json")
        assert response.status_code == 404, (role, method, url, response.status_code, response.content[:200])
        assert response.json()["code"] == "not_found"
        assert _snapshot(slug, b_objects[slug]) == before
        checked += 1
    assert checked >= 60


def test_ac1_parent_of_other_agency_cannot_be_used_for_children(agency_a, agency_b, b_objects) -> None:
    """Creating a certificate under B's staff member through the API is a 404, not a write into B."""
    _row, token = api_token_create(user=agency_a[Role.AGENCY_ADMIN], name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.post(
        "/api/v1/registry/certificate",
        {"parent": str(b_objects["staff"].public_id), "number": "X-1", "certificate_type": "provincial",  # type: ignore[attr-defined]
         "issuer": "省政府", "valid_from": "2026-01-01", "valid_to": "2027-01-01", "status": "valid", "domains": "水"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not reg.Certificate.objects.filter(number="X-1").exists()


def test_ac4_mass_assignment_of_agency_is_ignored(agency_a, agency_b) -> None:
    """AC-4: a body that names another agency cannot move an entry there; the entry lands in the actor's agency."""
    _row, token = api_token_create(user=agency_a[Role.AGENCY_ADMIN], name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.post(
        "/api/v1/registry/unit",
        {"name": "新设科室", "agency": str(agency_b.agency.public_id), "agency_id": agency_b.agency.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert reg.Unit.objects.get(name="新设科室").agency == agency_a.agency


def test_supervisor_reads_supervised_agencies_but_cannot_write(agency_a, supervisor, b_objects) -> None:
    """A justice-bureau supervisor sees the agencies it supervises, read-only (403 on writes it can see)."""
    client = Client()
    client.force_login(supervisor)
    staff = b_objects["staff"]
    assert client.get(f"/staff/staff/{staff.public_id}/").status_code == 200  # type: ignore[attr-defined]
    response = client.post(f"/staff/staff/{staff.public_id}/edit/", {"name": "改名"})  # type: ignore[attr-defined]
    assert response.status_code == 200  # the form page again, with the refusal message
    assert "无权" in response.content.decode()
    assert reg.Staff.objects.get(pk=staff.pk).name != "改名"  # type: ignore[attr-defined]
    _row, token = api_token_create(user=supervisor, name="t")
    api_client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    r = api_client.patch(f"/api/v1/registry/staff/{staff.public_id}", {"name": "改名"},  # type: ignore[attr-defined]
                         content_type="application/json")
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"


def test_unsupervised_agency_is_invisible_to_supervisor(supervisor, db) -> None:
    from zhifa.registry.testing import make_personas

    other = make_personas("C")  # no supervisor
    client = Client()
    client.force_login(supervisor)
    assert client.get(f"/staff/staff/{other.staff.public_id}/").status_code == 404  # type: ignore[union-attr]


def test_anonymous_staff_routes_redirect_to_login_and_api_needs_token(agency_b, b_objects) -> None:
    client = Client()
    for slug, obj in b_objects.items():
        for method, url in _staff_urls(slug, obj)[:2]:
            response = getattr(client, method)(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    r = client.get(f"/api/v1/registry/staff/{b_objects['staff'].public_id}")  # type: ignore[attr-defined]
    assert r.status_code == 401
    r = Client(HTTP_AUTHORIZATION="Bearer zf_forged").get("/api/v1/registry/staff")
    assert r.status_code == 401


def test_revoked_token_is_refused(agency_a) -> None:
    from zhifa.accounts.services import api_token_revoke

    row, token = api_token_create(user=agency_a[Role.AGENCY_ADMIN], name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/registry/unit").status_code == 200
    api_token_revoke(user=agency_a[Role.AGENCY_ADMIN], token_id=row.pk)
    assert client.get("/api/v1/registry/unit").status_code == 401


def _route_patterns(resolver: URLResolver, prefix: str = "") -> list[str]:
    out = []
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            out += _route_patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            out.append(prefix + str(p.pattern))
    return out


def test_every_route_is_covered(agency_b, b_objects) -> None:
    """Every staff route taking an object id is exercised above; a new one must be added to `_staff_urls`."""
    # Registry routes; the records, cases and documents apps walk their own (their tests/test_*access*/views), and
    # the disclosure staff routes (decision drafts, 双公示 deliveries) are in zhifa/cases/tests/test_route_matrix.py.
    own_tests = ("staff/records/", "staff/cases/", "staff/documents/", "staff/review/", "staff/disclosure/")
    staff_routes = {
        r for r in _route_patterns(get_resolver())
        if r.startswith("staff/") and not r.startswith(own_tests) and "<uuid:" in r
    }
    exercised_shapes = {
        "staff/<slug:slug>/<uuid:public_id>/",
        "staff/<slug:slug>/<uuid:public_id>/edit/",
        "staff/<slug:slug>/<uuid:public_id>/<slug:action>/",
        "staff/<slug:slug>/new/under/<uuid:parent_id>/",
        "staff/agency/<uuid:public_id>/supervision/",
    }
    assert staff_routes == exercised_shapes
    api_with_ids = {p for _m, p in _api_paths() if "{public_id}" in p and p.startswith("/api/v1/registry/")}
    covered = {p for p in api_with_ids if _fill(p, b_objects) is not None}
    uncovered = {p for p in api_with_ids - covered if not re.match(r"^/api/v1/registry/(law|article)/", p)}
    assert not uncovered, uncovered


def test_system_admin_sees_all_agencies(system_admin, agency_a, agency_b) -> None:
    client = Client()
    client.force_login(system_admin)
    assert client.get(f"/staff/agency/{agency_b.agency.public_id}/").status_code == 200
    assert client.get(f"/staff/agency/{agency_a.agency.public_id}/").status_code == 200


def test_user_without_agency_sees_nothing(db, agency_b) -> None:
    lone = make_user(None, Role.OFFICER, username="lone")
    client = Client()
    client.force_login(lone)
    assert client.get(f"/staff/staff/{agency_b.staff.public_id}/").status_code == 404  # type: ignore[union-attr]


def test_404_page_is_chinese_and_reveals_nothing(agency_a, agency_b) -> None:
    client = Client()
    client.force_login(agency_a[Role.OFFICER])
    response = client.get(f"/staff/staff/{agency_b.staff.public_id}/")  # type: ignore[union-attr]
    html = response.content.decode()
    assert response.status_code == 404 and "页面不存在或尚未公开" in html
    assert agency_b.staff.name not in html and agency_b.agency.name not in html  # type: ignore[union-attr]
