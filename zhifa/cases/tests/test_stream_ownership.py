"""Streams belong to a subject and an agency (issue 9 defect 1; reliability.md AC-1; architecture rule 2).

An officer of agency B who names agency A's case stream (`case/<A's case id>`) in an upload — the staff form, the
case page's upload, the API's single upload or a resumable session — gets a 404 (the answer to any read of another
agency's object) and nothing is recorded: no evidence row, no ledger entry, nothing on A's case page or timeline.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from zhifa.accounts.roles import Role
from zhifa.accounts.services import api_token_create
from zhifa.cases.engine import today_in_china
from zhifa.cases.models import Case
from zhifa.cases.selectors import case_page_for
from zhifa.cases.testing import make_case_world, new_penalty_case
from zhifa.records.models import Evidence, LedgerEntry, UploadSession
from zhifa.records.streams import StreamNotFound, registered_prefixes, require_writable, stream_owner
from zhifa.records.tests.test_evidence import JPEG

API = "/api/v1/records"


@pytest.fixture
def stores(settings, tmp_path: Path) -> None:  # noqa: ANN001
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"


@pytest.fixture
def a_case(agency_a) -> Case:  # noqa: ANN001
    world = make_case_world(agency_a)
    today = today_in_china()
    return new_penalty_case(world, day=today, act_date=today, discovered_on=today)


def _fields(stream: str) -> dict[str, str]:
    captured = timezone.localtime() - timedelta(minutes=5)
    return {"stream": stream, "captured_at": captured.strftime("%Y-%m-%dT%H:%M"), "captured_by": "李四"}


def _file():  # noqa: ANN202
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("现场.jpg", JPEG, content_type="image/jpeg")


def _state() -> tuple[int, int, int]:
    return Evidence.objects.count(), LedgerEntry.objects.count(), UploadSession.objects.count()


def test_case_prefix_is_registered_by_the_cases_app() -> None:
    assert "case/" in registered_prefixes()


def test_owner_of_a_case_stream(a_case, agency_a, agency_b) -> None:
    """AC-1: the owner is the case's agency; for B the stream does not exist; malformed ids do not exist."""
    owner = stream_owner(agency_a[Role.OFFICER], a_case.stream)
    assert owner is not None and owner.agency_id == a_case.agency_id and owner.writable
    assert stream_owner(agency_b[Role.OFFICER], a_case.stream) is None
    for stream in (f"case/{uuid.uuid4()}", "case/not-a-uuid", a_case.stream.upper().replace("CASE/", "case/"),
                   "case/{" + str(a_case.public_id) + "}"):
        assert stream_owner(agency_a[Role.OFFICER], stream) is None, stream
    for stream in ("security:1", "supervision:1", "registry:agency:x", "calendar"):
        with pytest.raises(StreamNotFound):
            require_writable(agency_a[Role.OFFICER], stream)


def test_free_streams_belong_to_their_first_writer(agency_a, agency_b, stores) -> None:
    """AC-1: an agency-local stream name (no registered prefix) stays with the agency that first wrote to it."""
    from zhifa.records.tests.test_evidence import store_evidence

    store_evidence(agency_a[Role.OFFICER], JPEG, stream="巡查-2026-06")
    assert require_writable(agency_a[Role.OFFICER], "巡查-2026-06").agency_id == agency_a.agency.pk
    with pytest.raises(StreamNotFound):
        store_evidence(agency_b[Role.OFFICER], JPEG, stream="巡查-2026-06")
    assert Evidence.objects.count() == 1


@pytest.mark.parametrize("role", [Role.OFFICER, Role.UNIT_HEAD])
def test_ac1_foreign_case_stream_upload_is_404_everywhere_and_records_nothing(role, a_case, agency_b, stores) -> None:
    """AC-1 (defect 1): B's uploaders naming A's case stream: staff form, API single upload, API and browser
    resumable sessions — all 404, and A's case shows nothing new."""
    before = _state()
    browser = Client()
    browser.force_login(agency_b[role])
    response = browser.post("/staff/records/upload/", {**_fields(a_case.stream), "file": _file()})
    assert response.status_code == 404, response.status_code
    response = browser.post("/staff/records/uploads/", {**_fields(a_case.stream), "filename": "a.jpg",
                                                        "size": len(JPEG)})
    assert response.status_code == 404, response.content
    _row, token = api_token_create(user=agency_b[role], name="t")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api.post(f"{API}/evidence", {**_fields(a_case.stream), "file": _file()})
    assert response.status_code == 404 and response.json()["code"] == "not_found", response.content
    response = api.post(f"{API}/uploads", {**_fields(a_case.stream), "filename": "a.jpg", "size": len(JPEG),
                                           "captured_at": timezone.now().isoformat()},
                        content_type="application/json")
    assert response.status_code == 404 and response.json()["code"] == "not_found", response.content
    # Not even through the case's own upload page (that is a 404 for B before any stream is named).
    response = browser.post(f"/staff/cases/{a_case.public_id}/upload/", {**_fields(a_case.stream), "file": _file()})
    assert response.status_code in (403, 404)
    after = _state()
    assert (after[0], after[2]) == (before[0], before[2])
    assert not LedgerEntry.objects.filter(stream=a_case.stream).exclude(agency_id=a_case.agency_id).exists()


def test_unknown_case_stream_is_404_the_same_as_a_foreign_one(agency_a, stores) -> None:
    client = Client()
    client.force_login(agency_a[Role.OFFICER])
    response = client.post("/staff/records/upload/", {**_fields(f"case/{uuid.uuid4()}"), "file": _file()})
    assert response.status_code == 404
    assert not Evidence.objects.exists()


def test_own_case_stream_upload_still_works(a_case, agency_a, stores) -> None:
    client = Client()
    client.force_login(agency_a[Role.OFFICER])
    response = client.post("/staff/records/upload/", {**_fields(a_case.stream), "file": _file()})
    assert response.status_code == 302, response.content
    assert Evidence.objects.filter(stream=a_case.stream, agency=a_case.agency).count() == 1


def test_case_timeline_shows_only_the_cases_agency(a_case, agency_a, agency_b) -> None:
    """Defect 1: an entry of another agency in a case's stream (written before the fix) never shows on the case
    page or in the API timeline."""
    from zhifa.records.ledger import ledger_append

    ledger_append(kind="evidence.added", stream=a_case.stream, agency_id=agency_b.agency.pk,
                  actor=agency_b[Role.OFFICER], payload={"evidence_id": "stranger"})
    page = case_page_for(user=agency_a[Role.AGENCY_HEAD], case_id=a_case.public_id)
    assert page.timeline and all(e.agency_id == a_case.agency_id for e in page.timeline)
    _row, token = api_token_create(user=agency_a[Role.AGENCY_HEAD], name="t")
    body = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(f"/api/v1/cases/{a_case.public_id}/timeline").json()
    assert body["total"] >= 1
    assert "stranger" not in str(body)
