"""The public portal shows published snapshots only (architecture rule 8; DISC-3…DISC-8, REG-2/3/15, DISC-23/24).

All data is created through the registry services, the way staff create it; Agency rows and the law library
directly with the ORM. The helpers at the top are shared with test_public_api.py.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhifa.common.identifiers import organization_code_check_char, uscc_check_char
from zhifa.disclosure.models import EntryKind, PublicEntry
from zhifa.disclosure.search import invalidate_search_index
from zhifa.registry import models as reg
from zhifa.registry import services

# ---------------------------------------------------------------------------------------------------------------
# Shared set-up (also imported by test_public_api.py)
# ---------------------------------------------------------------------------------------------------------------

WATER_ITEM = "在河道管理范围内建设妨碍行洪的建筑物、构筑物的处罚"
DUMPING_ITEM = "在河道管理范围内倾倒垃圾、渣土的处罚"
STEPS = [
    ("立案", 7, "working"),
    ("调查取证", None, ""),
    ("告知陈述申辩权利", 3, "working"),
    ("作出处罚决定", 90, "calendar"),
]


@pytest.fixture(autouse=True)
def _portal_settings(settings: Any) -> None:
    """No collected static manifest in tests; a fresh search index per test (ids repeat after a rollback)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    invalidate_search_index()


def make_uscc(seed: int) -> str:
    body = f"{seed:08d}"
    first17 = "11" + "510100" + body + organization_code_check_char(body)
    return first17 + uscc_check_char(first17)


def make_agency(name: str, seed: int, **fields: Any) -> reg.Agency:
    defaults: dict[str, Any] = {
        "kind": reg.AgencyKind.ADMINISTRATIVE_ORGAN,
        "level": reg.AgencyLevel.COUNTY,
        "region_code": "510104",
        "region_name": "锦江区",
        "sector": reg.Sector.WATER,
        "legal_basis": "《中华人民共和国水法》第十二条：县级以上地方人民政府水行政主管部门按照规定的权限，负责本行政区域内水资源的统一管理和监督工作。",
        "address": "锦江区水务大道1号",
        "phone": "028-12345678",
        "office_hours": "工作日 9:00-17:00",
        "complaint_phone": "028-12345",
        "complaint_address": "锦江区信访接待中心",
        "reconsideration_body": "锦江区人民政府",
        "litigation_court": "锦江区人民法院",
    }
    defaults.update(fields)
    return reg.Agency.objects.create(name=name, uscc=make_uscc(seed), **defaults)


def make_user(username: str, agency: reg.Agency, *roles: str) -> Any:
    user = get_user_model().objects.create_user(
        username=username, password="correct horse battery staple", full_name=username, agency=agency
    )
    for role in roles:
        user.roles.create(role=role)
    return user


def make_article(title: str = "中华人民共和国防洪法", number: int = 22, text: str = "") -> reg.Article:
    law, _ = reg.Law.objects.get_or_create(
        title=title, version_date="2016-07-02",
        defaults={"issuer": "全国人民代表大会常务委员会", "level": reg.LawLevel.LAW, "sector": reg.Sector.WATER,
                  "effective_from": "2016-07-02"},
    )
    return reg.Article.objects.create(
        law=law, number=number, label=f"第{number}条",
        text=text or "河道、湖泊管理范围内的土地和岸线的利用，应当符合行洪、输水的要求。\n禁止在河道、湖泊管理范围内建设妨碍行洪的建筑物、构筑物。",
    )


@dataclass
class Org:
    """An agency with the people who maintain, review and publish its registry entries."""

    agency: reg.Agency
    admin: Any  # agency_admin: edits, submits, publishes
    reviewer: Any  # legal_reviewer: legality review (REG-2)
    unit: reg.Unit


