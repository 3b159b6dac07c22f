"""The case page's cache (issue 11 point 3, ADR 0042): a kept page is served only for the case version it was
rendered from, so every kind of write that touches a case shows on the next read; every read, cached or not, is
still scoped to the user's agencies (another agency's case is a 404) and writes its 调阅 entry before any content
(REC-12, fail-closed); the per-viewer parts and the CSRF token are never another viewer's."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhifa.cases import pagecache
from zhifa.cases.deadlines import deadlines_tick
from zhifa.cases.engine import case_act, kind_of
from zhifa.cases.models import Case, DeadlineState
from zhifa.cases.services import case_personal_erase
from zhifa.cases.testing import (
    DAY,
    CaseWorld,
    make_case_world,
    new_penalty_case,
    proposal,
    upload_recording,
    walk_to,
)
from zhifa.records import ledger
from zhifa.records.access import ACCESS_KIND, AccessLogUnavailable
from zhifa.records.integrity import mark_evidence
from zhifa.records.models import IntegrityStatus, LedgerEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(agency_a) -> CaseWorld:  # type: ignore[no-untyped-def]
    return make_case_world(agency_a)


@pytest.fixture
def stores(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"


def detail_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.public_id])


def page(client: Client, case: Case) -> str:
    response = client.get(detail_url(case))
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    return html[start:html.index("</details>", start)]


def without_token(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def kept_pages() -> int:
    return len(caches[pagecache.CACHE_ALIAS]._cache)  # type: ignore[attr-defined]


def officer_client(world: CaseWorld, role: str = "officer") -> Client:
    client = Client()
    client.force_login(world[role])
    return client


# ------------------------------------------------------------------------------------------- the cache is used


def test_a_read_is_kept_and_served_until_the_case_stream_moves(world):
    case = new_penalty_case(world)
    client = officer_client(world)
    first = page(client, case)
    assert kept_pages() == 1
    # A row changed behind the services (no ledger entry: against the rules of the house) is not seen: the kept
    # page is the one of the stream's last entry, which did not move ...
    Case.objects.filter(pk=case.pk).update(title="改在服务之外的标题")
    assert "改在服务之外的标题" not in page(client, case)
    assert without_token(page(client, case)) == without_token(first)
    # ... and any entry in the case's stream (here one no service writes) is a new version: the page is rendered.
    ledger.ledger_append(kind="test.touch", stream=case.stream, agency_id=case.agency_id, actor=None, payload={})
    assert "改在服务之外的标题" in page(client, case)


# ------------------------------------------------------------------------------ each kind of write shows at once


def test_a_case_action_shows_on_the_next_read(world):
    """CASE-59: the state and the actions offered follow the transition."""
    case = new_penalty_case(world)
    head = officer_client(world, "agency_head")
    before = page(head, case)
    assert "/act/approve_filing/" in before
    acted = case_act(actor=world["agency_head"], case_id=case.public_id, action="approve_filing",
                     data={"filed_on": DAY}, today=DAY).case
    after = page(head, case)
    assert kind_of(acted).state_label(acted.state) in after and "/act/approve_filing/" not in after


def test_assigning_officers_shows_on_the_next_read(world):
    """CaseOfficer and the desk rows (CaseMember, ADR 0038) are written by the action."""
    case = walk_to(world, new_penalty_case(world), "filed")
    client = officer_client(world)
    assert "王建国" not in section(page(client, case), "officers")
    case_act(actor=world["unit_head"], case_id=case.public_id, action="assign_officers",
             data={"staff": world.officer_ids, "on": DAY}, today=DAY)
    assert "王建国" in section(page(client, case), "officers")


def test_an_issued_document_shows_on_the_next_read(world):
    case = walk_to(world, new_penalty_case(world), "investigation_concluded")
    client = officer_client(world)
    before = section(page(client, case), "documents")
    acted = case_act(actor=world["agency_head"], case_id=case.public_id, action="issue_prior_notice",
                     data=proposal(served_on=DAY), today=DAY)
    numbers = [d.number for d in acted.documents if d.number]
    after = section(page(client, case), "documents")
    assert numbers and not any(n in before for n in numbers) and all(n in after for n in numbers)


def test_a_review_step_shows_on_the_next_read(world):
    """REV-5: submitting for legal review opens a round, shown on the page."""
    case = walk_to(world, new_penalty_case(world), "hearing_held")
    client = officer_client(world)
    assert 'id="review-round' not in page(client, case)
    case_act(actor=world["officer"], case_id=case.public_id, action="submit_legal_review",
             data={"materials": "调查终结报告、证据材料、听证笔录"}, today=date(2026, 6, 15))
    after = page(client, case)
    assert kind_of(case).state_label("legal_review") in after and 'id="review"' in after


def test_an_upload_and_an_integrity_flag_show_on_the_next_read(world, stores):
    """REC-3 evidence in the case's stream; a fixity flag on it (another app's writer) too."""
    case = new_penalty_case(world)
    client = officer_client(world)
    assert "现场录音.wav" not in page(client, case)
    evidence = upload_recording(world["officer"], case, name="现场录音.wav")
    assert "现场录音.wav" in section(page(client, case), "evidence")
    assert "完整性受损" not in section(page(client, case), "evidence")
    mark_evidence(evidence.sha256, IntegrityStatus.CHANGED, at=evidence.uploaded_at)
    assert "完整性受损" in section(page(client, case), "evidence")


def test_the_deadline_tick_shows_on_the_next_read(world):
    """CAL-5: a deadline missed by the daily tick is shown missed."""
    case = walk_to(world, new_penalty_case(world), "investigating")
    client = officer_client(world)
    missed = f'text-bg-danger">{DeadlineState.MISSED.label}</span>'  # the state badge, not the countdown
    assert missed not in section(page(client, case), "deadlines")
    assert deadlines_tick(today=date(2031, 1, 1)).missed >= 1
    assert missed in section(page(client, case), "deadlines")


def test_erasing_personal_data_shows_on_the_next_read(world):
    """PV-5: after erasure the page no longer shows the party's identifiers or full name."""
    case = new_penalty_case(world)
    party = case.parties.get()
    client = officer_client(world)
    before = section(page(client, case), "parties")
    assert party.name in before and party.id_number in before
    case_personal_erase(case=case, reason="保存期限届满", force=True)
    after = section(page(client, case), "parties")
    assert party.name not in after and party.id_number not in after


