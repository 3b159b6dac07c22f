"""Staff records pages and API reads: agency scoping (404), the 调阅 entry on every read, failing closed (503),
Range delivery, the timeline's proof status and 验证 button, and the public checkpoint page (issue 3 part 7;
architecture rule 2; reliability.md AC-1, AC-6, FC-5, BI-3).
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from django.db import DatabaseError
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from zhifa.accounts.roles import Role
from zhifa.records import signednote
from zhifa.records.access import ACCESS_KIND
from zhifa.records.checkpoints import checkpoint_create, log_signer, public_key
from zhifa.records.models import LedgerEntry
from zhifa.records.tests.test_evidence import JPEG, MP4, PDF, store_evidence
from zhifa.records.tests.test_uploads import api_prefix, logged_in, token_client
from zhifa.registry.testing import AGENCY_ROLES

READERS = [Role.OFFICER, Role.UNIT_HEAD, Role.AGENCY_HEAD, Role.ARCHIVIST, Role.LEGAL_REVIEWER]
NON_READERS = [r for r in AGENCY_ROLES if r not in READERS]


@pytest.fixture
def stores(settings, tmp_path):  # noqa: ANN001, ANN201
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"
    settings.ZHIFA_UPLOAD_MAX_BYTES = 256 * 1024


@pytest.fixture
def api(settings) -> str:  # noqa: ANN001
    return api_prefix(settings)


@pytest.fixture
def b_evidence(agency_b, stores):  # noqa: ANN001, ANN201
    return store_evidence(agency_b[Role.OFFICER], MP4, stream="case:b-secret", name="b.mp4")


@pytest.fixture
def a_evidence(agency_a, stores):  # noqa: ANN001, ANN201
    return store_evidence(agency_a[Role.OFFICER], JPEG, stream="case:a-1", name="现场照片.jpg")


def access_count() -> int:
    return LedgerEntry.objects.filter(kind=ACCESS_KIND).count()


def last_access() -> dict:
    entry = LedgerEntry.objects.filter(kind=ACCESS_KIND).order_by("-seq").first()
    assert entry is not None
    return json.loads(bytes(entry.canonical))


def staff_urls(evidence) -> list[tuple[str, str]]:  # noqa: ANN001
    pid = evidence.public_id
    return [
        ("get", f"/staff/records/evidence/{pid}/"),
        ("get", f"/staff/records/evidence/{pid}/media/"),
        ("get", f"/staff/records/evidence/{pid}/download/"),
        ("get", f"/staff/records/timeline/?stream={quote(evidence.stream)}"),
        ("post", "/staff/records/timeline/verify/"),
        ("post", "/staff/records/timeline/archive/"),
    ]


def body_of(response) -> bytes:  # noqa: ANN001
    return b"".join(response.streaming_content) if response.streaming else response.content


# ---------------------------------------------------------------------------------------------------------------
# Scoping
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", AGENCY_ROLES)
def test_other_agencys_evidence_is_404_everywhere(role: str, agency_a, b_evidence, settings) -> None:
    """AC-1: every records page with B's evidence or stream answers 404 to every role of A, logs nothing, and
    sends no byte of the file."""
    client = logged_in(agency_a[role])
    before = access_count()
    for method, url in staff_urls(b_evidence):
        response = getattr(client, method)(url, {"stream": b_evidence.stream} if method == "post" else None)
        assert response.status_code == 404, (role, url, response.status_code)
        assert MP4[:64] not in body_of(response)
    api = api_prefix(settings)
    tokens = token_client(agency_a[role])
    for url in (f"{api}/evidence/{b_evidence.public_id}", f"{api}/evidence/{b_evidence.public_id}/download"):
        response = tokens.get(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert tokens.get(f"{api}/evidence", {"stream": b_evidence.stream}).json() == []
    assert access_count() == before


def test_every_records_route_with_an_id_is_covered(b_evidence) -> None:
    """A new records route taking an object id must be added to `staff_urls` above (and so to the 404 test)."""

    def patterns(resolver: URLResolver, prefix: str = "") -> list[str]:
        out: list[str] = []
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                out += patterns(p, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                out.append(prefix + str(p.pattern))
        return out

    routes = {r for r in patterns(get_resolver()) if r.startswith("staff/records/")}
    covered_shapes = {
        "staff/records/evidence/<uuid:public_id>/", "staff/records/evidence/<uuid:public_id>/media/",
        "staff/records/evidence/<uuid:public_id>/download/", "staff/records/timeline/",
        "staff/records/timeline/verify/", "staff/records/timeline/archive/",
        # personal upload sessions: covered by test_uploads.test_sessions_are_personal
        "staff/records/uploads/<uuid:public_id>/", "staff/records/uploads/<uuid:public_id>/finish/",
        # no object: index, upload page, session creation
        "staff/records/", "staff/records/upload/", "staff/records/uploads/",
        "staff/records/security/",  # the security log (test_security_events)
        # archive packages built in the background: covered by test_archive_packages
        "staff/records/archives/", "staff/records/archives/<uuid:public_id>/download/",
    }
    assert routes == covered_shapes


@pytest.mark.parametrize("role", NON_READERS)
def test_roles_without_evidence_access_see_nothing_of_their_own_agency(role: str, agency_a, a_evidence) -> None:
    client = logged_in(agency_a[role])
    for method, url in staff_urls(a_evidence):
        response = getattr(client, method)(url, {"stream": a_evidence.stream} if method == "post" else None)
        assert response.status_code == 404, (role, url)
    assert client.get("/staff/records/").status_code == 403


def test_supervisor_reads_supervised_agency_evidence(supervisor, b_evidence) -> None:
    client = logged_in(supervisor)
    assert client.get(f"/staff/records/evidence/{b_evidence.public_id}/").status_code == 200
    assert last_access()["agency_id"] == b_evidence.agency_id  # logged in the owning agency's access stream
    assert client.get("/staff/records/upload/").status_code == 403  # read-only


def test_access_log_stream_is_only_for_agency_heads_and_supervisors(agency_a, a_evidence) -> None:
    logged_in(agency_a[Role.OFFICER]).get(f"/staff/records/evidence/{a_evidence.public_id}/")
    url = f"/staff/records/timeline/?stream=access:{agency_a.agency.pk}"
    assert logged_in(agency_a[Role.OFFICER]).get(url).status_code == 404
    response = logged_in(agency_a[Role.AGENCY_HEAD]).get(url)
    assert response.status_code == 200 and "查看" in response.content.decode()


# ---------------------------------------------------------------------------------------------------------------
# The 调阅 log and failing closed
# ---------------------------------------------------------------------------------------------------------------


def test_every_read_writes_an_access_entry(agency_a, a_evidence, settings) -> None:
    client = logged_in(agency_a[Role.ARCHIVIST])
    pid = a_evidence.public_id
    reads = [
        (f"/staff/records/evidence/{pid}/", "view"),
        (f"/staff/records/evidence/{pid}/download/", "download"),
        (f"/staff/records/timeline/?stream={quote(a_evidence.stream)}", "timeline"),
    ]
    for url, action in reads:
        before = access_count()
        response = client.get(url)
        assert response.status_code == 200, url
        body_of(response)
        assert access_count() == before + 1, url
        entry = last_access()
        assert entry["payload"]["action"] == action and entry["actor"]["username"] == agency_a[Role.ARCHIVIST].username
        assert entry["stream"] == f"access:{agency_a.agency.pk}" and entry["agency_id"] == agency_a.agency.pk
    before = access_count()
    assert client.post("/staff/records/timeline/verify/", {"stream": a_evidence.stream}).status_code == 200
    assert access_count() == before + 1 and last_access()["payload"]["action"] == "verify"
    api = api_prefix(settings)
    tokens = token_client(agency_a[Role.ARCHIVIST])
    for url, action in ((f"{api}/evidence/{pid}", "view"), (f"{api}/evidence/{pid}/download", "download"),
                        (f"{api}/evidence?stream={quote(a_evidence.stream)}", "list")):
        before = access_count()
        response = tokens.get(url)
        assert response.status_code == 200
        body_of(response)
        assert access_count() == before + 1 and last_access()["payload"]["action"] == action


def test_media_fetches_ride_on_the_logged_view(agency_a, a_evidence) -> None:
    """The viewer's player fetches ranges within the view's grant without new entries; a fetch without a prior
    view is logged as "play"."""
    pid = a_evidence.public_id
    cold = logged_in(agency_a[Role.OFFICER])
    before = access_count()
    assert cold.get(f"/staff/records/evidence/{pid}/media/").status_code == 200
    assert access_count() == before + 1 and last_access()["payload"]["action"] == "play"
    viewer = logged_in(agency_a[Role.OFFICER])
    viewer.get(f"/staff/records/evidence/{pid}/")
    before = access_count()
    for _ in range(3):
        response = viewer.get(f"/staff/records/evidence/{pid}/media/", HTTP_RANGE="bytes=0-99")
        assert response.status_code == 206
    assert access_count() == before


def test_reads_fail_closed_when_the_access_log_cannot_be_written(agency_a, a_evidence, settings, monkeypatch) -> None:
    """FC-5: 503 with no evidence data at all: no file bytes, no file name, no hash."""
    client = logged_in(agency_a[Role.OFFICER])
    pid = a_evidence.public_id
    api = api_prefix(settings)
    tokens = token_client(agency_a[Role.OFFICER])

    def refuse(*args, **kwargs):  # noqa: ANN003, ANN202
        raise DatabaseError("access log unavailable")

    monkeypatch.setattr("zhifa.records.access.ledger_append_many", refuse)
    responses = [
        client.get(f"/staff/records/evidence/{pid}/"),
        client.get(f"/staff/records/evidence/{pid}/download/"),
        client.get(f"/staff/records/evidence/{pid}/media/"),
        client.get(f"/staff/records/timeline/?stream={quote(a_evidence.stream)}"),
        client.post("/staff/records/timeline/verify/", {"stream": a_evidence.stream}),
        tokens.get(f"{api}/evidence/{pid}"),
        tokens.get(f"{api}/evidence/{pid}/download"),
        tokens.get(f"{api}/evidence", {"stream": a_evidence.stream}),
    ]
    for response in responses:
        assert response.status_code == 503
        body = body_of(response)
        assert JPEG[:32] not in body and a_evidence.sha256.encode() not in body
        assert "现场照片".encode() not in body


# ---------------------------------------------------------------------------------------------------------------
# Delivery: Range, headers, integrity
# ---------------------------------------------------------------------------------------------------------------


def test_range_requests(agency_a, a_evidence) -> None:
    client = logged_in(agency_a[Role.OFFICER])
    url = f"/staff/records/evidence/{a_evidence.public_id}/download/"
    size = len(JPEG)
    part = client.get(url, HTTP_RANGE="bytes=100-299")
    assert part.status_code == 206 and body_of(part) == JPEG[100:300]
    assert part["Content-Range"] == f"bytes 100-299/{size}" and part["Content-Length"] == "200"
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert tail.status_code == 206 and body_of(tail) == JPEG[-10:]
    open_end = client.get(url, HTTP_RANGE=f"bytes={size - 5}-")
    assert body_of(open_end) == JPEG[-5:]
    beyond = client.get(url, HTTP_RANGE=f"bytes={size}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{size}"
    several = client.get(url, HTTP_RANGE="bytes=0-1,5-6")  # not supported: the whole file
    assert several.status_code == 200 and body_of(several) == JPEG
    stale = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"0000"')
    assert stale.status_code == 200 and body_of(stale) == JPEG
    fresh = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=f'"{a_evidence.sha256}"')
    assert fresh.status_code == 206 and body_of(fresh) == JPEG[:10]


def test_delivery_headers(agency_a, a_evidence, stores) -> None:
    """BI-2/BI-3: nosniff, sandboxing CSP, detected type; attachment with an RFC 6266 name for downloads; inline
    for the player; documents never inline."""
    client = logged_in(agency_a[Role.OFFICER])
    download = client.get(f"/staff/records/evidence/{a_evidence.public_id}/download/")
    assert download["X-Content-Type-Options"] == "nosniff" and download["Content-Type"] == "image/jpeg"
    assert "sandbox" in download["Content-Security-Policy"] and download["Accept-Ranges"] == "bytes"
    disposition = download["Content-Disposition"]
    assert disposition.startswith('attachment; filename="evidence-') and disposition.endswith(".jpg")
    assert "filename*=UTF-8''" + quote("现场照片.jpg") in disposition
    inline = client.get(f"/staff/records/evidence/{a_evidence.public_id}/media/")
    assert inline["Content-Disposition"].startswith("inline;")
    tricky = store_evidence(agency_a[Role.OFFICER], PDF, name='x"\r\nSet-Cookie: a=b;\u202e.pdf')
    response = client.get(f"/staff/records/evidence/{tricky.public_id}/download/")
    header = response["Content-Disposition"]
    assert "\r" not in header and "\n" not in header and "\u202e" not in header and header.endswith(".pdf")
    assert response.get("Set-Cookie") is None
    media = client.get(f"/staff/records/evidence/{tricky.public_id}/media/")
    assert media.status_code == 302 and media["Location"].endswith("/download/")


def test_viewer_shows_players_and_badges(agency_a, a_evidence, stores) -> None:
    from datetime import timedelta

    from django.utils import timezone

    client = logged_in(agency_a[Role.OFFICER])
    page = client.get(f"/staff/records/evidence/{a_evidence.public_id}/").content.decode()
    assert f'<img class="img-fluid border rounded" src="/staff/records/evidence/{a_evidence.public_id}/media/"' in page
    assert "逾期上传" not in page
    video = store_evidence(agency_a[Role.OFFICER], MP4, captured_at=timezone.now() - timedelta(hours=48))
    page = client.get(f"/staff/records/evidence/{video.public_id}/").content.decode()
    assert "<video controls" in page and 'id="late-badge"' in page  # REC-8 warning badge


# ---------------------------------------------------------------------------------------------------------------
# Timeline, verification, transparency
# ---------------------------------------------------------------------------------------------------------------


VERIFIED = '<span class="text-success">已验证 ✓</span>'
PENDING = '<span class="text-muted">未纳入检查点</span>'
FAILED = '<span class="text-danger fw-semibold">验证失败 ✗</span>'


def test_timeline_shows_entries_in_order_with_proof_status(agency_a, a_evidence) -> None:
    second = store_evidence(agency_a[Role.UNIT_HEAD], MP4, stream=a_evidence.stream, name="录像.mp4")
    client = logged_in(agency_a[Role.LEGAL_REVIEWER])
    url = f"/staff/records/timeline/?stream={quote(a_evidence.stream)}"
    html = client.get(url).content.decode()
    assert html.index(f"#{a_evidence.ledger_seq}") < html.index(f"#{second.ledger_seq}")
    assert "evidence.added" in html and "现场照片.jpg" in html and "录像.mp4" in html
    assert agency_a[Role.OFFICER].full_name in html and agency_a[Role.UNIT_HEAD].full_name in html
    assert html.count(PENDING) == 2 and VERIFIED not in html
    checkpoint_create()
    html = client.get(url).content.decode()
    assert html.count(VERIFIED) == 2 and PENDING not in html
    third = store_evidence(agency_a[Role.OFFICER], JPEG[:-1], stream=a_evidence.stream, name="后补.jpg")
    html = client.get(url).content.decode()
    assert html.count(VERIFIED) == 2 and html.count(PENDING) == 1 and f"#{third.ledger_seq}" in html


def test_verify_button_rechecks_signature_root_leaves_and_files(agency_a, a_evidence) -> None:
    checkpoint_create()
    client = logged_in(agency_a[Role.OFFICER])
    page = client.get(f"/staff/records/timeline/?stream={quote(a_evidence.stream)}").content.decode()
    assert 'id="verify-button"' in page and "/staff/records/timeline/verify/" in page
    html = client.post("/staff/records/timeline/verify/", {"stream": a_evidence.stream}).content.decode()
    assert 'id="verify-result"' in html and "alert-success" in html
    assert "检查点签名：有效 ✓" in html and "一致 ✓" in html and "已验证 1 条" in html
    # A missing file shows up in the verification.
    from zhifa.records.blobstore import default_store

    path = default_store().path_for(a_evidence.sha256)
    path.unlink()
    html = client.post("/staff/records/timeline/verify/", {"stream": a_evidence.stream}).content.decode()
    assert "alert-danger" in html and "存储文件缺失或大小不符" in html and FAILED in html


def test_public_checkpoint_page_and_api_need_no_login(db, settings) -> None:
    anonymous = Client()
    empty = anonymous.get("/transparency/")
    assert empty.status_code == 200 and "尚未签发检查点" in empty.content.decode()
    cp = checkpoint_create()
    page = anonymous.get("/transparency/")
    html = page.content.decode()
    assert page.status_code == 200 and "script-src 'self'" in page["Content-Security-Policy"]
    assert public_key() in html and bytes(cp.root).hex() in html and "如何离线验证" in html
    assert cp.note.split("\n")[2] in html  # the base64 root line of the note
    note = anonymous.get("/transparency/checkpoint.txt")
    assert note.content.decode() == cp.note
    parsed = signednote.parse_note(note.content.decode())
    assert anonymous.get("/transparency/vkey.txt").content.decode().strip() == public_key()
    signer = log_signer()
    assert signednote.verify_signature(parsed, signednote.Verifier(signer.name, signednote.ALG_ED25519,
                                                                   signer.public_raw))
    api = api_prefix(settings)
    body = anonymous.get(f"{api}/checkpoint").json()
    assert body["size"] == cp.size and body["note"] == cp.note and body["public_key"] == public_key()
    assert base64.b64decode(body["root_hash"]) == bytes(cp.root) and body["root_hex"] == bytes(cp.root).hex()