def make_org(name: str, seed: int, *, publish: bool = True, **fields: Any) -> Org:
    agency = make_agency(name, seed, **fields)
    admin = make_user(f"admin{seed}", agency, "agency_admin")
    reviewer = make_user(f"reviewer{seed}", agency, "legal_reviewer")
    unit = services.entry_create(
        actor=admin, slug="unit", agency=agency, data={"name": "执法大队", "functions": "负责河道巡查和行政处罚。"}
    )
    org = Org(agency, admin, reviewer, unit)
    if publish:
        services.entry_publish(actor=admin, obj=agency)
    return org


def power_item_data(org: Org, name: str, code: str, articles: list[reg.Article] | None = None) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "action_type": reg.ActionType.PENALTY,
        "responsible_unit": str(org.unit.public_id),
        "legal_basis": [str(a.public_id) for a in (articles or [])],
        "basis_note": "",
        "responsibility": "依法调查取证，作出处罚决定。",
        "accountability": "不履行或者不正确履行职责的，依法追究责任。",
    }


def draft_power_item(org: Org, name: str = WATER_ITEM, code: str = "330217001", *, steps: bool = True,
                     articles: list[reg.Article] | None = None) -> reg.PowerItem:
    item = services.entry_create(actor=org.admin, slug="power_item", agency=org.agency,
                                 data=power_item_data(org, name, code, articles))
    if steps:
        for order, (step, days, kind) in enumerate(STEPS, start=1):
            services.entry_create(
                actor=org.admin, slug="step", parent=item,
                data={"order": order, "name": step, "description": "", "time_limit_days": days or "",
                      "time_limit_kind": kind, "rule_ref": ""},
            )
    return item


def review_and_publish(org: Org, obj: Any) -> Any:
    """REG-2: submit → legality review → publish."""
    obj = services.entry_submit(actor=org.admin, obj=obj)
    obj = services.entry_review(actor=org.reviewer, obj=obj, approve=True)
    return services.entry_publish(actor=org.admin, obj=obj)


def published_power_item(org: Org, name: str = WATER_ITEM, code: str = "330217001", **kw: Any) -> reg.PowerItem:
    return review_and_publish(org, draft_power_item(org, name, code, **kw))


def current_entry(obj: Any) -> PublicEntry:
    return PublicEntry.objects.get(source_id=obj.pk, is_current=True, kind=_kind_of(obj))


def _kind_of(obj: Any) -> str:
    from zhifa.disclosure.snapshots import KIND_BY_MODEL

    return KIND_BY_MODEL[type(obj)]


def make_officer(org: Org, name: str, number: str, *, domains: str = "水利执法", publish: bool = True) -> reg.Staff:
    staff = services.entry_create(
        actor=org.admin, slug="staff", agency=org.agency,
        data={"name": name, "unit": str(org.unit.public_id), "position": "执法队员", "is_auxiliary": False,
              "is_legal_reviewer": False, "has_legal_qualification": True,
              "legal_qualification_number": f"A2019{number[-6:]}FZ", "active": True},
    )
    services.entry_create(
        actor=org.admin, slug="certificate", parent=staff,
        data={"number": number, "certificate_type": reg.CertificateType.PROVINCIAL, "issuer": "四川省人民政府",
              "valid_from": "2023-01-01", "valid_to": "2099-12-31", "status": reg.CertificateStatus.VALID,
              "domains": domains},
    )
    services.entry_create(
        actor=org.admin, slug="training", parent=staff,
        data={"title": f"{name}的内部培训考核记录", "organizer": "市司法局", "held_on": "2024-03-01", "hours": "8",
              "assessment": "合格（内部）"},
    )
    if publish:
        staff = services.entry_publish(actor=org.admin, obj=staff)
    return staff


def search_titles(client: Client, **params: str) -> list[str]:
    response = client.get(reverse("portal:search"), params)
    assert response.status_code == 200
    return [m for m in re.findall(r'<h2 class="h6 mb-1"><a href="[^"]+">([^<]+)</a>', response.content.decode())]


def section_url(org: Org, section: str) -> str:
    return reverse("portal:agency_section", args=[org.agency.public_id, section])


def html(response: Any) -> str:
    return response.content.decode()


