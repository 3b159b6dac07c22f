"""Every list page costs the same number of queries whatever the data size and whatever the page (issue 11 point 2,
its Bar: "query counts of every list page equal at two data sizes").

Each test renders a list page through the test client at a small size, grows the data with `bulk_create` (the
services are not what is measured here), and renders it again at page 1 and at a deep page: the three query
counts must be equal. A page that makes a query per row (N+1) fails here. Each measured request follows one
warm-up request of the same size, so one-off work (a search index built for a new set of snapshots, a cached
setting) is not counted. Timings are in bench/README.md, never here.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, models
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhifa.accounts.models import User
from zhifa.cases.engine import today_in_china
from zhifa.cases.models import Case, CaseOfficer, Deadline, DeadlineState, Party, PenaltyDetail
from zhifa.cases.testing import CaseWorld, make_case_world
from zhifa.disclosure import selectors
from zhifa.disclosure.models import EntryKind, PublicEntry
from zhifa.disclosure.search import invalidate_search_index
from zhifa.disclosure.views import SECTION_PAGE_SIZE, SECTIONS
from zhifa.records.ledger import ledger_append
from zhifa.records.security import record_denied
from zhifa.registry import models as reg
from zhifa.registry.entries import ENTRY_TYPES
from zhifa.registry.testing import AgencyPersonas, make_agency, make_user
from zhifa.review.models import ReviewRound, ReviewState

pytestmark = pytest.mark.django_db

SMALL, LARGE = 3, 60
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_manifest(settings: Any) -> None:
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    invalidate_search_index()


def queries(client: Client, url: str) -> int:
    """The number of queries of one GET of `url` (after a warm-up GET of it), which must answer 200."""
    assert client.get(url).status_code == 200, url
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def assert_flat(client: Client, url: str, grow: Callable[[], None], deep: str) -> None:
    """Equal query counts: small data page 1, large data page 1, large data at `deep` (a query string suffix)."""
    small = queries(client, url)
    grow()
    large = queries(client, url)
    sep = "&" if "?" in url else "?"
    deep_page = queries(client, f"{url}{sep}{deep}")
    assert (small, large, deep_page) == (small, small, small), url


# ---------------------------------------------------------------------------------------------------------------
# The portal (DISC-2…DISC-8): home, search (query and browse), every agency section
# ---------------------------------------------------------------------------------------------------------------


class Portal:
    def __init__(self) -> None:
        self.user = make_user(None, "system_admin", username="publisher")
        self.agencies: list[reg.Agency] = []

    def agency(self) -> reg.Agency:
        ag = make_agency(f"第{next(_serial)}水利局")
        self.agencies.append(ag)
        self._bulk([self._entry(ag, EntryKind.AGENCY, ag.name, ag.pk)])
        return ag

    def _entry(self, ag: reg.Agency, kind: str, title: str, source_id: int) -> PublicEntry:
        return PublicEntry(kind=kind, agency=ag, source_id=source_id, version=1, title=title,
                           body={"code": f"C{source_id:06d}", "name": title, "steps": [{"name": "立案"}]},
                           search_text=f"{title} 河道 行政处罚", published_at=timezone.now(), published_by=self.user)

    def _bulk(self, rows: list[PublicEntry]) -> None:
        PublicEntry.objects.bulk_create(rows)
        invalidate_search_index()

    def entries(self, ag: reg.Agency, n: int) -> None:
        """`n` current entries of every listed kind for `ag`."""
        rows = []
        for kind in EntryKind:
            if kind != EntryKind.AGENCY:
                rows += [self._entry(ag, kind, f"在河道管理范围内采砂的处罚{next(_serial)}", 10**6 + next(_serial))
                         for _ in range(n)]
        self._bulk(rows)


@pytest.fixture
def portal(db: None) -> Portal:
    p = Portal()
    for _ in range(SMALL):
        p.entries(p.agency(), SMALL)
    return p


def _grow_portal(p: Portal) -> Callable[[], None]:
    def grow() -> None:
        for ag in list(p.agencies):
            p.entries(ag, LARGE)
        for _ in range(LARGE // 10):
            p.entries(p.agency(), 2)
    return grow


@pytest.mark.parametrize("section", [s.slug for s in SECTIONS if s.kind], ids=str)
def test_agency_sections_are_flat(portal: Portal, client: Client, section: str) -> None:
    """The agency power list (权责清单) and every other section list (DISC-3/DISC-4)."""
    url = reverse("portal:agency_section", args=[portal.agencies[0].public_id, section])
    assert_flat(client, url, _grow_portal(portal), deep=f"page={LARGE // SECTION_PAGE_SIZE + 1}")


def test_power_list_subqueries_are_unordered_and_indexed(portal: Portal) -> None:
    """The agency-name subquery of every public read has no ORDER BY (the model's default ordering made SQLite sort
    the agency's entries for every row, skipped rows included: 13.8 s at OFFSET 400 with 100,000 entries, issue
    11), and the page, at page 1 and deep, is read through indexes (no full scan)."""
    _grow_portal(portal)()
    qs = selectors.agency_entries(agency_id=portal.agencies[0].pk, kind=EntryKind.POWER_ITEM)
    for offset in (0, 400):
        sql, params = qs[offset:offset + SECTION_PAGE_SIZE].query.sql_with_params()
        assert sql.count("ORDER BY") == 1, sql
        if connection.vendor == "sqlite":
            with connection.cursor() as cur:
                cur.execute("EXPLAIN QUERY PLAN " + sql, params)
                plan = [row[-1] for row in cur.fetchall()]
            assert not [line for line in plan if line.startswith("SCAN")], plan
            assert "USE TEMP B-TREE FOR RIGHT PART OF ORDER BY" not in plan, plan


@pytest.mark.parametrize("kind", [None, EntryKind.POWER_ITEM])
def test_browse_pages_follow_agency_name_then_kind_then_title(portal: Portal, kind: str | None) -> None:
    """Browsing (DISC-6 without a query) pages through agency spans: every window, across agency boundaries, is the
    window of the one sort by (agency name, kind, title, id) it replaces."""
    _grow_portal(portal)()
    filters = selectors.EntryFilters(kind=kind)
    expected = [e.pk for e in filters.apply(selectors._public()).order_by(
        "agency_name", "kind", "title", "pk")]
    browsed = selectors.entry_browse(filters=filters)
    assert browsed.count() == len(expected)
    for start in (0, 7, 60, 63, 64, 150, len(expected) - 5, len(expected) + 3):
        assert [e.pk for e in browsed[start:start + 20]] == expected[start:start + 20], start
    assert browsed[5].pk == expected[5]


def test_portal_home_and_agency_page_are_flat(portal: Portal, client: Client) -> None:
    grow = _grow_portal(portal)
    home = queries(client, reverse("portal:home"))
    info = queries(client, reverse("portal:agency", args=[portal.agencies[0].public_id]))
    grow()
    assert queries(client, reverse("portal:home")) == home
    assert queries(client, reverse("portal:agency", args=[portal.agencies[0].public_id])) == info


@pytest.mark.parametrize("params", ["q=河道", "q=河道&kind=power_item", "kind=power_item", "kind=officer"], ids=str)
def test_search_results_are_flat(portal: Portal, client: Client, params: str) -> None:
    """Search hits (DISC-6) and browsing by kind: the same queries at page 1 and page 5, small and large."""
    assert_flat(client, f"{reverse('portal:search')}?{params}", _grow_portal(portal), deep="page=5")


def test_search_by_agency_is_flat(portal: Portal, client: Client) -> None:
    url = f"{reverse('portal:search')}?agency={portal.agencies[0].public_id}"
    assert_flat(client, url, _grow_portal(portal), deep="page=5")


# ---------------------------------------------------------------------------------------------------------------
# Staff case lists ("my cases" and the agency's), the due list, the review queue
# ---------------------------------------------------------------------------------------------------------------

ACTIVE = ["registered", "investigating", "legal_review"]


def _bulk_cases(world: CaseWorld, n: int, *, mine: bool) -> list[Case]:
    """`n` penalty cases with two parties, two officers and three open deadlines each (as bench/cases.py)."""
    agency, today = world.agency, today_in_china()
    cases = []
    for _ in range(n):
        i = next(_serial)
        registered = today - timedelta(days=i % 30 + 1)
        cases.append(Case(agency=agency, kind="penalty", state=ACTIVE[i % 3], reference=f"临水罚〔2026〕Q{i}号",
                          title=f"河道采砂案{i}", source_kind="inspection", violation_place="临湘市长江干流江南段",
                          violation_region_code="430682", registered_on=registered, act_date=registered,
                          summary="巡查发现当事人在河道管理范围内作业。",
                          created_by=world["officer"] if mine else world["unit_head"]))
    Case.objects.bulk_create(cases)
    PenaltyDetail.objects.bulk_create([PenaltyDetail(case=c, filed_on=c.registered_on) for c in cases])
    Party.objects.bulk_create([Party(case=c, kind="organization", name=f"砂石有限公司{c.pk}-{k}", uscc="",
                                     legal_representative="李四") for c in cases for k in range(2)])
    CaseOfficer.objects.bulk_create([CaseOfficer(case=c, staff=s, certificate_number=f"T-{s.pk}",
                                                 assigned_on=c.registered_on)
                                     for c in cases for s in world.officers[(0 if mine else 1):][:2]])
    Deadline.objects.bulk_create([
        Deadline(case=c, agency=agency, code=f"d{k}", rule="PEN-9", label="期限", start=today - timedelta(days=5),
                 due=today + timedelta(days=k * 3 - 2), day_kind="working", state=DeadlineState.RUNNING,
                 history=[])
        for c in cases for k in range(3)])
    return cases


@pytest.fixture
def world(agency_a: AgencyPersonas) -> CaseWorld:
    w = make_case_world(agency_a)
    _bulk_cases(w, SMALL, mine=True)
    _bulk_cases(w, SMALL, mine=False)
    return w


def _grow_cases(world: CaseWorld) -> Callable[[], None]:
    def grow() -> None:
        _bulk_cases(world, LARGE, mine=True)
        _bulk_cases(world, LARGE, mine=False)
    return grow


@pytest.mark.parametrize(("role", "params"), [
    ("officer", "scope=mine"), ("officer", "scope=all"), ("agency_head", "scope=all"),
    ("officer", "scope=mine&q=河道"), ("officer", "scope=all&state=investigating"),
], ids=str)
def test_case_lists_are_flat(world: CaseWorld, client: Client, role: str, params: str) -> None:
    """My cases and the agency's cases (CASE list, REC-12 调阅 of the rows shown): page 1 and page 3."""
    client.force_login(world[role])
    assert_flat(client, f"{reverse('cases:list')}?{params}", _grow_cases(world), deep="page=3")


