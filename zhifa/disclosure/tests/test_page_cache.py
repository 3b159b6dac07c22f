"""The portal's page cache (issue 11 point 4, ADR 0036): pages are kept per generation of the published snapshots,
and a withdrawn entry is never served, cached or not (DISC-23/DISC-24); a publication shows at once (REG-2);
pages of different paths, query strings, pages and agencies never share a key; only anonymous pages are kept, so
nothing personal or unpublished is (REG-15, architecture rule 8)."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhifa.disclosure import pagecache, selectors, views
from zhifa.disclosure.models import PublicEntry
from zhifa.disclosure.pagecache import CACHE_ALIAS, page_key
from zhifa.disclosure.services import portal_generation_bump
from zhifa.disclosure.tests.test_portal import (  # noqa: F401 - _portal_settings is an autouse fixture
    DUMPING_ITEM,
    WATER_ITEM,
    _portal_settings,
    current_entry,
    draft_power_item,
    html,
    make_officer,
    make_org,
    published_power_item,
    search_titles,
    section_url,
)
from zhifa.registry import services

API = "/api/v1/public"


def cached_pages() -> int:
    return len(caches[CACHE_ALIAS]._cache)  # type: ignore[attr-defined]  # LocMemCache's store


def portal_urls(org: Any, entry: PublicEntry) -> dict[str, str]:
    agency = org.agency.public_id
    return {
        "home": reverse("portal:home"),
        "agency": reverse("portal:agency", args=[agency]),
        "remedies": reverse("portal:agency_remedies", args=[agency]),
        "powers": section_url(org, "powers"),
        "search": reverse("portal:search") + "?q=河道",
        "browse": reverse("portal:search") + "?kind=power_item",
        "browse agency": reverse("portal:search") + f"?agency={agency}",
        "entry": reverse("portal:entry", args=[entry.public_id]),
    }


@pytest.mark.django_db
def test_disc23_withdrawn_entry_never_served_from_a_warm_cache(client: Client) -> None:
    """Warm every page, withdraw, ask again: the entry page is 404, no list or API answer shows the entry."""
    org = make_org("锦江区水务局", 1)
    item = published_power_item(org)
    published_power_item(org, name=DUMPING_ITEM, code="330217002")
    entry = current_entry(item)
    urls = portal_urls(org, entry)
    for name, url in urls.items():
        first = client.get(url)
        assert first.status_code == 200, name
        if name not in ("home", "agency", "remedies"):
            assert WATER_ITEM in html(first), name
        with CaptureQueriesContext(connection) as queries:
            again = client.get(url)
        assert html(again) == html(first), name  # served from the cache ...
        assert len(queries) == 1, (name, [q["sql"] for q in queries])  # ... after one look at the generation
    assert cached_pages() == len(urls)

    services.entry_withdraw(actor=org.admin, obj=item)

    assert client.get(urls["entry"]).status_code == 404
    assert client.get(reverse("portal:entry_flowchart", args=[entry.public_id])).status_code == 404
    for name in ("agency", "powers", "search", "browse", "browse agency"):
        page = html(client.get(urls[name]))
        assert WATER_ITEM not in page, name
        assert str(entry.public_id) not in page, name
    assert DUMPING_ITEM in html(client.get(urls["powers"]))
    assert search_titles(client, q="河道") == [DUMPING_ITEM]
    assert client.get(f"{API}/entries/{entry.public_id}").status_code == 404
    assert WATER_ITEM not in client.get(f"{API}/entries", {"q": "河道"}).content.decode()
    assert WATER_ITEM not in client.get(f"{API}/entries", {"kind": "power_item"}).content.decode()


@pytest.mark.django_db
def test_disc23_withdrawn_agency_is_gone_from_its_cached_pages(client: Client) -> None:
    org = make_org("锦江区水务局", 1)
    entry = current_entry(published_power_item(org))
    urls = portal_urls(org, entry)
    for url in urls.values():
        assert client.get(url).status_code == 200
    services.entry_withdraw(actor=org.admin, obj=org.agency)
    assert "锦江区水务局" not in html(client.get(urls["home"]))
    for name in ("agency", "remedies", "powers", "entry"):
        assert client.get(urls[name]).status_code == 404, name
    assert WATER_ITEM not in html(client.get(urls["search"]))


@pytest.mark.django_db
def test_reg2_publication_shows_on_warm_pages_at_once(client: Client) -> None:
    org = make_org("锦江区水务局", 1)
    published_power_item(org)
    powers = section_url(org, "powers")
    assert DUMPING_ITEM not in html(client.get(powers))
    assert DUMPING_ITEM not in html(client.get(reverse("portal:search"), {"kind": "power_item"}))
    item = draft_power_item(org, name=DUMPING_ITEM, code="330217002")
    assert DUMPING_ITEM not in html(client.get(powers))  # a draft is not public, cached or not

    services.entry_submit(actor=org.admin, obj=item)
    item.refresh_from_db()
    services.entry_review(actor=org.reviewer, obj=item, approve=True)
    item.refresh_from_db()
    services.entry_publish(actor=org.admin, obj=item)

    assert DUMPING_ITEM in html(client.get(powers))
    assert DUMPING_ITEM in html(client.get(reverse("portal:search"), {"kind": "power_item"}))
    assert search_titles(client, q="倾倒") == [DUMPING_ITEM]


@pytest.mark.django_db
def test_generation_moves_with_the_snapshots_in_one_transaction() -> None:
    """The generation is one row, changed in the transaction of the publication or withdrawal: a rolled-back change
    leaves it as it was, and another server's change (no hook in this process) is seen by the next request."""
    before = selectors.portal_generation()
    with pytest.raises(RuntimeError), transaction.atomic():
        portal_generation_bump()
        assert selectors.portal_generation() != before
        raise RuntimeError("roll back")
    assert selectors.portal_generation() == before
    portal_generation_bump()
    after = selectors.portal_generation()
    assert after != before
    with CaptureQueriesContext(connection) as queries:
        selectors.portal_generation()
    assert len(queries) == 1 and "disclosure_portalgeneration" in queries[0]["sql"]