# ---------------------------------------------------------------------------------------------------------------
# Visibility: only published, current snapshots (REG-2, REG-3, DISC-23/24)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reg2_draft_submitted_and_reviewed_entries_are_not_public(client: Client) -> None:
    """REG-2: a power item is invisible on pages and in search until it has passed review AND been published."""
    org = make_org("锦江区水务局", 1)
    item = draft_power_item(org)
    powers = section_url(org, "powers")

    for advance in (None, "submit", "review"):
        if advance == "submit":
            item = services.entry_submit(actor=org.admin, obj=item)
        elif advance == "review":
            item = services.entry_review(actor=org.reviewer, obj=item, approve=True)
        assert not PublicEntry.objects.filter(kind=EntryKind.POWER_ITEM).exists()
        assert WATER_ITEM not in html(client.get(powers))
        assert search_titles(client, q="河道") == []

    item = services.entry_publish(actor=org.admin, obj=item)
    entry = current_entry(item)
    assert WATER_ITEM in html(client.get(powers))
    assert search_titles(client, q="河道") == [WATER_ITEM]
    assert client.get(reverse("portal:entry", args=[entry.public_id])).status_code == 200


@pytest.mark.django_db
def test_reg3_changed_entry_shows_last_published_version_until_republished(client: Client) -> None:
    """REG-3: a change sends the entry back to draft; the portal keeps showing the published snapshot."""
    org = make_org("锦江区水务局", 1)
    item = published_power_item(org)
    first = current_entry(item)

    renamed = "在河道管理范围内建设妨碍行洪的建筑物、构筑物的处罚（修订）"
    item = services.entry_update(actor=org.admin, slug="power_item", obj=item,
                                 data=power_item_data(org, renamed, "330217001"))
    assert item.publication_status == reg.PublicationStatus.DRAFT

    page = html(client.get(reverse("portal:entry", args=[first.public_id])))
    assert WATER_ITEM in page and "（修订）" not in page
    assert search_titles(client, q="修订") == []
    assert "（修订）" not in html(client.get(section_url(org, "powers")))

    item = review_and_publish(org, item)
    second = current_entry(item)
    assert second.version == 2 and second.title == renamed
    assert "（修订）" in html(client.get(section_url(org, "powers")))
    assert search_titles(client, q="河道") == [renamed]
    # A link to the superseded version leads to the current one.
    response = client.get(reverse("portal:entry", args=[first.public_id]))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:entry", args=[second.public_id])


@pytest.mark.django_db
def test_disc23_withdrawn_entry_is_gone_at_once_from_pages_search_and_flowchart(client: Client) -> None:
    """DISC-23/DISC-24: withdrawal takes the entry off every public page immediately (it stays stored, DISC-25)."""
    org = make_org("锦江区水务局", 1)
    item = published_power_item(org)
    entry = current_entry(item)
    assert search_titles(client, q="河道") == [WATER_ITEM]  # the index is built now, before the withdrawal

    services.entry_withdraw(actor=org.admin, obj=item)

    assert client.get(reverse("portal:entry", args=[entry.public_id])).status_code == 404
    assert client.get(reverse("portal:entry_flowchart", args=[entry.public_id])).status_code == 404
    assert WATER_ITEM not in html(client.get(section_url(org, "powers")))
    assert search_titles(client, q="河道") == []
    assert search_titles(client, kind="power_item") == []
    stored = PublicEntry.objects.get(public_id=entry.public_id)
    assert stored.withdrawn_at is not None and not stored.is_current