@pytest.mark.parametrize("role", ["officer", "agency_head"])
def test_due_list_is_flat(world: CaseWorld, client: Client, role: str) -> None:
    """The due list (deadlines of my cases / of the agency) and the missed ones: no query per deadline."""
    client.force_login(world[role])
    grow = _grow_cases(world)
    url = reverse("cases:due")
    small = queries(client, url)
    grow()
    Deadline.objects.filter(code="d0").update(state=DeadlineState.MISSED)
    assert queries(client, f"{url}?days=90") == small


def _bulk_rounds(world: CaseWorld, n: int) -> None:
    """Review rounds in every tab's state with their review clock (ADR 0024), as bench/review.py makes them."""
    cases = _bulk_cases(world, n, mine=True)
    today = today_in_china()
    states = [ReviewState.PENDING, ReviewState.IN_REVIEW, ReviewState.MATERIALS_REQUESTED, ReviewState.PASSED]
    rounds = []
    for i, case in enumerate(cases):
        state = states[i % len(states)]
        received = today - timedelta(days=i % 20)
        rnd = ReviewRound(case=case, agency_id=case.agency_id, number=1, state=state, reasons=["较大数额罚没款"],
                          proposal={"fine_amount": "5000"}, submitted_by=world["officer"], submitted_on=received,
                          received_on=received)
        if state != ReviewState.PENDING:
            rnd.assigned_to, rnd.assigned_by, rnd.assigned_on = world["legal_reviewer"], world["agency_head"], received
        if state == ReviewState.PASSED:
            rnd.reviewer, rnd.decided_on, rnd.working_days_taken = world["legal_reviewer"], received, 3
        rounds.append(rnd)
    ReviewRound.objects.bulk_create(rounds)
    Deadline.objects.bulk_create([Deadline(
        case_id=r.case_id, agency_id=r.agency_id, code="review", rule="REV-6", label="法制审核", start=r.received_on,
        due=r.received_on + timedelta(days=7), day_kind="working",
        state=DeadlineState.RUNNING if r.decided_on is None else DeadlineState.MET) for r in rounds])


