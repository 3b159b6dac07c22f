"""The 双公示 push to a provincial platform (issue 12, ADR 0046), against a receiver this test starts on 127.0.0.1:
delivered records are the export's, retries follow 5xx and refused connections with every attempt logged, a refusal
(4xx) fails at once with the receiver's words, a failed delivery can be sent again, the delivery log holds no
personal data, and another agency's delivery is a 404 — over the staff pages and the API."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from zhifa.accounts.roles import Role
from zhifa.cases.testing import new_penalty_case, person_party, walk_to
from zhifa.common.tasks import run_pending
from zhifa.disclosure.dualpub.models import DeliveryState, DualPubAttempt, DualPubDelivery
from zhifa.disclosure.dualpub.push import dualpub_push_request
from zhifa.disclosure.tests import test_dualpub as export_tests
from zhifa.disclosure.tests.test_dualpub import DS1_CODES, END, START, access_entries, token_client

pytestmark = pytest.mark.django_db


class Receiver:
    """A provincial platform stand-in: answers each POST with the next scripted status (200 once the script ends)."""

    def __init__(self, script: list[int]) -> None:
        self.script = list(script)
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = receiver.script.pop(0) if receiver.script else 200
                answer = json.dumps({"code": status, "msg": "数据格式错误" if status == 400 else "ok"},
                                    ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/dualpub/penalty"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    r = Receiver([])
    settings.ZHIFA_DUALPUB_PUSH_URL = r.url
    settings.ZHIFA_DUALPUB_PUSH_TOKEN = "province-secret"
    settings.ZHIFA_DUALPUB_PUSH_RETRY_SECONDS = 0
    settings.ZHIFA_DUALPUB_PUSH_MAX_ATTEMPTS = 4
    settings.ZHIFA_DUALPUB_PUSH_TIMEOUT = 5
    yield r
    r.close()


@pytest.fixture
def world(agency_a):  # type: ignore[no-untyped-def]
    return export_tests.make_case_world(agency_a)


@pytest.fixture
def decided(world):  # type: ignore[no-untyped-def]
    """The export tests' decided case (an organization party, a fine above the hearing threshold)."""
    return export_tests.decided.__wrapped__(world)


def staff_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_push_delivers_the_export_records_after_retrying_server_errors(world, decided, receiver) -> None:  # noqa: ANN001
    receiver.script = [503, 500]
    client = staff_client(world["disclosure_officer"])
    page = client.get(reverse("dualpub:page"), {"start": START, "end": END})
    assert "推送本范围的 1 条记录" in page.content.decode()
    response = client.post(reverse("dualpub:push"), {"start": START, "end": END})
    delivery = DualPubDelivery.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"{delivery.public_id}/")
    assert len(access_entries("dualpub_push")) == 1  # the request read the cases: a 调阅 entry
    assert delivery.state == DeliveryState.PENDING and receiver.received == []  # sent by the worker, not the request

    run_pending()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 3
    assert [a.status_code for a in DualPubAttempt.objects.order_by("number")] == [503, 500, 200]
    assert len(receiver.received) == 3
    keys = {r["headers"]["Idempotency-Key"] for r in receiver.received}
    assert keys == {str(delivery.public_id)}  # one key for every attempt: the receiver can tell repeats
    first = receiver.received[0]
    assert first["headers"]["Authorization"] == "Bearer province-secret"
    body = json.loads(first["body"])
    assert body["standard"] == "DS-1" and [c["code"] for c in body["columns"]] == DS1_CODES
    exported = client.get("/api/v1/disclosure/dualpub/penalties", {"start": START, "end": END}).json()
    assert body["records"] == [r["record"] for r in exported["records"]]  # the same records as the export
    assert body["records"][0]["CF_NR_FK"] == "12.345678"  # DS-5 万元, exact

    page = client.get(reverse("dualpub:delivery", args=[delivery.public_id])).content.decode()
    assert "已送达" in page and "HTTP 503" in page and "HTTP 200" in page