@pytest.mark.django_db
def test_disc3_unpublished_agency_does_not_exist_publicly(client: Client) -> None:
    """DISC-3: an agency is public only with a published subject-information snapshot; so are its entries."""
    hidden = make_org("未公开的执法局", 2, publish=False)
    item = published_power_item(hidden, name="在河道管理范围内采砂的处罚", code="X1")
    entry = current_entry(item)

    assert "未公开的执法局" not in html(client.get(reverse("portal:home")))
    assert client.get(reverse("portal:agency", args=[hidden.agency.public_id])).status_code == 404
    assert client.get(section_url(hidden, "powers")).status_code == 404
    assert client.get(reverse("portal:entry", args=[entry.public_id])).status_code == 404
    assert search_titles(client, q="采砂") == []

    services.entry_publish(actor=hidden.admin, obj=hidden.agency)
    assert "未公开的执法局" in html(client.get(reverse("portal:home")))
    assert search_titles(client, q="采砂") == ["在河道管理范围内采砂的处罚"]


# ---------------------------------------------------------------------------------------------------------------
# Search (docs/decisions/0005)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_chinese_keyword_search_finds_power_items_across_two_agencies(client: Client) -> None:
    jinjiang = make_org("锦江区水务局", 1)
    qingyang = make_org("青羊区水务局", 2, region_name="青羊区", region_code="510105")
    published_power_item(jinjiang, WATER_ITEM, "A1")
    published_power_item(qingyang, DUMPING_ITEM, "B1")
    published_power_item(qingyang, "对未按规定设置户外广告的处罚", "B2", steps=False)

    response = client.get(reverse("portal:search"), {"q": "河道"})
    page = html(response)
    assert sorted(search_titles(client, q="河道")) == sorted([WATER_ITEM, DUMPING_ITEM])
    assert "锦江区水务局" in page and "青羊区水务局" in page
    assert "<mark>河道</mark>" in page  # the snippet highlights the matched word
    assert "户外广告" not in page

    # Filters narrow by agency and by kind (plain GET parameters).
    assert search_titles(client, q="河道", agency=str(qingyang.agency.public_id)) == [DUMPING_ITEM]
    assert search_titles(client, q="河道", kind="officer") == []
    # A longer phrase is cut into words too.
    assert search_titles(client, q="倾倒垃圾")[0] == DUMPING_ITEM


@pytest.mark.django_db
def test_empty_and_no_hit_queries_show_a_friendly_message_with_suggestions(client: Client) -> None:
    make_org("锦江区水务局", 1)
    empty = html(client.get(reverse("portal:search")))
    assert "请输入要查询的关键词" in empty and "您可以试试" in empty
    blank = html(client.get(reverse("portal:search"), {"q": "   "}))
    assert "请输入要查询的关键词" in blank

    none = html(client.get(reverse("portal:search"), {"q": "不存在的事项名称"}))
    assert "没有找到与“不存在的事项名称”相关的公开信息" in none
    assert "您可以试试" in none and "?q=" in none


@pytest.mark.django_db
def test_search_escapes_the_query_and_survives_odd_parameters(client: Client) -> None:
    make_org("锦江区水务局", 1)
    response = client.get(reverse("portal:search"), {"q": "<script>alert(1)</script>", "kind": "nope",
                                                     "agency": "not-a-uuid", "page": "x"})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in html(response)
    assert "&lt;script&gt;" in html(response)


@pytest.mark.django_db
def test_search_results_are_paginated_20_per_page(client: Client) -> None:
    org = make_org("锦江区水务局", 1)
    for i in range(25):
        make_officer(org, f"执法员{i:02d}", f"5101002023{i:04d}")
    # The agency itself also matches "水利" (its sector); the kind filter keeps the roster only.
    first = search_titles(client, q="水利执法", kind="officer")
    second = search_titles(client, q="水利执法", kind="officer", page="2")
    assert len(first) == 20 and len(second) == 5
    assert not set(first) & set(second)
    page = html(client.get(reverse("portal:search"), {"q": "水利执法", "kind": "officer"}))
    assert "找到 25 条" in page and "page=2" in page and "q=%E6%B0%B4" in page and "kind=officer" in page  # kept in links
    # Browsing a kind without a query lists everything of that kind, paginated the same way.
    assert len(search_titles(client, kind="officer")) == 20