# ---------------------------------------------------------------------------------------- scoping and 调阅


def test_another_agencys_user_gets_404_for_a_cached_page(world, agency_b, supervisor):
    case = new_penalty_case(world)
    page(officer_client(world), case)
    assert kept_pages() == 1
    other = Client()
    other.force_login(agency_b["agency_head"])
    response = other.get(detail_url(case))
    assert response.status_code == 404 and case.title.encode() not in response.content
    # The bureau's supervisor sees the case (read-only), with a page of their own: not the officer's actions.
    watcher = Client()
    watcher.force_login(supervisor)
    html = page(watcher, case)
    assert case.title in html and "/act/" not in html and kept_pages() == 2


def test_every_cached_read_writes_its_access_entry(world):
    """REC-12: one 调阅 entry per read, cached or not."""
    case = new_penalty_case(world)
    client = officer_client(world)

    def views() -> int:
        return sum(1 for e in LedgerEntry.objects.filter(kind=ACCESS_KIND, stream=f"access:{case.agency_id}")
                   if f'"object_id":"{case.public_id}"' in bytes(e.canonical).decode())

    before = views()
    for _ in range(4):
        page(client, case)
    assert kept_pages() == 1 and views() == before + 4


def test_a_cached_read_fails_closed_without_its_access_entry(world, monkeypatch):
    """AC-6 / FC-5: no 调阅 entry, no content — even when the page is kept."""
    case = new_penalty_case(world)
    client = officer_client(world)
    page(client, case)

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise AccessLogUnavailable("down")

    monkeypatch.setattr("zhifa.cases.selectors.record_access", broken)
    response = client.get(detail_url(case))
    assert response.status_code == 503 and case.title.encode() not in response.content


def test_a_cached_read_costs_a_bounded_number_of_queries(world):
    case = new_penalty_case(world)
    client = officer_client(world)
    with CaptureQueriesContext(connection) as first:
        page(client, case)
    with CaptureQueriesContext(connection) as cached:
        page(client, case)
    reads = [q["sql"] for q in cached.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    case_reads = [sql for sql in reads if "cases_" in sql or "documents_" in sql or "review_" in sql]
    # The session, the user and their roles (as every staff page), then one query for the case with its version;
    # the rest is the 调阅 append (the ledger's head and tree).
    assert len(case_reads) == 1, case_reads
    assert len(cached.captured_queries) <= 12 < len(first.captured_queries)


# ------------------------------------------------------------------------------------- per viewer, CSRF, flash


def test_each_viewer_gets_their_own_actions(world):
    case = new_penalty_case(world)
    head, officer = officer_client(world, "agency_head"), officer_client(world)
    assert "/act/approve_filing/" in page(head, case)
    html = page(officer, case)
    assert "/act/approve_filing/" not in html and str(world["officer"]) in html
    assert "/act/approve_filing/" in page(head, case) and kept_pages() == 2


def test_the_csrf_token_is_the_requests_own(world):
    """A kept page never carries another session's token (nor the placeholder): its logout form works."""
    case = new_penalty_case(world)
    for _ in range(2):  # two sessions of the same user: the second is served the first one's kept page
        client = Client(enforce_csrf_checks=True)
        client.force_login(world["officer"])
        html = page(client, case)
        assert pagecache.CSRF_PLACEHOLDER not in html
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert token is not None
        response = client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": token.group(1)})
        assert response.status_code == 302
    assert kept_pages() == 1


def test_a_flash_message_is_shown_once_and_not_kept(world):
    case = walk_to(world, new_penalty_case(world), "filed")
    client = officer_client(world, "unit_head")
    page(client, case)
    response = client.post(reverse("cases:act", args=[case.public_id, "assign_officers"]),
                           {"staff": world.officer_ids, "on": DAY.isoformat()})
    assert response.status_code == 302
    assert "已完成" in page(client, case)
    assert "已完成" not in page(client, case)
