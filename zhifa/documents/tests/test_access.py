"""Reads: another agency's document is a 404 (views and API); every read appends a 调阅 entry first and fails
closed; downloads carry the Chinese file name (RFC 5987) and nosniff."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import quote

import pytest
from django.test import Client

from zhifa.accounts.roles import Role
from zhifa.accounts.services import api_token_create
from zhifa.documents import selectors
from zhifa.documents.tests.helpers import issue, stores  # noqa: F401
from zhifa.records import access
from zhifa.records.access import AccessLogUnavailable
from zhifa.records.models import LedgerEntry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stores")]

API = "/api/v1/documents"


def logged_in(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


def token_client(user) -> Client:  # noqa: ANN001
    _row, token = api_token_create(user=user, name="documents test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def access_entries(document) -> list[dict]:  # noqa: ANN001
    rows = LedgerEntry.objects.filter(kind=access.ACCESS_KIND).order_by("seq")
    payloads = [json.loads(bytes(r.canonical))["payload"] for r in rows]
    return [p for p in payloads if p["object_kind"] == "document" and p["object_id"] == str(document.public_id)]


@pytest.fixture
def document(agency_a):  # noqa: ANN001, ANN201
    agency_a.agency.short_name = "临水"
    agency_a.agency.save(update_fields=["short_name"])
    return issue(agency_a)


def test_views_download_with_headers_and_log_each_read(agency_a, document) -> None:  # noqa: ANN001
    client = logged_in(agency_a[Role.OFFICER])
    response = client.get(f"/staff/documents/{document.public_id}/pdf/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == document.pdf_sha256
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert f"filename*=UTF-8''{quote('行政处罚决定书-临水罚决〔2026〕1号.pdf', safe='')}" in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith('attachment; filename="document-penalty_decision-')
    response = client.get(f"/staff/documents/{document.public_id}/docx/")
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == document.docx_sha256
    assert response["X-Content-Type-Options"] == "nosniff"
    response = client.get(f"/staff/documents/{document.public_id}/")
    assert response.status_code == 200
    page = response.content.decode()
    for needle in ("行政处罚决定书", "临水罚决〔2026〕1号", document.pdf_sha256, "已电子签章", str(document.ledger_seq)):
        assert needle in page
    entries = access_entries(document)
    assert [e["action"] for e in entries] == ["download", "download", "view"]
    assert all(e["result"] == "ok" for e in entries)


def test_other_agency_gets_404_everywhere(agency_b, document) -> None:  # noqa: ANN001
    for client in (logged_in(agency_b[Role.OFFICER]), logged_in(agency_b[Role.AGENCY_HEAD])):
        for suffix in ("", "pdf/", "docx/"):
            assert client.get(f"/staff/documents/{document.public_id}/{suffix}").status_code == 404
    api = token_client(agency_b[Role.OFFICER])
    for suffix in ("", "/pdf", "/docx"):
        assert api.get(f"{API}/{document.public_id}{suffix}").status_code == 404
    assert access_entries(document) == []
    assert selectors.documents_for_subject(user=agency_b[Role.OFFICER], subject_id=document.subject_id) == []


def test_anonymous_is_refused(document) -> None:  # noqa: ANN001
    assert Client().get(f"/staff/documents/{document.public_id}/pdf/").status_code == 302
    assert Client().get(f"{API}/{document.public_id}/pdf").status_code == 401


def test_api_metadata_and_files_with_token_and_session(agency_a, document) -> None:  # noqa: ANN001
    api = token_client(agency_a[Role.OFFICER])
    response = api.get(f"{API}/{document.public_id}")
    assert response.status_code == 200
    data = response.json()
    assert data["number"] == "临水罚决〔2026〕1号" and data["serial"] == 1 and data["signed"] is True
    assert data["pdf_sha256"] == document.pdf_sha256 and data["ledger_seq"] == document.ledger_seq
    assert data["subject_id"] == str(document.subject_id)
    response = api.get(f"{API}/{document.public_id}/pdf")
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == document.pdf_sha256
    assert response["X-Content-Type-Options"] == "nosniff"
    session = logged_in(agency_a[Role.OFFICER])
    response = session.get(f"{API}/{document.public_id}/docx")
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == document.docx_sha256
    assert [e["action"] for e in access_entries(document)] == ["view", "download", "download"]


def test_supervisor_reads_supervised_agency(supervisor, document) -> None:  # noqa: ANN001
    assert logged_in(supervisor).get(f"/staff/documents/{document.public_id}/pdf/").status_code == 200


def test_reads_fail_closed_when_the_access_log_cannot_be_written(agency_a, document, monkeypatch) -> None:  # noqa: ANN001
    def down(**kwargs):  # noqa: ANN003, ANN202
        raise AccessLogUnavailable("disk full")

    monkeypatch.setattr(access, "record_access", down)
    client = logged_in(agency_a[Role.OFFICER])
    for suffix in ("", "pdf/", "docx/"):
        response = client.get(f"/staff/documents/{document.public_id}/{suffix}")
        assert response.status_code == 503
        assert document.pdf_sha256 not in response.content.decode()
    response = token_client(agency_a[Role.OFFICER]).get(f"{API}/{document.public_id}/pdf")
    assert response.status_code == 503 and response.json()["code"] == "access_log_unavailable"


def test_missing_file_is_refused_after_logging(agency_a, document, settings) -> None:  # noqa: ANN001
    from zhifa.records.blobstore import default_store

    path = default_store().path_for(document.pdf_sha256)
    path.chmod(0o644)
    path.unlink()
    response = logged_in(agency_a[Role.OFFICER]).get(f"/staff/documents/{document.public_id}/pdf/")
    assert response.status_code == 409
    assert [e["result"] for e in access_entries(document)] == ["refused_missing"]


def test_documents_for_subject_lists_in_issue_order(agency_a, document) -> None:  # noqa: ANN001
    second = issue(agency_a, "service_receipt", subject_id=document.subject_id, sign=False)
    issue(agency_a, "service_receipt", sign=False)  # another subject
    rows = selectors.documents_for_subject(user=agency_a[Role.OFFICER], subject_id=document.subject_id)
    assert [d.pk for d in rows] == [document.pk, second.pk]
    assert selectors.documents_for_subject(user=agency_a[Role.OFFICER], subject_id="not-a-uuid") == []
    assert access_entries(document) == []  # listing is metadata only