@pytest.mark.django_db
def test_another_servers_withdrawal_is_seen_through_the_database(client: Client) -> None:
    """A second app server shares only the database: a withdrawal committed there (the same rows and generation
    update, no in-process hook here) makes this process drop its cached page."""
    org = make_org("锦江区水务局", 1)
    entry = current_entry(published_power_item(org))
    url = reverse("portal:entry", args=[entry.public_id])
    powers = section_url(org, "powers")
    assert client.get(url).status_code == 200 and WATER_ITEM in html(client.get(powers))
    with transaction.atomic():  # what public_entry_withdraw does, as seen from this process's database
        PublicEntry.objects.filter(pk=entry.pk).update(is_current=False)
        portal_generation_bump()
    assert client.get(url).status_code == 404
    assert WATER_ITEM not in html(client.get(powers))


def test_keys_differ_per_path_query_string_page_agency_and_generation() -> None:
    rf = RequestFactory()

    def key(url: str, view: str = "v", generation: str = "1-a") -> str:
        return page_key(rf.get(url), view, generation)

    assert key("/search/?q=河道") != key("/search/?q=采砂")
    assert key("/search/?q=河道") != key("/search/?q=河道&page=2")
    assert key("/search/?q=河道&kind=officer") != key("/search/?q=河道&kind=power_item")
    assert key("/agency/1/powers/") != key("/agency/2/powers/")
    assert key("/agency/1/powers/?page=1") != key("/agency/1/powers/?page=2")
    assert key("/agency/1/powers/") != key("/agency/1/officers/")
    assert key("/search/?q=a&q=b") != key("/search/?q=a")
    assert key("/") != key("/", view="other")
    assert key("/") != key("/", generation="2-b")
    assert key("/search/?q=河道&kind=officer") == key("/search/?kind=officer&q=河道")  # order does not matter


