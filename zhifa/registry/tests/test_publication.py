"""Registry publication workflow (REG-2, REG-3, REG-15), compliance checks (REG-8, REG-20, REG-23), versioning
(CASE-27), through the services, the staff UI and the API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client

from zhifa.accounts.roles import Role
from zhifa.accounts.services import api_token_create
from zhifa.common.errors import InvalidState, NotAllowed, ServiceError
from zhifa.disclosure.models import PublicEntry
from zhifa.registry import models as reg
from zhifa.registry import services
from zhifa.registry.selectors import agency_compliance, certified_officers
from zhifa.registry.services import FormInvalid

S = reg.PublicationStatus


def _power_item(p, name: str = "对未经批准擅自取水的处罚") -> reg.PowerItem:
    return services.entry_create(
        actor=p[Role.AGENCY_ADMIN], slug="power_item",
        data={"code": "XZCF-001", "name": name, "action_type": "penalty", "responsible_unit": str(p.unit.public_id)},
    )


def test_reg2_power_item_cannot_be_published_before_legality_review(agency_a) -> None:
    item = _power_item(agency_a)
    with pytest.raises(InvalidState) as exc:
        services.entry_publish(actor=agency_a[Role.DISCLOSURE_OFFICER], obj=item)
    assert exc.value.rule == "REG-2"
    services.entry_submit(actor=agency_a[Role.AGENCY_ADMIN], obj=item)
    with pytest.raises(InvalidState):
        services.entry_publish(actor=agency_a[Role.DISCLOSURE_OFFICER], obj=item)
    assert not PublicEntry.objects.filter(source_id=item.pk, kind="power_item").exists()


def test_reg2_review_records_reviewer_and_date_then_publication_builds_snapshot(agency_a) -> None:
    item = _power_item(agency_a)
    services.entry_submit(actor=agency_a[Role.AGENCY_ADMIN], obj=item)
    reviewed = services.entry_review(actor=agency_a[Role.LEGAL_REVIEWER], obj=item, approve=True, opinion="合法")
    assert reviewed.publication_status == S.REVIEWED
    assert reviewed.reviewed_by == agency_a[Role.LEGAL_REVIEWER] and reviewed.reviewed_at is not None
    published = services.entry_publish(actor=agency_a[Role.DISCLOSURE_OFFICER], obj=item)
    assert published.publication_status == S.PUBLISHED and published.published_version == 1
    entry = PublicEntry.objects.get(kind="power_item", source_id=item.pk, is_current=True)
    assert entry.title == "对未经批准擅自取水的处罚" and entry.version == 1


def test_reg2_only_a_legal_reviewer_of_the_same_agency_reviews(agency_a, agency_b) -> None:
    item = _power_item(agency_a)
    services.entry_submit(actor=agency_a[Role.AGENCY_ADMIN], obj=item)
    with pytest.raises(NotAllowed):
        services.entry_review(actor=agency_a[Role.OFFICER], obj=item, approve=True)
    with pytest.raises(NotAllowed):
        services.entry_review(actor=agency_b[Role.LEGAL_REVIEWER], obj=item, approve=True)


def test_reg2_rejection_needs_an_opinion_and_returns_to_draft(agency_a) -> None:
    item = _power_item(agency_a)
    services.entry_submit(actor=agency_a[Role.AGENCY_ADMIN], obj=item)
    with pytest.raises(ServiceError):
        services.entry_review(actor=agency_a[Role.LEGAL_REVIEWER], obj=item, approve=False, opinion=" ")
    back = services.entry_review(actor=agency_a[Role.LEGAL_REVIEWER], obj=item, approve=False, opinion="缺少法律依据")
    assert back.publication_status == S.DRAFT and back.review_opinion == "缺少法律依据"


def _publish(p, item) -> None:
    services.entry_submit(actor=p[Role.AGENCY_ADMIN], obj=item)
    services.entry_review(actor=p[Role.LEGAL_REVIEWER], obj=item, approve=True)
    services.entry_publish(actor=p[Role.DISCLOSURE_OFFICER], obj=item)


def test_reg3_change_after_publication_needs_review_again_and_public_keeps_old_version(agency_a) -> None:
    item = _power_item(agency_a)
    _publish(agency_a, item)
    data = {"code": "XZCF-001", "name": "对未经批准擅自取水的行政处罚", "action_type": "penalty"}
    changed = services.entry_update(actor=agency_a[Role.AGENCY_ADMIN], slug="power_item", obj=item, data=data)
    assert changed.publication_status == S.DRAFT
    current = PublicEntry.objects.get(kind="power_item", source_id=item.pk, is_current=True)
    assert current.title == "对未经批准擅自取水的处罚"  # still the reviewed version
    with pytest.raises(InvalidState):
        services.entry_publish(actor=agency_a[Role.DISCLOSURE_OFFICER], obj=changed)
    _publish(agency_a, changed)
    current = PublicEntry.objects.get(kind="power_item", source_id=item.pk, is_current=True)
    assert current.title == "对未经批准擅自取水的行政处罚" and current.version == 2
    assert PublicEntry.objects.filter(kind="power_item", source_id=item.pk).count() == 2


def test_reg3_adding_a_procedure_step_sends_published_item_back_to_review(agency_a) -> None:
    item = _power_item(agency_a)
    _publish(agency_a, item)
    services.entry_create(
        actor=agency_a[Role.AGENCY_ADMIN], slug="step", parent=item,
        data={"order": 1, "name": "立案", "time_limit_days": 7, "time_limit_kind": "working"},
    )
    item.refresh_from_db()
    assert item.publication_status == S.DRAFT


def test_withdraw_takes_entry_off_at_once_and_published_entries_cannot_be_deleted(agency_a) -> None:
    item = _power_item(agency_a)
    _publish(agency_a, item)
    with pytest.raises(InvalidState):
        services.entry_delete(actor=agency_a[Role.AGENCY_ADMIN], slug="power_item", obj=item)
    services.entry_withdraw(actor=agency_a[Role.DISCLOSURE_OFFICER], obj=item)
    assert not PublicEntry.objects.filter(kind="power_item", source_id=item.pk, is_current=True).exists()
    assert PublicEntry.objects.get(kind="power_item", source_id=item.pk).withdrawn_at is not None


def test_reg15_roster_needs_no_legality_review_and_shows_only_valid_certificates(agency_a) -> None:
    staff = agency_a.staff
    reg.Certificate.objects.create(
        staff=staff, number="EXPIRED-1", certificate_type="provincial", issuer="省政府",
        valid_from=date(2018, 1, 1), valid_to=date(2020, 12, 31), domains="水行政",
    )
    with pytest.raises(InvalidState):
        services.entry_submit(actor=agency_a[Role.AGENCY_ADMIN], obj=staff)
    services.entry_publish(actor=agency_a[Role.DISCLOSURE_OFFICER], obj=staff)
    body = PublicEntry.objects.get(kind="officer", source_id=staff.pk, is_current=True).body
    numbers = [c["number"] for c in body["certificates"]]
    assert agency_a.certificate.number in numbers and "EXPIRED-1" not in numbers
    assert set(body) == {"name", "unit", "position", "certificates"}


def test_form_errors_are_chinese_and_nothing_is_saved(agency_a) -> None:
    with pytest.raises(FormInvalid) as exc:
        services.entry_create(
            actor=agency_a[Role.AGENCY_ADMIN], slug="certificate", parent=agency_a.staff,
            data={"number": "", "certificate_type": "provincial", "issuer": "省政府", "valid_from": "2026-05-01",
                  "valid_to": "2026-01-01", "domains": "水"},
        )
    assert "number" in exc.value.errors
    assert reg.Certificate.objects.filter(staff=agency_a.staff).count() == 1


def test_cross_agency_reference_is_refused(agency_a, agency_b) -> None:
    """A power item may only name a unit of its own agency."""
    with pytest.raises(FormInvalid) as exc:
        services.entry_create(
            actor=agency_a[Role.AGENCY_ADMIN], slug="power_item",
            data={"code": "X-2", "name": "某事项", "action_type": "penalty",
                  "responsible_unit": str(agency_b.unit.public_id)},
        )
    assert "responsible_unit" in exc.value.errors


def test_agency_uscc_is_validated_and_normalised(system_admin, bureau) -> None:
    from zhifa.registry.testing import make_uscc

    good = make_uscc()
    data = {"name": "演示镇人民政府", "uscc": good.lower(), "kind": "township_devolved", "level": "township",
            "region_code": "430682", "sector": "other", "av_device_count": "0"}
    agency = services.entry_create(actor=system_admin, slug="agency", data=data)
    assert agency.uscc == good
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(FormInvalid) as exc:
        services.entry_create(actor=system_admin, slug="agency", data={**data, "name": "另一个", "uscc": bad})
    assert "uscc" in exc.value.errors


@pytest.mark.parametrize(("officers", "required"), [(0, 1), (1, 1), (20, 1), (21, 2), (40, 2), (41, 3), (100, 5)])
def test_reg20_required_reviewers(officers: int, required: int) -> None:
    assert reg.required_legal_reviewers(officers) == required


@pytest.mark.parametrize(("officers", "required"), [(0, 0), (1, 1), (2, 1), (3, 2), (10, 5), (11, 6)])
def test_reg23_required_av_devices(officers: int, required: int) -> None:
    assert reg.required_av_devices(officers) == required


def test_reg8_auxiliary_expired_and_suspended_staff_are_not_officers(agency_a) -> None:
    agency = agency_a.agency
    aux = reg.Staff.objects.create(agency=agency, name="辅助员", is_auxiliary=True)
    reg.Certificate.objects.create(staff=aux, number="AUX-1", certificate_type="provincial", issuer="x",
                                   valid_from=date(2024, 1, 1), valid_to=date(2030, 1, 1), domains="水")
    suspended = reg.Staff.objects.create(agency=agency, name="暂扣员")
    reg.Certificate.objects.create(staff=suspended, number="SUS-1", certificate_type="provincial", issuer="x",
                                   valid_from=date(2024, 1, 1), valid_to=date(2030, 1, 1), domains="水",
                                   status="suspended")
    names = set(certified_officers(agency).values_list("name", flat=True))
    assert names == {"A执法员"}
    assert aux.valid_certificate_on(date(2026, 6, 1)) is None
    cert = agency_a.certificate
    assert agency_a.staff.valid_certificate_on(cert.valid_to) == cert
    assert agency_a.staff.valid_certificate_on(cert.valid_to + timedelta(days=1)) is None


def test_reg20_reg23_alerts_on_staff_home(agency_a) -> None:
    """With one officer and no legal reviewer or device, the home page shows both alerts."""
    c = agency_compliance(user=agency_a[Role.AGENCY_HEAD], agency=agency_a.agency)
    assert (c.officers, c.reviewer_shortfall, c.device_shortfall) == (1, 1, 1)
    client = Client()
    client.force_login(agency_a[Role.AGENCY_HEAD])
    html = client.get("/staff/").content.decode()
    assert 'data-rule="REG-20"' in html and 'data-rule="REG-23"' in html
    reg.Staff.objects.create(agency=agency_a.agency, name="法制员", is_legal_reviewer=True)
    reg.Agency.objects.filter(pk=agency_a.agency.pk).update(av_device_count=1)
    html = client.get("/staff/").content.decode()
    assert 'data-rule="REG-20"' not in html and 'data-rule="REG-23"' not in html


def test_case27_benchmark_new_version_copies_tiers_and_keeps_old(agency_a) -> None:
    item = _power_item(agency_a)
    bench = services.entry_create(
        actor=agency_a[Role.AGENCY_ADMIN], slug="benchmark",
        data={"power_item": str(item.public_id), "code": "CL-1", "title": "擅自取水裁量基准",
              "effective_from": "2026-01-01"},
    )
    services.entry_create(actor=agency_a[Role.AGENCY_ADMIN], slug="tier", parent=bench,
                          data={"order": 1, "degree": "轻微", "circumstances": "首次且及时改正", "penalty": "罚款2万元",
                                "fine_min": "20000", "fine_max": "50000"})
    _publish(agency_a, bench)
    new = services.benchmark_new_version(actor=agency_a[Role.AGENCY_ADMIN], benchmark=bench)
    assert new.version == 2 and new.tiers.count() == 1 and new.publication_status == S.DRAFT
    assert reg.DiscretionBenchmark.objects.get(pk=bench.pk).publication_status == S.PUBLISHED


def test_staff_ui_full_workflow(agency_a) -> None:
    """End to end in the UI: create, submit, review, publish a power item; each actor sees only its buttons."""
    admin, reviewer, publisher = (Client() for _ in range(3))
    admin.force_login(agency_a[Role.AGENCY_ADMIN])
    reviewer.force_login(agency_a[Role.LEGAL_REVIEWER])
    publisher.force_login(agency_a[Role.DISCLOSURE_OFFICER])
    r = admin.post("/staff/power_item/new/", {"code": "XZJC-1", "name": "水资源检查", "action_type": "inspection"})
    assert r.status_code == 302
    item = reg.PowerItem.objects.get(code="XZJC-1")
    url = f"/staff/power_item/{item.public_id}/"
    assert "提交合法性审核" in admin.get(url).content.decode()
    admin.post(url + "submit/")
    page = reviewer.get("/staff/").content.decode()
    assert "水资源检查" in page  # on the reviewer's to-do list
    reviewer.post(url + "approve/")
    assert "发布" in publisher.get(url).content.decode()
    publisher.post(url + "publish/")
    item.refresh_from_db()
    assert item.publication_status == S.PUBLISHED and item.reviewed_by == agency_a[Role.LEGAL_REVIEWER]


def test_staff_ui_invalid_form_keeps_input_and_shows_chinese_error(agency_a) -> None:
    client = Client()
    client.force_login(agency_a[Role.AGENCY_ADMIN])
    r = client.post("/staff/power_item/new/", {"code": "", "name": "保留这段输入", "action_type": "penalty"})
    html = r.content.decode()
    assert r.status_code == 200 and "保留这段输入" in html and "这个字段是必填项" in html


def test_api_full_workflow_with_tokens(agency_a) -> None:
    def client_for(role: str) -> Client:
        _row, token = api_token_create(user=agency_a[role], name="api test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    admin, reviewer, publisher = client_for(Role.AGENCY_ADMIN), client_for(Role.LEGAL_REVIEWER), client_for(
        Role.DISCLOSURE_OFFICER)
    r = admin.post("/api/v1/registry/power_item", {"code": "XZCF-9", "name": "对违法取水的处罚",
                                                    "action_type": "penalty"}, content_type="application/json")
    assert r.status_code == 201, r.content
    pid = r.json()["public_id"]
    r = admin.post("/api/v1/registry/step", {"parent": pid, "order": 1, "name": "立案", "time_limit_days": 7,
                                              "time_limit_kind": "working"}, content_type="application/json")
    assert r.status_code == 201, r.content
    r = publisher.post(f"/api/v1/registry/power_item/{pid}/publish")
    assert r.status_code == 409 and r.json()["rule"] == "REG-2"
    assert admin.post(f"/api/v1/registry/power_item/{pid}/submit").json()["publication_status"] == "submitted"
    r = reviewer.post(f"/api/v1/registry/power_item/{pid}/review", {"approve": True}, content_type="application/json")
    assert r.json()["publication_status"] == "reviewed"
    r = publisher.post(f"/api/v1/registry/power_item/{pid}/publish")
    assert r.json() == {"public_id": pid, "publication_status": "published", "published_version": 1}
    r = admin.patch(f"/api/v1/registry/power_item/{pid}", {"name": "对违法取水行为的处罚"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["publication_status"] == "draft" and r.json()["code"] == "XZCF-9"
    r = admin.post("/api/v1/registry/power_item", {"code": "", "name": "x", "action_type": "penalty"},
                   content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "invalid" and "code" in r.json()["errors"]


def test_openapi_and_docs_are_served_offline(db) -> None:
    client = Client()
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/registry/power_item" in schema["paths"]
    html = client.get("/api/v1/docs").content.decode()
    assert "cdn" not in html.lower() and "/static/" in html


def test_reg6a_reg5_entrusted_organization_needs_its_delegator(system_admin, agency_a) -> None:
    """REG-6a/REG-5: a 受委托组织 acts in the delegator's name, so it cannot be registered without one."""
    from zhifa.registry.testing import make_uscc

    data = {"name": "某水利工程管理站", "uscc": make_uscc(), "kind": "entrusted_organization", "level": "county",
            "region_code": "430682", "sector": "water", "av_device_count": "0"}
    with pytest.raises(FormInvalid):
        services.entry_create(actor=system_admin, slug="agency", data=data)
    data["delegated_by"] = str(agency_a.agency.public_id)
    data["delegation_document"] = "委托事项：河道巡查中的行政处罚；期限：2026年至2028年"
    agency = services.entry_create(actor=system_admin, slug="agency", data=data)
    assert agency.delegated_by == agency_a.agency