@pytest.mark.django_db
def test_search_and_section_pages_use_a_constant_number_of_queries(client: Client) -> None:
    org = make_org("锦江区水务局", 1)
    for i in range(3):
        make_officer(org, f"执法员{i}", f"51010020230{i:03d}")
    client.get(reverse("portal:search"), {"q": "水利执法"})  # build the index once

    def count(url: str, params: dict[str, str] | None = None) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, params or {}).status_code == 200
        return len(ctx.captured_queries)

    few = (count(reverse("portal:search"), {"q": "水利执法"}), count(section_url(org, "officers")),
           count(reverse("portal:home")))
    for i in range(3, 12):
        make_officer(org, f"执法员{i}", f"51010020230{i:03d}")
    client.get(reverse("portal:search"), {"q": "水利执法"})  # rebuild the index
    many = (count(reverse("portal:search"), {"q": "水利执法"}), count(section_url(org, "officers")),
            count(reverse("portal:home")))
    assert few == many


# ---------------------------------------------------------------------------------------------------------------
# Agency pages (DISC-3, DISC-4, DISC-6, REG-5, REG-15)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_disc3_home_lists_agencies_and_links_every_section(client: Client) -> None:
    org = make_org("锦江区水务局", 1)
    page = html(client.get(reverse("portal:home")))
    assert "锦江区水务局" in page
    assert reverse("portal:agency", args=[org.agency.public_id]) in page
    assert 'action="/search/"' in page and 'method="get"' in page
    for kind in EntryKind:
        if kind != EntryKind.AGENCY:
            assert f"?kind={kind.value}" in page


@pytest.mark.django_db
def test_disc3_agency_page_shows_subject_information_units_and_delegation(client: Client) -> None:
    """DISC-3, REG-5: subject information incl. legal basis, internal units and the entrustment."""
    principal = make_org("锦江区城市管理局", 1, sector=reg.Sector.URBAN)
    entrusted = make_org(
        "锦江区城市管理综合执法大队", 2, kind=reg.AgencyKind.ENTRUSTED_ORGANIZATION, delegated_by=principal.agency,
        delegation_document="委托事项：占道经营的行政处罚；委托期限：2024年1月1日至2026年12月31日。",
    )
    page = html(client.get(reverse("portal:agency", args=[entrusted.agency.public_id])))
    assert entrusted.agency.uscc in page
    assert "水资源的统一管理和监督工作" in page  # legal basis
    assert "执法大队" in page and "负责河道巡查和行政处罚" in page  # units and their functions
    assert "委托执法信息" in page and "锦江区城市管理局" in page and "委托期限" in page
    for label in ("主体信息", "执法人员", "权责清单", "裁量基准", "服务指南", "音像记录事项清单",
                  "重大执法决定法制审核目录清单", "随机抽查事项清单", "救济途径和投诉举报"):
        assert label in page
    # Section tabs are plain links.
    assert f'href="{section_url(entrusted, "officers")}"' in page


@pytest.mark.django_db
def test_disc6_remedies_page_shows_reconsideration_court_and_complaint_channels(client: Client) -> None:
    org = make_org("锦江区水务局", 1)
    page = html(client.get(reverse("portal:agency_remedies", args=[org.agency.public_id])))
    for text in ("锦江区人民政府", "锦江区人民法院", "028-12345", "锦江区信访接待中心", "六十日", "六个月"):
        assert text in page
    assert 'href="tel:028-12345"' in page


@pytest.mark.django_db
def test_reg15_roster_shows_certificates_but_never_fields_outside_the_allowlist(client: Client) -> None:
    """REG-15: names, certificate numbers and domains are public; qualifications, training, accounts are not."""
    org = make_org("锦江区水务局", 1)
    staff = make_officer(org, "王小明", "51010020230001", domains="水利、水土保持")
    login = make_user("wangxm_login", org.agency, "officer")
    reg.Staff.objects.filter(pk=staff.pk).update(user=login)
    unpublished = make_officer(org, "李未发", "51010020239999", publish=False)

    for url in (section_url(org, "officers"), reverse("portal:entry", args=[current_entry(staff).public_id])):
        page = html(client.get(url))
        assert "王小明" in page and "51010020230001" in page and "水利、水土保持" in page
        assert staff.legal_qualification_number not in page
        assert "内部培训考核记录" not in page and "合格（内部）" not in page
        assert "wangxm_login" not in page
        assert unpublished.name not in page and "51010020239999" not in page