@pytest.mark.parametrize("tab", ["unassigned", "mine", "open", "overdue", "done"])
def test_review_queue_tabs_are_flat(world: CaseWorld, client: Client, tab: str) -> None:
    """法制审核工作台, every tab (REV-6 clock read per row by one correlated subquery, not a query per row)."""
    _bulk_rounds(world, SMALL * 4)
    client.force_login(world["legal_reviewer"])
    assert_flat(client, f"{reverse('review:queue')}?tab={tab}", lambda: _bulk_rounds(world, 2 * LARGE),
                deep="page=2")


# ---------------------------------------------------------------------------------------------------------------
# Registry entry lists (staff) and a stream's timeline (records)
# ---------------------------------------------------------------------------------------------------------------


def _filled(model: type[models.Model], agency: reg.Agency, i: int) -> models.Model:
    """A row of `model` with every required field filled with a value unique to `i` (no validation: bulk_create)."""
    values: dict[str, Any] = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or f.has_default() or f.null or f.blank or getattr(f, "auto_now", False) or getattr(
                f, "auto_now_add", False):
            continue
        if isinstance(f, models.ForeignKey):
            target = f.related_model
            values[f.name] = agency if target is reg.Agency else (
                target._default_manager.order_by("pk").first() or _saved(target, agency))  # type: ignore[union-attr]
        elif f.choices:
            values[f.name] = f.choices[0][0]
        elif isinstance(f, models.DateField):
            values[f.name] = date(2026, 1, 1) + timedelta(days=i)
        elif isinstance(f, models.DecimalField):
            values[f.name] = Decimal(i)
        elif isinstance(f, models.IntegerField | models.FloatField):
            values[f.name] = i
        elif isinstance(f, models.JSONField):
            values[f.name] = {}
        elif isinstance(f, models.BooleanField):
            values[f.name] = False
        else:
            # Unique per row and within the column's length (PostgreSQL enforces varchar lengths, SQLite does not).
            text = f"{f.name}{i:06d}"
            values[f.name] = text[-f.max_length:] if f.max_length else text
    return model(**values)