def test_reg4_every_action_type_is_modelled() -> None:
    labels = {label for _value, label in reg.ActionType.choices}
    assert labels == {"行政处罚", "行政强制", "行政检查", "行政征收（征用）", "行政许可", "行政确认", "行政给付", "行政裁决",
                      "行政奖励", "其他"}


def test_every_registry_write_is_a_ledger_event_in_the_same_transaction(agency_a) -> None:
    """Architecture rule 1 / REC-1: create, submit, review, publish and withdraw each append one ledger entry;
    a refused action appends nothing."""
    from zhifa.records.models import LedgerEntry

    before = LedgerEntry.objects.count()
    item = _power_item(agency_a)
    with pytest.raises(InvalidState):
        services.entry_publish(actor=agency_a[Role.DISCLOSURE_OFFICER], obj=item)
    _publish(agency_a, item)
    services.entry_withdraw(actor=agency_a[Role.DISCLOSURE_OFFICER], obj=item)
    entries = LedgerEntry.objects.filter(seq__gte=before).order_by("seq")
    kinds = list(entries.exclude(stream="disclosure:public").values_list("kind", flat=True))
    assert kinds == ["registry.created", "registry.submitted", "registry.reviewed", "registry.published",
                     "registry.withdrawn"]
    # The portal's snapshot changes are the publication history's entries (ADR 0045, DISC-24), but only while
    # the agency itself is public (DISC-3): this agency's subject information is not published, so none.
    assert not entries.filter(stream="disclosure:public").exists()
    entry = LedgerEntry.objects.filter(kind="registry.reviewed").last()
    assert entry is not None and entry.stream == f"registry:power_item:{item.public_id}"
    assert entry.agency_id == agency_a.agency.pk
    assert "legal_reviewer" in bytes(entry.canonical).decode()
