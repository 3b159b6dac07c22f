"""`zhifa demo` (docs/decisions/0007-demo-county.md): the demo county loads, is faithful to laws.json, is idempotent."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Max
from django.test import RequestFactory

from zhifa.accounts.models import User
from zhifa.accounts.roles import Role
from zhifa.common.identifiers import is_valid_uscc
from zhifa.disclosure.models import PublicEntry
from zhifa.disclosure.snapshots import KIND_BY_MODEL
from zhifa.registry import models as reg
from zhifa.registry.demo import BUREAU_NAME, DEMO_PASSWORD
from zhifa.registry.demo.laws import LAWS_JSON
from zhifa.registry.demo.loader import PUBLICATION_MODELS
from zhifa.registry.demo.numerals import article_label, chinese_numeral
from zhifa.registry.demo.people import SEED_NAMES
from zhifa.registry.selectors import agency_compliance

AGENCIES = {
    "linxiang": "临湘市水利局",
    "xiashan": "霞山区城市管理和综合执法局",
    "kaiyuan": "开原市水利局",
    "weixi": "维西傈僳族自治县农业农村局",
    "shuozhou": "朔州市环境保护局",
}
AGENCY_ROLES = {
    "officer": Role.OFFICER, "unithead": Role.UNIT_HEAD, "reviewer": Role.LEGAL_REVIEWER, "head": Role.AGENCY_HEAD,
    "disclosure": Role.DISCLOSURE_OFFICER, "archivist": Role.ARCHIVIST, "admin": Role.AGENCY_ADMIN,
}
SHARED_LAWS_JSON = Path(__file__).resolve().parents[3].parent / "shared" / "domain" / "laws.json"
PUBLISHABLE = [reg.Agency, reg.Staff, reg.PowerItem, reg.DiscretionBenchmark, reg.AvRecordingItem,
               reg.ReviewCatalogItem, reg.RandomInspectionItem, reg.ServiceGuide]


@pytest.fixture
def fast_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def _laws() -> dict[tuple[str, int], dict]:
    data = json.loads(LAWS_JSON.read_text(encoding="utf-8"))
    return {(law["name"], article["n"]): article for law in data["laws"] for article in law["articles"]}


def test_loader_knows_every_publication_model() -> None:
    """Every registry model the portal publishes is loaded by the demo (decisions and annual reports are published
    by disclosure itself, from cases and stats)."""
    registry_kinds = {m for m in KIND_BY_MODEL if m._meta.app_label == "registry"}
    assert set(PUBLICATION_MODELS) == registry_kinds == set(PUBLISHABLE)


def _state() -> dict[str, object]:
    """Everything a second run could change: row counts, latest update times, snapshot versions."""
    state: dict[str, object] = {
        m.__name__: m._default_manager.count()
        for m in [*PUBLISHABLE, reg.Unit, reg.Certificate, reg.Training, reg.Law, reg.Article, reg.ProcedureStep,
                  reg.BenchmarkTier, User, PublicEntry]
    }
    for model in PUBLISHABLE:
        state[f"{model.__name__}.updated"] = model._default_manager.aggregate(m=Max("updated_at"))["m"]
    state["passwords"] = sorted(User.objects.values_list("password", flat=True))
    return state


def test_chinese_numerals() -> None:
    cases = {1: "一", 10: "十", 15: "十五", 20: "二十", 65: "六十五", 100: "一百", 102: "一百零二", 110: "一百一十",
             119: "一百一十九", 1001: "一千零一"}
    assert {n: chinese_numeral(n) for n in cases} == cases
    assert article_label(48) == "第四十八条"


@pytest.mark.skipif(not SHARED_LAWS_JSON.exists(), reason="../shared is not available")
def test_bundled_laws_json_is_the_shared_one() -> None:
    assert LAWS_JSON.read_bytes() == SHARED_LAWS_JSON.read_bytes()


def test_demo_loads_the_county(db, fast_hashing) -> None:
    out = _demo()

    # The bureau and the five agencies it supervises.
    bureau = reg.Agency.objects.get(name=BUREAU_NAME)
    assert bureau.is_justice_bureau and bureau.sector == reg.Sector.JUSTICE
    agencies = {a.name: a for a in reg.Agency.objects.filter(supervisor=bureau)}
    assert set(agencies) == set(AGENCIES.values())
    assert reg.Agency.objects.count() == 6
    for agency in reg.Agency.objects.all():
        assert is_valid_uscc(agency.uscc), agency.uscc
        assert agency.is_published
        assert agency.units.exists()
    for agency in agencies.values():
        assert agency.units.filter(is_legal_office=True).count() == 1
        assert 8 <= agency.staff.count() <= 15
    assert agencies["朔州市环境保护局"].level == reg.AgencyLevel.CITY
    assert agencies["临湘市水利局"].region_code == "430682"

    # The law library is laws.json, verbatim.
    raw = _laws()
    assert reg.Law.objects.count() == 19
    articles = list(reg.Article.objects.select_related("law"))
    assert len(articles) == len(raw) == 175
    for article in articles:
        source = raw[(article.law.title, article.number)]
        assert article.text == source["text"]
        assert article.label == source["number"]
        assert article.is_penalty_article == (source["kind"] == "penalty")
        assert article.penalty == source["penalty"]

    # Power items cite only articles of laws.json, and every penalty item cites its penalty article.
    items = reg.PowerItem.objects.prefetch_related("legal_basis__law")
    assert items.count() > 100
    for item in items:
        basis = list(item.legal_basis.all())
        assert basis, item.code
        assert all((a.law.title, a.number) in raw and a.text == raw[(a.law.title, a.number)]["text"] for a in basis)
        if item.action_type == reg.ActionType.PENALTY:
            assert any(a.is_penalty_article for a in basis), item.code
        assert item.steps.exists()
    assert not reg.ProcedureStep.objects.filter(time_limit_days__isnull=False, rule_ref="").exists()
    for agency in agencies.values():
        assert {"penalty", "inspection"} <= set(agency.power_items.values_list("action_type", flat=True))
        assert agency.benchmarks.exists() and agency.av_items.exists() and agency.review_catalog.exists()
        assert agency.inspection_items.exists() and agency.service_guides.exists()

    # One login per role per agency, the bureau's supervisor and the system administrator; all sign in.
    request = RequestFactory().post("/accounts/login/")
    expected = {"admin": Role.SYSTEM_ADMIN, "sifaju.supervisor": Role.SUPERVISOR}
    expected |= {f"{key}.{suffix}": role for key in AGENCIES for suffix, role in AGENCY_ROLES.items()}
    for username, role in expected.items():
        user = authenticate(request, username=username, password=DEMO_PASSWORD)
        assert user is not None, username
        assert user.has_role(role), username
        assert username in out
        if username.startswith(tuple(AGENCIES)):
            assert user.agency is not None and user.agency.name == AGENCIES[username.split(".")[0]]
    for key in AGENCIES:
        for suffix in ("officer", "reviewer"):
            user = User.objects.get(username=f"{key}.{suffix}")
            assert user.staff.agency == user.agency and user.staff.name == user.full_name
    assert User.objects.get(username="admin").agency is None
    assert DEMO_PASSWORD in out

    # Staff are fictional: no name printed in the seeds.
    names = set(reg.Staff.objects.values_list("name", flat=True))
    names |= set(User.objects.values_list("full_name", flat=True))
    assert not names & SEED_NAMES

    # Public snapshots exist for exactly the published entries; drafts and submitted entries show the workflow.
    for model in PUBLISHABLE:
        kind = KIND_BY_MODEL[model]
        published_rows = model._default_manager.filter(publication_status=reg.PublicationStatus.PUBLISHED)
        published = set(published_rows.values_list("pk", flat=True))
        current = set(PublicEntry.objects.filter(kind=kind, is_current=True).values_list("source_id", flat=True))
        assert published and published == current, model.__name__
    # The loader counts snapshots without reading the portal's table (ADR 0023); the figure it prints is the same.
    assert f"公开信息快照 {PublicEntry.objects.count()}" in out
    statuses = set(reg.PowerItem.objects.values_list("publication_status", flat=True))
    assert {"draft", "submitted", "reviewed", "published"} <= statuses
    assert reg.PowerItem.objects.filter(publication_status="published", reviewed_by__isnull=True).count() == 0

    # The staffing alerts show: 维西 lacks a legal reviewer (REG-20), 霞山 lacks AV devices (REG-23).
    admin = User.objects.get(username="admin")
    assert agency_compliance(user=admin, agency=agencies["维西傈僳族自治县农业农村局"]).reviewer_shortfall > 0
    assert agency_compliance(user=admin, agency=agencies["霞山区城市管理和综合执法局"]).device_shortfall > 0
    assert agency_compliance(user=admin, agency=agencies["临湘市水利局"]).device_shortfall == 0


def test_demo_is_idempotent(db, fast_hashing) -> None:
    _demo()
    before = _state()
    out = _demo()
    assert "已经载入" in out and "linxiang.officer" in out
    assert _state() == before


def test_demo_leaves_a_database_with_other_agencies_alone(db, fast_hashing) -> None:
    reg.Agency.objects.create(
        name="某县水利局", uscc="11430682DEM000022M", kind="administrative_organ", level="county",
        region_code="430682", sector="water",
    )
    out = _demo()
    assert "未载入" in out
    assert reg.Agency.objects.count() == 1 and not reg.Law.objects.exists() and not User.objects.exists()