def _saved(model: type[models.Model], agency: reg.Agency) -> models.Model:
    obj = _filled(model, agency, next(_serial))
    obj.save()
    return obj


def _bulk_entries(model: type[models.Model], agency: reg.Agency, n: int) -> None:
    rows = []
    for _ in range(n):
        obj = _filled(model, agency, next(_serial))
        if model is reg.Agency:
            obj.uscc = f"9143{next(_serial):014d}"  # type: ignore[attr-defined]
            obj.supervisor = agency  # type: ignore[attr-defined]
        rows.append(obj)
    model._default_manager.bulk_create(rows)


TOP_LEVEL = [slug for slug, etype in ENTRY_TYPES.items() if not etype.parent]


@pytest.mark.parametrize("slug", TOP_LEVEL)
def test_registry_entry_lists_are_flat(agency_a: AgencyPersonas, system_admin: User, client: Client,
                                      slug: str) -> None:
    """The staff registry lists (REG-1…REG-15) of every top-level entry type: page 1 and page 2 of 50."""
    model = ENTRY_TYPES[slug].model
    _bulk_entries(model, agency_a.agency, SMALL)
    client.force_login(system_admin)
    assert_flat(client, reverse("staff:entry_list", args=[slug]),
                lambda: _bulk_entries(model, agency_a.agency, LARGE), deep="page=2")