def test_push_refused_by_the_receiver_fails_at_once_and_can_be_sent_again(world, decided, receiver) -> None:  # noqa: ANN001
    receiver.script = [400]
    client = token_client(world["agency_head"])
    created = client.post("/api/v1/disclosure/dualpub/pushes", {"start": START, "end": END},
                          content_type="application/json")
    assert created.status_code == 202, created.content
    delivery_id = created.json()["id"]
    run_pending()
    detail = client.get(f"/api/v1/disclosure/dualpub/pushes/{delivery_id}").json()
    assert detail["state"] == "failed" and detail["attempts"] == 1  # a 4xx is not retried
    assert "HTTP 400" in detail["last_error"] and "数据格式错误" in detail["last_error"]
    assert detail["attempt_log"][0]["status_code"] == 400

    again = client.post(f"/api/v1/disclosure/dualpub/pushes/{delivery_id}/retry")
    assert again.status_code == 202 and again.json()["state"] == "pending"
    assert client.post(f"/api/v1/disclosure/dualpub/pushes/{delivery_id}/retry").status_code == 409
    run_pending()
    detail = client.get(f"/api/v1/disclosure/dualpub/pushes/{delivery_id}").json()
    assert detail["state"] == "delivered" and [a["status_code"] for a in detail["attempt_log"]] == [400, 200]
    listed = client.get("/api/v1/disclosure/dualpub/pushes").json()
    assert [d["id"] for d in listed] == [delivery_id]


def test_push_retries_a_refused_connection_then_gives_up(world, decided, settings) -> None:  # noqa: ANN001
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.ZHIFA_DUALPUB_PUSH_URL = f"http://127.0.0.1:{port}/x"
    settings.ZHIFA_DUALPUB_PUSH_RETRY_SECONDS = 0
    settings.ZHIFA_DUALPUB_PUSH_MAX_ATTEMPTS = 3
    delivery, _rows = dualpub_push_request(user=world["disclosure_officer"], start=decided.decided_on,
                                           end=decided.decided_on)
    run_pending()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == 3
    attempts = list(DualPubAttempt.objects.order_by("number"))
    assert all(a.status_code is None and "Connection" in a.error for a in attempts)
    page = staff_client(world["disclosure_officer"]).get(reverse("dualpub:delivery", args=[delivery.public_id]))
    assert "推送失败" in page.content.decode() and "重新推送" in page.content.decode()


def test_push_log_holds_no_personal_data(world, receiver) -> None:  # noqa: ANN001
    case = walk_to(world, new_penalty_case(world, parties=[person_party(name="王小明")]), "decided")
    delivery, _rows = dualpub_push_request(user=world["disclosure_officer"], start=case.decided_on,
                                           end=case.decided_on)
    run_pending()
    sent = json.loads(receiver.received[0]["body"])["records"][0]
    assert sent["CF_XDR_ZJHM"] and sent["CF_XDR_MC"] == "王小明"  # DS-1 requires them in what is sent …
    stored = json.dumps([list(DualPubDelivery.objects.values()), list(DualPubAttempt.objects.values())],
                        default=str, ensure_ascii=False)
    assert sent["CF_XDR_ZJHM"] not in stored and "王小明" not in stored  # … never in what is kept


def test_push_scoped_to_the_agency_and_refused_without_a_url(world, decided, receiver, agency_b, settings) -> None:  # noqa: ANN001
    delivery, _rows = dualpub_push_request(user=world["disclosure_officer"], start=decided.decided_on,
                                           end=decided.decided_on)
    other = agency_b[Role.DISCLOSURE_OFFICER]
    assert staff_client(other).get(reverse("dualpub:delivery", args=[delivery.public_id])).status_code == 404
    assert staff_client(other).post(reverse("dualpub:retry", args=[delivery.public_id])).status_code == 404
    api = token_client(other)
    assert api.get(f"/api/v1/disclosure/dualpub/pushes/{delivery.public_id}").status_code == 404
    assert api.post(f"/api/v1/disclosure/dualpub/pushes/{delivery.public_id}/retry").status_code == 404
    assert api.get("/api/v1/disclosure/dualpub/pushes").json() == []
    assert token_client(world["officer"]).post("/api/v1/disclosure/dualpub/pushes", {},
                                               content_type="application/json").status_code == 403

    settings.ZHIFA_DUALPUB_PUSH_URL = ""
    client = staff_client(world["disclosure_officer"])
    refused = client.post(reverse("dualpub:push"), {"start": START, "end": END}, follow=True)
    assert "尚未配置省级信用平台的接收地址" in refused.content.decode()
    assert DualPubDelivery.objects.count() == 1  # nothing new recorded
    assert token_client(world["agency_head"]).post("/api/v1/disclosure/dualpub/pushes", {"start": START, "end": END},
                                                   content_type="application/json").status_code == 409