@pytest.mark.django_db
def test_pages_per_agency_and_page_number_are_kept_apart(client: Client) -> None:
    one = make_org("锦江区水务局", 1)
    two = make_org("青羊区水务局", 2)
    published_power_item(one)
    published_power_item(two, name=DUMPING_ITEM, code="330217002")
    for _ in range(2):
        first, second = html(client.get(section_url(one, "powers"))), html(client.get(section_url(two, "powers")))
        assert WATER_ITEM in first and DUMPING_ITEM not in first
        assert DUMPING_ITEM in second and WATER_ITEM not in second
    for i in range(25):
        make_officer(one, f"执法员{i:02d}", f"5101002023{i:04d}")
    for _ in range(2):
        page1 = search_titles(client, q="水利执法", kind="officer")
        page2 = search_titles(client, q="水利执法", kind="officer", page="2")
        assert len(page1) == 20 and len(page2) == 5 and not set(page1) & set(page2)


@pytest.mark.django_db
def test_logged_in_and_flash_message_requests_are_neither_cached_nor_served_from_the_cache(client: Client) -> None:
    """Only anonymous GETs are kept: a page for a request with a session (a staff member who may carry a flash
    message, REG-15's no-personal-data) is rendered for that request alone."""
    org = make_org("锦江区水务局", 1)
    published_power_item(org)
    client.force_login(org.admin)
    home = reverse("portal:home")
    assert client.get(home).status_code == 200
    assert cached_pages() == 0
    anonymous = Client()
    assert anonymous.get(home).status_code == 200
    assert cached_pages() == 1
    with CaptureQueriesContext(connection) as queries:
        client.get(home)
    assert len(queries) > 1  # rendered afresh, not the anonymous copy
    anonymous.cookies["messages"] = "x"
    anonymous.get(reverse("portal:agency", args=[org.agency.public_id]))
    assert cached_pages() == 1


@pytest.mark.django_db
def test_not_found_and_redirect_answers_are_not_kept(client: Client) -> None:
    org = make_org("锦江区水务局", 1)
    agency_entry = current_entry(org.agency)
    assert client.get(reverse("portal:entry", args=[agency_entry.public_id])).status_code == 302
    assert client.get(section_url(org, "no-such-tab")).status_code == 404
    assert cached_pages() == 0


@pytest.mark.django_db
def test_search_page_is_rendered_again_within_seconds_though_the_generation_stays(client: Client, monkeypatch) -> None:
    """The search index may be rebuilt by a task shortly after a publication moved the generation: a search page is
    kept at most SEARCH_CACHE_SECONDS, so a publication shows in search within seconds (issue 11 point 1)."""
    org = make_org("锦江区水务局", 1)
    published_power_item(org)
    assert search_titles(client, q="河道") == [WATER_ITEM]
    monkeypatch.setattr(views.selectors, "entry_search", lambda **kw: selectors.RankedEntries([]))  # the index moved
    assert search_titles(client, q="河道") == [WATER_ITEM]  # still the kept page
    later = time.monotonic() + views.SEARCH_CACHE_SECONDS + 1
    monkeypatch.setattr(pagecache, "time", SimpleNamespace(monotonic=lambda: later))
    [key] = list(caches[CACHE_ALIAS]._cache)  # type: ignore[attr-defined]
    assert pagecache._claim_refresh(key.split(":", 2)[-1])  # another thread is rendering it again ...
    assert search_titles(client, q="河道") == [WATER_ITEM]  # ... so this request gets the kept copy
    pagecache._refreshing.clear()
    assert search_titles(client, q="河道") == []  # rendered again
    assert search_titles(client, q="河道") == []  # and kept