def test_stream_timeline_is_flat(world: CaseWorld, client: Client) -> None:
    """A stream's timeline (records, REC-12: its 调阅 entry is one append whatever the page shows)."""
    stream = f"case/{uuid.uuid4()}"

    def append(n: int) -> None:
        for k in range(n):
            ledger_append(kind="case.note", stream=stream, agency_id=world.agency.pk, actor=world["officer"],
                          payload={"note": f"第{k}条"})

    append(SMALL)
    client.force_login(world["agency_head"])
    assert_flat(client, f"{reverse('records:timeline')}?stream={stream}", lambda: append(LARGE), deep="page=2")


def test_security_events_are_flat(world: CaseWorld, client: Client) -> None:
    """Denied attempts (security.denied) the agency head audits: page 1 and page 2 of 100."""
    factory = RequestFactory()

    def denied(n: int) -> None:
        for k in range(n):
            request = factory.get(f"/staff/cases/{uuid.uuid4()}/")
            request.user = world["officer"]
            record_denied(request=request, status=404 if k % 2 else 403)

    denied(SMALL)
    client.force_login(world["agency_head"])
    assert_flat(client, reverse("records:security_events"), lambda: denied(2 * LARGE), deep="page=2")


def _supervised_agencies(bureau: reg.Agency, n: int) -> None:
    """`n` agencies supervised by `bureau`, each with certified officers and a legal reviewer (REG-20)."""
    agencies = [make_agency(f"第{next(_serial)}城管局", supervisor=bureau) for _ in range(n)]
    staff = reg.Staff.objects.bulk_create([reg.Staff(agency=a, name=f"执法员{k}", is_legal_reviewer=k == 0)
                                           for a in agencies for k in range(3)])
    reg.Certificate.objects.bulk_create([reg.Certificate(
        staff=s, number=f"S-{s.pk}", certificate_type="provincial", issuer="湖南省人民政府",
        valid_from=date(2024, 1, 1), valid_to=date(2029, 12, 31), domains="城管") for s in staff])


def test_staff_home_is_flat_in_the_number_of_agencies(bureau: reg.Agency, supervisor: User, client: Client) -> None:
    """The bureau's home lists REG-20/REG-23 figures of every supervised agency: two queries for all of them."""
    _supervised_agencies(bureau, SMALL)
    client.force_login(supervisor)
    url = reverse("staff:home")
    small = queries(client, url)
    _supervised_agencies(bureau, LARGE // 3)
    assert queries(client, url) == small


@pytest.mark.parametrize("role", ["agency_head"])
def test_review_supervision_is_flat(world: CaseWorld, client: Client, role: str) -> None:
    """法制审核监督: per-agency figures by aggregation, not per round."""
    _bulk_rounds(world, SMALL * 4)
    client.force_login(world[role])
    url = reverse("review:supervision")
    small = queries(client, url)
    _bulk_rounds(world, LARGE)
    assert queries(client, url) == small