@pytest.mark.django_db
def test_unknown_agency_section_and_entry_ids_are_404(client: Client) -> None:
    org = make_org("锦江区水务局", 1)
    import uuid

    assert client.get(reverse("portal:agency", args=[uuid.uuid4()])).status_code == 404
    assert client.get(reverse("portal:entry", args=[uuid.uuid4()])).status_code == 404
    assert client.get(f"/agency/{org.agency.public_id}/no-such-section/").status_code == 404
    assert client.get(f"/agency/{org.agency.public_id}/info/").status_code == 404


# ---------------------------------------------------------------------------------------------------------------
# Entry pages and flowcharts (DISC-5)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_power_item_page_shows_articles_verbatim_steps_and_inline_flowchart(client: Client) -> None:
    org = make_org("锦江区水务局", 1)
    article = make_article()
    item = published_power_item(org, articles=[article])
    entry = current_entry(item)

    page = html(client.get(reverse("portal:entry", args=[entry.public_id])))
    assert "《中华人民共和国防洪法》第22条" in page
    assert article.text in page  # verbatim, line breaks kept (rendered with white-space: pre-line)
    assert "7个工作日" in page and "90个自然日" in page
    svg = re.search(r"<svg .*?</svg>", page, re.S)
    assert svg is not None
    root = ET.fromstring(svg.group())
    texts = "".join(root.itertext())
    for step, _days, _kind in STEPS:
        assert step in texts
    assert reverse("portal:entry_flowchart", args=[entry.public_id]) in page


