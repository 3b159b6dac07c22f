"""The published roster of enforcement officers (REG-7, REG-15) as staff maintain it and the public sees it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from zhifa.registry import models as reg
from zhifa.registry import services
from zhifa.registry.testing import AgencyPersonas

pytestmark = pytest.mark.browser

CERT_NUMBER = "湘水执-2026-0815"


def test_agency_admin_adds_officer_with_certificate_visible_only_after_publication(
    page: Page, new_page: Callable[..., Page], login: Callable[..., None], site: str, agency_a: AgencyPersonas,
    shots: Path,
) -> None:
    """REG-7 (officer and 执法证 recorded by the agency administrator), REG-15 (roster with certificate numbers
    published on the portal) and DISC-1 (nothing reaches the public before 发布)."""
    agency = agency_a.agency
    services.entry_publish(actor=agency_a["disclosure_officer"], obj=agency)  # the agency itself is public

    # Agency administrator: new staff member, then a certificate on the detail page.
    login(page, "a_agency_admin")
    page.screenshot(path=str(shots / "staff-home.png"), full_page=True)
    page.goto(f"{site}/staff/staff/")
    page.get_by_role("link", name="新增工作人员").click()
    page.get_by_label("姓名").fill("周建华")
    page.get_by_label("内设机构").select_option(label="水政监察大队")
    page.get_by_label("职务").fill("执法队员")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name="周建华", level=1)).to_be_visible()
    expect(page.get_by_text("已保存。")).to_be_visible()

    page.get_by_role("link", name="新增执法证").click()
    page.get_by_label("执法证号").fill(CERT_NUMBER)
    page.get_by_label("证件类型").select_option(value=reg.CertificateType.PROVINCIAL)
    page.get_by_label("发证机关").fill("湖南省人民政府")
    page.get_by_label("有效期起").fill("2025-01-01")
    page.get_by_label("有效期至").fill("2030-12-31")
    page.get_by_label("执法领域").fill("水行政")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name=CERT_NUMBER, level=1)).to_be_visible()

    staff = reg.Staff.objects.get(agency=agency, name="周建华")
    assert staff.unit == agency_a.unit and staff.publication_status == reg.PublicationStatus.DRAFT
    assert staff.certificates.get().number == CERT_NUMBER

    # The public roster does not show the draft.
    visitor = new_page()
    roster_url = f"{site}/agency/{agency.public_id}/officers/"
    visitor.goto(roster_url)
    expect(visitor.get_by_role("heading", name=agency.name)).to_be_visible()
    expect(visitor.get_by_text("暂无公开的执法人员信息。")).to_be_visible()
    expect(visitor.get_by_text("周建华")).to_have_count(0)
    expect(visitor.get_by_text(CERT_NUMBER)).to_have_count(0)

    # The disclosure officer publishes it from the staff detail page.
    publisher = new_page()
    login(publisher, "a_disclosure_officer")
    publisher.goto(f"{site}/staff/staff/{staff.public_id}/")
    publisher.get_by_role("button", name="发布").click()
    expect(publisher.get_by_text("已发布，公开门户即时可见。")).to_be_visible()
    expect(publisher.locator(".badge-status-published")).to_have_text("已发布")

    visitor.reload()
    name_link = visitor.get_by_role("link", name="周建华")
    expect(name_link).to_have_count(1)
    # The roster line (a table row or a list item, whichever the template uses) carrying that name.
    line = name_link.locator("xpath=ancestor::*[self::tr or self::li][1]")
    for text in (CERT_NUMBER, "水行政", "水政监察大队", "执法队员"):
        expect(line).to_contain_text(text)
    expect(visitor.get_by_text("A执法员")).to_have_count(0)  # never published
    visitor.screenshot(path=str(shots / "portal-roster.png"), full_page=True)
