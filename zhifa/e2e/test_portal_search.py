"""The public finds a power item by a Chinese keyword and reads its procedure flowchart (DISC-2, DISC-5, REG-2)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from zhifa.e2e.conftest import PHONE
from zhifa.registry import models as reg
from zhifa.registry import services
from zhifa.registry.testing import AgencyPersonas

pytestmark = pytest.mark.browser

NAME = "对在河道管理范围内建设妨碍行洪的建筑物的处罚"
DRAFT_NAME = "对在河道管理范围内弃置、堆放阻碍行洪物体的处罚"
STEPS = [  # (name, time limit in days, day kind)
    ("立案", 15, reg.DayKind.CALENDAR),
    ("调查取证", 90, reg.DayKind.CALENDAR),
    ("告知陈述申辩", 5, reg.DayKind.WORKING),
    ("作出处罚决定", 7, reg.DayKind.WORKING),
    ("送达执行", 7, reg.DayKind.CALENDAR),
]


def _power_item(personas: AgencyPersonas, *, code: str, name: str) -> reg.PowerItem:
    admin = personas["agency_admin"]
    assert personas.unit is not None
    item = services.entry_create(actor=admin, slug="power_item", data={
        "code": code, "name": name, "action_type": reg.ActionType.PENALTY,
        "responsible_unit": str(personas.unit.public_id),
        "basis_note": "《中华人民共和国防洪法》第二十二条、第五十五条",
        "responsibility": "立案责任、调查责任、审查责任、告知责任、决定责任、送达责任、执行责任",
    })
    for order, (step, days, kind) in enumerate(STEPS, start=1):
        services.entry_create(actor=admin, slug="step", parent=item, data={
            "order": order, "name": step, "time_limit_days": days, "time_limit_kind": kind,
        })
    return item  # type: ignore[return-value]


def test_public_finds_power_item_by_chinese_keyword_and_opens_flowchart(
    page: Page, new_page: Callable[..., Page], site: str, agency_a: AgencyPersonas, shots: Path
) -> None:
    """DISC-2 (权责清单 published and searchable by keyword), DISC-5 (办理流程图 drawn from the published steps),
    REG-2 (only a legality-reviewed, published entry reaches the portal; a draft never does)."""
    services.entry_publish(actor=agency_a["disclosure_officer"], obj=agency_a.agency)
    item = _power_item(agency_a, code="SL-CF-001", name=NAME)
    services.entry_submit(actor=agency_a["agency_admin"], obj=item)
    services.entry_review(actor=agency_a["legal_reviewer"], obj=item, approve=True)
    services.entry_publish(actor=agency_a["disclosure_officer"], obj=item)
    _power_item(agency_a, code="SL-CF-002", name=DRAFT_NAME)  # same keyword, never reviewed nor published

    # An anonymous visitor searches from the home page.
    page.goto(f"{site}/")
    expect(page.get_by_role("heading", name="行政执法公示平台", level=1)).to_be_visible()
    page.screenshot(path=str(shots / "portal-home.png"), full_page=True)
    page.get_by_role("searchbox", name="关键词").fill("河道")
    page.get_by_role("button", name="搜索").click()
    expect(page).to_have_url(f"{site}/search/?q={quote('河道')}")
    expect(page.get_by_role("status")).to_contain_text("找到 1 条相关的公开信息")
    expect(page.get_by_text(DRAFT_NAME)).to_have_count(0)
    result = page.get_by_role("link", name=NAME)
    expect(result).to_have_count(1)
    result.click()

    # The entry page: the published item with a flowchart drawn from its steps and time limits.
    expect(page.get_by_role("heading", name=NAME, level=1)).to_be_visible()
    chart = page.locator("figure.flowchart svg")
    expect(chart).to_be_visible()
    for step, days, kind in STEPS:
        expect(chart).to_contain_text(step)
        expect(chart).to_contain_text(f"{days}个{kind.label}")
    page.screenshot(path=str(shots / "portal-power-item.png"), full_page=True)

    # The draft is not reachable either way.
    page.goto(f"{site}/search/?q={quote('行洪')}")
    expect(page.get_by_role("link", name=NAME)).to_be_visible()
    expect(page.get_by_text(DRAFT_NAME)).to_have_count(0)

    # On a phone: the search result renders, readable, without sideways scrolling.
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    phone.goto(f"{site}/")
    phone.get_by_role("searchbox", name="关键词").fill("河道")
    phone.get_by_role("button", name="搜索").click()
    hit = phone.get_by_role("link", name=NAME)
    expect(hit).to_be_visible()
    expect(hit).to_be_in_viewport()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.screenshot(path=str(shots / "portal-search-phone.png"), full_page=True)
