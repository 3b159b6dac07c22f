"""Staff pages of cases: list, due list, new case, case page, action pages (generated forms), access and scoping."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.urls import reverse

from zhifa.cases.engine import KINDS
from zhifa.cases.forms import parse_choice_labels, schema_form_class
from zhifa.cases.models import Case
from zhifa.cases.testing import (
    DAY,
    CaseWorld,
    make_case_world,
    new_penalty_case,
    person_party,
    walk_to,
)
from zhifa.records.access import ACCESS_KIND
from zhifa.records.ledger import tree_head
from zhifa.records.models import LedgerEntry
from zhifa.records.testing import business_entries_since

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(agency_a) -> CaseWorld:  # type: ignore[no-untyped-def]
    return make_case_world(agency_a)


def detail_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.public_id])


def act_url(case: Case, action: str) -> str:
    return reverse("cases:act", args=[case.public_id, action])


def act_links(html: str, case: Case) -> set[str]:
    prefix = f"/staff/cases/{case.public_id}/act/"
    found = set()
    for part in html.split(f'href="{prefix}')[1:]:
        found.add(part.split("/", 1)[0])
    return found


# ---------------------------------------------------------------------------------------------- the forms


def test_every_action_schema_gives_a_form():
    for kind in KINDS.values():
        for action in kind.actions.values():
            form_class = schema_form_class(action.schema)
            assert form_class is schema_form_class(action.schema)  # cached per schema
            for name in action.schema.model_fields:
                assert name in form_class.base_fields, (kind.code, action.name, name)


def test_choice_labels_from_description():
    assert parse_choice_labels("person 自然人；organization 法人或者其他组织", ("person", "organization")) == {
        "person": "自然人", "organization": "法人或者其他组织"}
    assert parse_choice_labels("默认今天（CASE-2）", ("a",)) is None


def test_generated_form_fields(world):
    from zhifa.cases.kinds.penalty import NoticeIn, ServeIn
    from zhifa.cases.kinds.simple import OnSpotIn

    case = new_penalty_case(world)
    form = schema_form_class(OnSpotIn)(case=case, today=DAY)
    assert form.fields["on"].widget.input_type == "date"
    assert form.fields["facts"].widget.__class__.__name__ == "Textarea"  # max_length 5000
    assert form.fields["place"].widget.__class__.__name__ == "TextInput"
    assert dict(form.fields["penalty_kinds"].choices) == {"warning": "警告", "fine": "罚款"}
    staff = dict(form.fields["staff"].choices)
    assert any("钱协管" in label and "辅助人员" in label for label in staff.values())
    assert any("王建国" in label and "有效期至" in label for label in staff.values())
    assert form.fields["staff"].required and not form.fields["on"].required
    notice = schema_form_class(NoticeIn)(case=case, today=DAY)
    assert "articles" not in notice.fields  # no power item with a legal basis: hidden
    assert dict(notice.fields["penalty_kinds"].choices)["confiscate_gains"] == "没收违法所得"
    serve = schema_form_class(ServeIn)(case=case, today=DAY)
    assert dict(serve.fields["method"].choices)["refused_left"] == "留置送达"


# --------------------------------------------------------------------------------------------------- pages


def test_pages_render_for_the_agency(client, world):
    case = new_penalty_case(world)
    client.force_login(world["officer"])
    response = client.get(reverse("cases:list") + "?scope=all")
    assert response.status_code == 200
    html = response.content.decode()
    assert case.reference in html and "张三" in html and "案源登记" in html
    assert client.get(reverse("cases:list") + "?scope=all&kind=penalty&state=lead_registered&q=采砂").status_code == 200
    partial = client.get(reverse("cases:list") + "?scope=all", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and b"<html" not in partial.content and case.reference.encode() in partial.content
    assert client.get(reverse("cases:due")).status_code == 200
    page = client.get(detail_url(case))
    assert page.status_code == 200
    html = page.content.decode()
    assert case.reference in html and case.title in html and "上传证据（拍照/录像）" in html
    assert client.get(act_url(case, "add_party")).status_code == 200
    assert client.get(reverse("cases:new") + "?kind=penalty_simple").status_code == 200
    upload = client.get(reverse("cases:upload", args=[case.public_id]))
    assert upload.status_code == 200
    assert b'accept="image/*,video/*,audio/*"' in upload.content and b'capture="environment"' in upload.content
    assert case.stream.encode() in upload.content


def test_due_list_shows_the_decision_deadline(client, world):
    case = walk_to(world, new_penalty_case(world), "filed")
    client.force_login(world["agency_head"])
    html = client.get(reverse("cases:due")).content.decode()
    # Filed on DAY: the 90-day limit (CASE-44) has passed by now, or is running: either way it is listed.
    if case.deadlines.get(code="decision").due >= date.today():
        assert "CASE-44" in html or "近期没有" in html
    else:
        assert "CASE-44" in html and "已逾期" in html and case.reference in html
    page = client.get(detail_url(case)).content.decode()
    assert 'id="decision-countdown"' in page and "CASE-44" in page


def test_other_agency_gets_404(client, world, agency_b):
    case = new_penalty_case(world)
    client.force_login(agency_b["agency_head"])
    assert client.get(detail_url(case)).status_code == 404
    assert client.get(act_url(case, "approve_filing")).status_code == 404
    assert client.post(act_url(case, "approve_filing"), {}).status_code == 404
    assert client.get(reverse("cases:upload", args=[case.public_id])).status_code == 404
    assert case.reference not in client.get(reverse("cases:list") + "?scope=all").content.decode()
    case.refresh_from_db()
    assert case.state == "lead_registered"


def test_page_offers_only_allowed_actions(client, world):
    case = new_penalty_case(world)
    client.force_login(world["officer"])
    html = client.get(detail_url(case)).content.decode()
    assert "批准立案" not in html and "approve_filing" not in act_links(html, case)
    assert {"add_party", "update_details"} <= act_links(html, case)
    client.force_login(world["agency_head"])
    html = client.get(detail_url(case)).content.decode()
    assert "批准立案" in html and {"approve_filing", "decline_filing"} <= act_links(html, case)
    # The officer who opens the action URL anyway gets the reason and no submit button.
    client.force_login(world["officer"])
    response = client.get(act_url(case, "approve_filing"))
    assert response.status_code == 200
    assert "您的角色不能“批准立案”" in response.content.decode()
    assert 'type="submit">批准立案' not in response.content.decode()
    assert client.get(act_url(case, "no_such_action")).status_code == 404


def test_blocked_action_shows_the_rule_and_changes_nothing(client, world):
    case = walk_to(world, new_penalty_case(world), "filed")
    client.force_login(world["unit_head"])
    size_before = tree_head()[0]
    response = client.post(act_url(case, "assign_officers"), {
        "staff": [str(world.auxiliary.public_id), str(world.officers[0].public_id)], "on": "2026-06-01"})
    html = response.content.decode()
    assert response.status_code == 409
    assert 'id="action-error"' in html and ("REG-9" in html or "REG-8" in html)
    assert "辅助人员" in html
    # The input is kept: both chosen people are still ticked.
    assert html.count("checked") >= 2 and "2026-06-01" in html
    case.refresh_from_db()
    assert case.state == "filed"
    assert business_entries_since(size_before) == []  # re-showing the form is a 调阅, nothing else (defect 9)


def test_successful_action_through_the_form(client, world):
    case = new_penalty_case(world)
    client.force_login(world["agency_head"])
    response = client.post(act_url(case, "approve_filing"), {"filed_on": "2026-06-01", "opinion": "同意立案"})
    assert response.status_code == 302 and response["Location"] == detail_url(case)
    case.refresh_from_db()
    assert case.state == "filed" and case.penalty.filed_on == date(2026, 6, 1)
    page = client.get(detail_url(case))
    html = page.content.decode()
    assert "已完成“批准立案”" in html
    assert "已立案" in html
    doc = case.deadlines.get(code="decision")
    assert doc.rule == "CASE-44"


def test_invalid_form_input_stays_on_the_page_in_chinese(client, world):
    case = walk_to(world, new_penalty_case(world), "filed")
    client.force_login(world["unit_head"])
    size_before = tree_head()[0]
    response = client.post(act_url(case, "assign_officers"), {"on": "不是日期"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "这个字段是必填项。" in html and "输入一个有效的日期。" in html
    assert business_entries_since(size_before) == []  # re-showing the form is a 调阅, nothing else (defect 9)


def test_case_page_appends_an_access_entry(client, world):
    case = new_penalty_case(world)
    client.force_login(world["officer"])

    def accesses() -> list[dict]:
        rows = LedgerEntry.objects.filter(kind=ACCESS_KIND).order_by("seq")
        return [json.loads(bytes(e.canonical))["payload"] for e in rows]

    before = [p for p in accesses() if p["object_id"] == str(case.public_id)]
    assert client.get(detail_url(case)).status_code == 200
    after = [p for p in accesses() if p["object_id"] == str(case.public_id)]
    assert len(after) == len(before) + 1
    assert after[-1]["object_kind"] == "case" and after[-1]["action"] == "view"


def test_case_page_is_503_when_the_access_log_fails(client, world, monkeypatch):
    from zhifa.records.access import AccessLogUnavailable

    case = new_penalty_case(world)
    client.force_login(world["officer"])

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise AccessLogUnavailable("down")

    monkeypatch.setattr("zhifa.cases.selectors.record_access", broken)
    response = client.get(detail_url(case))
    assert response.status_code == 503 and case.title.encode() not in response.content


# ------------------------------------------------------------------------------------------------ new case


def new_case_post(case_kind: str, **party: str) -> dict[str, str]:
    data = {"kind": case_kind, "title": "在河道管理范围内违法采砂", "source_kind": "inspection",
            "violation_place": "临湘市长江干流江南段", "act_date": DAY.isoformat(), "discovered_on": DAY.isoformat()}
    data.update({f"party-{k}": v for k, v in party.items()})
    return data


def test_new_case_with_a_person_party(client, world):
    client.force_login(world["officer"])
    person = person_party(name="赵六")
    response = client.post(reverse("cases:new") + "?kind=penalty_simple",
                           new_case_post("penalty_simple", kind="person", name="赵六", id_number=person["id_number"]))
    assert response.status_code == 302
    case = Case.objects.get(title="在河道管理范围内违法采砂")
    assert case.kind == "penalty_simple" and case.state == "on_site"
    party = case.parties.get()
    assert party.name == "赵六" and party.id_number == person["id_number"] and party.uscc == ""
    assert response["Location"] == detail_url(case)


def test_new_case_errors_per_field_in_chinese(client, world):
    client.force_login(world["officer"])
    size_before = tree_head()[0]
    response = client.post(reverse("cases:new") + "?kind=penalty",
                           new_case_post("penalty", kind="person", name="赵六", id_number="430682198005010000"))
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="form-error"' in html and "公民身份号码" in html
    assert 'class="invalid-feedback d-block"' in html
    assert not Case.objects.exists() and tree_head()[0] == size_before
    missing = client.post(reverse("cases:new") + "?kind=penalty", {"kind": "penalty"})
    assert missing.status_code == 400 and "这个字段是必填项。" in missing.content.decode()


def test_new_case_needs_an_officer(client, world):
    client.force_login(world["archivist"])
    assert client.get(reverse("cases:new") + "?kind=penalty").status_code == 403
    client.force_login(world["officer"])
    assert client.get(reverse("cases:new") + "?kind=nonsense").status_code == 404


# ------------------------------------------------------------------------------------------- evidence upload

JPEG = bytes.fromhex(  # a real 1 x 1 JPEG: image uploads need a readable header (issue 9 defect 13)
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f"
    "1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f0000"
    "010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d0102030004"
    "1105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a43"
    "4445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6"
    "a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda"
    "0008010100003f00fbd3ffd9"
) + bytes(range(256)) * 8
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(range(256)) * 64


@pytest.fixture
def stores(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.ZHIFA_BLOB_DIR = tmp_path / "blobs"
    settings.ZHIFA_UPLOAD_TMP_DIR = tmp_path / "upload-tmp"


def capture_fields(case: Case) -> dict[str, str]:
    from django.utils import timezone

    return {"stream": case.stream, "captured_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "captured_by": "王建国"}


def test_upload_from_the_case_page_returns_to_it(client, world, stores):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhifa.records.models import Evidence

    case = new_penalty_case(world)
    client.force_login(world["officer"])
    response = client.post(reverse("cases:upload", args=[case.public_id]), {
        **capture_fields(case), "file": SimpleUploadedFile("现场照片.jpg", JPEG, content_type="image/jpeg")})
    assert response.status_code == 302 and response["Location"] == detail_url(case) + "#evidence"
    evidence = Evidence.objects.get(stream=case.stream)
    html = client.get(detail_url(case)).content.decode()
    assert "现场照片.jpg" in html and reverse("records:evidence_detail", args=[evidence.public_id]) in html


def test_resumable_upload_through_the_case_page(client, world, stores):
    from zhifa.cases.kinds.common import RecordIn
    from zhifa.records.models import Evidence

    case = walk_to(world, new_penalty_case(world), "investigating")
    client.force_login(world["officer"])
    created = client.post(reverse("cases:upload_session", args=[case.public_id]), {
        **capture_fields(case), "filename": "执法记录仪.mp4", "size": str(len(MP4))})
    assert created.status_code == 201
    session = created.json()
    assert session["finish_url"] == reverse("cases:upload_finish", args=[case.public_id, session["id"]])
    put = client.generic("PUT", session["chunk_url"], MP4, content_type="application/octet-stream",
                         HTTP_UPLOAD_OFFSET="0")
    assert put.status_code == 200
    finished = client.post(session["finish_url"])
    assert finished.status_code == 201 and finished.json()["evidence_url"] == detail_url(case) + "#evidence"
    video = Evidence.objects.get(stream=case.stream)
    # The video is offered as a recording of the case's next written record.
    form = schema_form_class(RecordIn)(case=case, today=DAY, user=world["officer"])
    assert str(video.public_id) in dict(form.fields["recordings"].choices)


def test_the_forms_evidence_list_is_a_logged_read_rec_12(client, world, stores):
    """REC-12: the record form's list of the case's recordings is a staff read of evidence: it goes through the
    records selector, which writes a 调阅 entry (stream list) before the list is built; no user, no list."""
    import json

    from zhifa.cases.kinds.common import RecordIn
    from zhifa.cases.testing import upload_recording
    from zhifa.records.access import ACCESS_KIND
    from zhifa.records.models import LedgerEntry

    case = walk_to(world, new_penalty_case(world), "investigating")
    recording = upload_recording(world["officer"], case)
    assert not schema_form_class(RecordIn)(case=case, today=DAY).fields["recordings"].choices
    before = LedgerEntry.objects.filter(kind=ACCESS_KIND).count()
    form = schema_form_class(RecordIn)(case=case, today=DAY, user=world["officer"])
    assert str(recording.public_id) in dict(form.fields["recordings"].choices)
    logged = list(LedgerEntry.objects.filter(kind=ACCESS_KIND).order_by("seq"))[before:]
    payloads = [json.loads(bytes(e.canonical))["payload"] for e in logged]
    assert [(p["object_kind"], p["object_id"], p["action"]) for p in payloads] == [("stream", case.stream, "list")]
    # ... and so is the action page that shows the form.
    client.force_login(world["officer"])
    assert client.get(act_url(case, "record_inspection")).status_code == 200
    payloads = [json.loads(bytes(e.canonical))["payload"]
                for e in LedgerEntry.objects.filter(kind=ACCESS_KIND).order_by("seq")]
    assert ("stream", case.stream, "list") in [(p["object_kind"], p["object_id"], p["action"]) for p in payloads[-3:]]


def test_upload_to_another_agencys_case_is_404(client, world, agency_b, stores):
    case = new_penalty_case(world)
    client.force_login(agency_b["officer"])
    assert client.post(reverse("cases:upload_session", args=[case.public_id]), {
        **capture_fields(case), "filename": "x.mp4", "size": "10"}).status_code == 404
    # The finish wrapper checks the case first, whatever the session.
    import uuid

    finish = reverse("cases:upload_finish", args=[case.public_id, uuid.uuid4()])
    assert client.post(finish).status_code == 404


def test_update_details_starts_from_the_case_and_sends_only_changes(client, world):
    case = new_penalty_case(world)
    client.force_login(world["officer"])
    page = client.get(act_url(case, "update_details")).content.decode()
    assert f'value="{case.title}"' in page and 'value="2026-05-20"' in page  # the act date, prefilled
    form = client.get(act_url(case, "update_details")).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}
    data["title"] = "未经许可在河道管理范围内采砂案"
    response = client.post(act_url(case, "update_details"), data)
    assert response.status_code == 302, response.content.decode()
    case.refresh_from_db()
    assert case.title == "未经许可在河道管理范围内采砂案" and case.act_date == date(2026, 5, 20)
    entry = LedgerEntry.objects.filter(kind="case.update_details").get()
    assert json.loads(bytes(entry.canonical))["payload"]["changed"] == ["title"]