@pytest.mark.django_db
def test_disc5_flowchart_svg_is_served_as_an_image_with_nosniff(client: Client) -> None:
    org = make_org("锦江区水务局", 1)
    item = published_power_item(org)
    response = client.get(reverse("portal:entry_flowchart", args=[current_entry(item).public_id]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["X-Content-Type-Options"] == "nosniff"
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = "".join(root.itertext())
    assert "7个工作日" in texts and "作出处罚决定" in texts


@pytest.mark.django_db
def test_disc5_service_guide_page_has_its_fields_and_flowchart(client: Client) -> None:
    org = make_org("锦江区水务局", 1)
    item = published_power_item(org)
    guide = services.entry_create(
        actor=org.admin, slug="service_guide", agency=org.agency,
        data={"power_item": str(item.public_id), "title": "河道管理范围内建设项目审批服务指南",
              "accepting_body": "锦江区政务服务中心水务窗口", "approving_body": "锦江区水务局",
              "conditions": "建设项目符合防洪标准。", "materials": "申请书；工程建设方案。", "time_limit_days": 20,
              "time_limit_kind": "working", "fees": "不收费", "contact": "028-12345678"},
    )
    guide = review_and_publish(org, guide)
    page = html(client.get(reverse("portal:entry", args=[current_entry(guide).public_id])))
    for text in ("锦江区政务服务中心水务窗口", "锦江区水务局", "建设项目符合防洪标准", "20个工作日", "不收费"):
        assert text in page
    assert "<svg " in page and "告知陈述申辩权利" in page
    listing = html(client.get(section_url(org, "guides")))
    assert "河道管理范围内建设项目审批服务指南" in listing


@pytest.mark.django_db
def test_disc4_lists_render_on_their_agency_tabs(client: Client) -> None:
    """DISC-4: 裁量基准, 音像记录事项清单, 法制审核目录清单 and 随机抽查事项清单 each have a tab and a detail page."""
    org = make_org("锦江区水务局", 1)
    item = published_power_item(org)
    benchmark = services.entry_create(
        actor=org.admin, slug="benchmark", agency=org.agency,
        data={"power_item": str(item.public_id), "code": "SL-001", "title": "河道违法建设处罚裁量基准",
              "effective_from": "2024-01-01", "effective_to": ""},
    )
    services.entry_create(
        actor=org.admin, slug="tier", parent=benchmark,
        data={"order": 1, "degree": "较轻", "circumstances": "及时改正，未造成危害后果", "penalty": "责令停止违法行为，罚款",
              "fine_min": "10000", "fine_max": "30000"},
    )
    av = services.entry_create(
        actor=org.admin, slug="av_item", agency=org.agency,
        data={"power_item": str(item.public_id), "step": "现场检查", "requirement": "required", "note": "全程录像"},
    )
    catalog = services.entry_create(
        actor=org.admin, slug="review_catalog", agency=org.agency,
        data={"title": "较大数额罚款", "action_type": "penalty", "penalty_kinds": ["罚款"],
              "amount_threshold_person": "5000", "amount_threshold_organization": "50000",
              "when_hearing_held": "on", "note": ""},
    )
    inspection = services.entry_create(
        actor=org.admin, slug="inspection_item", agency=org.agency,
        data={"power_item": str(item.public_id), "name": "河道采砂监督检查", "subjects": "河道采砂许可持证人",
              "content": "是否按许可采砂", "method": "现场检查", "ratio_and_frequency": "每年不低于5%",
              "basis": "《河道采砂管理条例》"},
    )
    for obj in (benchmark, av, catalog, inspection):
        review_and_publish(org, obj)

    expectations = {
        "benchmarks": ["河道违法建设处罚裁量基准", "SL-001"],
        "av-items": ["现场检查", "应当全程音像记录"],
        "review-catalog": ["较大数额罚款", "5000", "经过听证程序"],
        "inspections": ["河道采砂监督检查", "每年不低于5%"],
    }
    for section, texts in expectations.items():
        page = html(client.get(section_url(org, section)))
        for text in texts:
            assert text in page, (section, text)
    bench_page = html(client.get(reverse("portal:entry", args=[current_entry(benchmark).public_id])))
    assert "及时改正，未造成危害后果" in bench_page and "10000.00" in bench_page


# ---------------------------------------------------------------------------------------------------------------
# No JavaScript needed; security headers
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_work_without_javascript_and_carry_a_strict_csp(client: Client) -> None:
    """Every portal page is complete HTML: no inline script, only the optional vendored Bootstrap bundle."""
    org = make_org("锦江区水务局", 1)
    item = published_power_item(org)
    officer = make_officer(org, "王小明", "51010020230001")
    urls = {
        reverse("portal:home"): "锦江区水务局",
        reverse("portal:search") + "?q=河道": WATER_ITEM,
        reverse("portal:agency", args=[org.agency.public_id]): "统一社会信用代码",
        reverse("portal:agency_remedies", args=[org.agency.public_id]): "行政复议机关",
        section_url(org, "powers"): WATER_ITEM,
        section_url(org, "officers"): "51010020230001",
        reverse("portal:entry", args=[current_entry(item).public_id]): "作出处罚决定",
        reverse("portal:entry", args=[current_entry(officer).public_id]): "51010020230001",
    }
    for url, text in urls.items():
        response = Client().get(url)
        assert response.status_code == 200, url
        page = html(response)
        assert text in page, url
        scripts = re.findall(r"<script\b[^>]*>", page)
        assert all(" src=" in tag for tag in scripts), (url, scripts)  # no inline script
        assert "hx-" not in page and "onclick" not in page
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert 'style="' not in page  # inline styles would break under the CSP
        for form in re.findall(r"<form\b[^>]*>", page):
            assert 'method="get"' in form


@pytest.mark.django_db
def test_agency_entry_id_redirects_to_the_agency_page(client: Client) -> None:
    org = make_org("锦江区水务局", 1)
    entry = current_entry(org.agency)
    response = client.get(reverse("portal:entry", args=[entry.public_id]))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:agency", args=[org.agency.public_id])
