"""The portal exposes no case content (reliability.md AC-7, PV-1; rules DISC-18…21, DISC-23, CASE-58).

The portal publishes registry entries only; a penalty decision's 公示 is registered on the case (where and when it
was published), not rendered by the portal. This guard test pins that down so that whoever adds decision
publication must add desensitization with it: cases in every exposure-relevant state (registered draft, in legal
review, a minor's case, a published decision, a published decision then revoked) carry parties whose personal
values are distinctive; then the whole public surface is crawled — every portal page reachable from the home page,
the portal search and the public API for each value (as stored and in full-width digits), the transparency pages, a
sitemap — and no value, in any of several spellings (as stored, full-width digits, spaced in groups, split across a
line) or normalized (NFKC, whitespace removed), and no case number, title or id may appear anywhere; every case
id is 404 on the portal's entry routes and the public API.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections import deque
from datetime import date
from urllib.parse import urljoin, urlparse

import pytest
from django.test import Client
from django.urls import reverse

from zhifa.cases.engine import case_act
from zhifa.cases.testing import (
    DAY,
    make_case_world,
    new_penalty_case,
    person_party,
    walk_to,
)
from zhifa.disclosure.search import invalidate_search_index
from zhifa.registry import services
from zhifa.registry.testing import AgencyPersonas

PUBLIC_PREFIXES = ("/", "/transparency/")
NOT_PUBLIC = ("/staff/", "/accounts/", "/api/", "/static/", "/admin/")
MAX_PAGES = 300


def _variants(value: str) -> set[str]:
    """The value as stored and the spellings a careless publisher would produce."""
    out = {value}
    out.add(value.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"}))  # full-width
    if len(value) > 4:
        out.add(" ".join(value[i : i + 4] for i in range(0, len(value), 4)))  # spaced in groups
        out.add(value[: len(value) // 2] + "\n" + value[len(value) // 2 :])  # split across a line
    return out


def _normalized(text: str) -> str:
    """NFKC, no whitespace: what the page says once spacing, line breaks and full-width forms are undone."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _crawl(client: Client) -> dict[str, str]:
    """Every portal page reachable from the home page (and the transparency page), by URL."""
    seen: dict[str, str] = {}
    queue = deque(["/", "/transparency/"])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        path = urlparse(url).path
        if url in seen or path.startswith(NOT_PUBLIC):
            continue
        response = client.get(url)
        body = response.content.decode("utf-8", errors="replace")
        seen[url] = body
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for href in re.findall(r'href="([^"#]+)"', body):
            target = urljoin(url, href.replace("&amp;", "&"))
            parsed = urlparse(target)
            if parsed.netloc or not parsed.path.startswith(PUBLIC_PREFIXES):
                continue
            queue.append(parsed.path + (f"?{parsed.query}" if parsed.query else ""))
    return seen


@pytest.mark.django_db
def test_ac7_pv1_no_case_state_or_personal_value_reaches_the_public_surface(
    client: Client, agency_a: AgencyPersonas
) -> None:
    """AC-7, PV-1: drafts, in-review, minors', published and revoked cases: nothing on portal, search, API, sitemap."""
    services.entry_publish(actor=agency_a["agency_admin"], obj=agency_a.agency)  # the agency itself is public
    world = make_case_world(agency_a)

    people = {
        "draft": person_party("欧阳明珠", phone="13912345678", address="临湘市白云路17号402室"),
        "review": person_party("司马青云", phone="13787654321", address="临湘市桃花巷9号"),
        "minor": person_party("上官小雨", birth=date(2012, 3, 4), phone="13511112222", address="临湘市学府路3号"),
        "published": person_party("诸葛长风", phone="13633334444", address="临湘市滨江路88号"),
        "revoked": person_party("东方既白", phone="13455556666", address="临湘市望湖路66号"),
    }
    witness = "慕容旁观"  # a third party named only in the facts
    cases = {
        key: new_penalty_case(world, parties=[party], summary=f"巡查发现采砂船正在作业，{witness}在场。")
        for key, party in people.items()
    }
    walk_to(world, cases["review"], "legal_review")
    walk_to(world, cases["published"], "published")
    revoked = walk_to(world, cases["revoked"], "published")
    revoked = case_act(actor=world["agency_head"], case_id=revoked.public_id, action="revoke",
                       data={"on": DAY, "reason": "复议机关认定事实不清，予以撤销。"}, today=date(2026, 6, 20)).case
    assert revoked.state == "revoked"
    minor = cases["minor"]
    minor.refresh_from_db()
    assert minor.parties.get().is_minor

    secrets: set[str] = {witness}
    for key, party in people.items():
        case = cases[key]
        case.refresh_from_db()
        secrets |= {party["name"], party["name"][1:], party["id_number"], party["phone"], party["address"]}
        secrets |= {str(case.public_id), case.reference, case.title}
    secrets.discard("")
    spelled = {v for s in secrets for v in _variants(s)}

    invalidate_search_index()
    pages = _crawl(client)
    assert len(pages) > 5, "the crawl found no public pages: the agency should be on the portal"
    full_width = {s.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"}) for s in secrets}
    for query in sorted((secrets | full_width) - {str(c.public_id) for c in cases.values()}):
        # The search page repeats the query in its box: that is the visitor's own text, not a result.
        for where, url in (("search", reverse("portal:search")), ("api", "/api/v1/public/entries")):
            body = client.get(url, {"q": query}).content.decode()
            for echo in (query, html.escape(query), json.dumps(query)[1:-1]):
                body = body.replace(echo, "")
            pages[f"{where} {query!r}"] = body
    for path in ("/api/v1/public/agencies", "/api/v1/public/entries", f"/api/v1/public/agencies/{agency_a.agency.public_id}"):
        pages[path] = client.get(path).content.decode()
    for path in ("/sitemap.xml", "/robots.txt"):
        response = client.get(path)
        pages[path] = response.content.decode(errors="replace") if response.status_code == 200 else ""
    for case in cases.values():
        for route in ("portal:entry", "portal:entry_flowchart"):
            assert client.get(reverse(route, args=[case.public_id])).status_code == 404
        assert client.get(f"/api/v1/public/entries/{case.public_id}").status_code == 404

    normalized_secrets = {_normalized(s) for s in secrets}
    leaks: list[tuple[str, str]] = []
    for where, body in pages.items():
        flat = _normalized(body)
        leaks += [(where, s) for s in spelled if s in body]
        leaks += [(where, s) for s in normalized_secrets if s in flat]
    assert not leaks, leaks[:10]
