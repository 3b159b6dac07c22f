"""The portal's search index (issue 11 point 1, ADR 0034; DISC-2 search, DISC-23/24 withdrawal): a stored base built
only by the task, shared through the storage port by every app server, plus the snapshots published after it scored
from their stored tokens, so a publication is searchable at once and no request ever builds an index. Whatever the
index holds, a withdrawn or superseded version never appears."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path
from typing import Any

import bm25s
import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from zhifa.common.migration_support import schema_editor_stub
from zhifa.common.storage import storage_from_settings
from zhifa.common.tasks import run_pending
from zhifa.disclosure import search
from zhifa.disclosure.models import EntryKind, PublicEntry, SearchIndex, SearchTokens
from zhifa.disclosure.selectors import entry_search
from zhifa.disclosure.services import public_entry_publish, public_entry_withdraw
from zhifa.registry.models import Agency
from zhifa.registry.testing import make_agency, make_user

pytestmark = pytest.mark.django_db
TASK = "zhifa.disclosure.tasks.search_index_rebuild"


@pytest.fixture(autouse=True)
def _fresh(settings: Any) -> None:
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    # The portal's page cache (ADR 0036) off: these tests read what the search module and the page render, and
    # some change snapshots behind the services (no generation change). Cached pages: test_page_cache.py.
    settings.CACHES = {**settings.CACHES, "portal": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    search.invalidate_search_index()


@pytest.fixture
def published() -> PublicEntry:
    agency = make_agency("临湘市水利局")
    actor = make_user(agency, "disclosure_officer", username="disclosure")
    return public_entry_publish(obj=agency, agency_id=agency.pk, version=1, actor=actor)


def _publish_agency(name: str, actor: Any) -> PublicEntry:
    agency = make_agency(name)
    return public_entry_publish(obj=agency, agency_id=agency.pk, version=1, actor=actor)


def _power_item(agency_entry: PublicEntry, title: str, source_id: int) -> PublicEntry:
    """A current power-item snapshot, stored as the publish service stores one (tokens included)."""
    text = f"{title} 行政处罚"
    entry = PublicEntry.objects.create(
        kind=EntryKind.POWER_ITEM, agency_id=agency_entry.agency_id, source_id=source_id, version=1, title=title,
        body={"code": f"C{source_id}"}, search_text=text, published_at=timezone.now(),
        published_by=agency_entry.published_by)
    SearchTokens.objects.create(entry=entry, tokens=search.entry_tokens(title, text))
    return entry


def _found(client: Client, query: str) -> tuple[list[int], list[str]]:
    """Ids the module returns after the selector's filter, and the titles of the portal page and the API."""
    ids = entry_search(query=query).ids
    page = client.get(reverse("portal:search"), {"q": query})
    api = client.get("/api/v1/public/entries", {"q": query})
    assert page.status_code == 200 and api.status_code == 200
    return ids, [h["entry"].title for h in page.context["hits"]] + [i["title"] for i in api.json()["items"]]


def no_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any index build from here on fails the test (the task is not run; requests must not build)."""
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("an index was built outside the task")

    monkeypatch.setattr(search, "search_index_build", refuse)
    monkeypatch.setattr(bm25s.BM25, "index", refuse)


# ---------------------------------------------------------------------------------------------------------------


def test_publication_enqueues_the_rebuild_and_the_task_stores_the_base(published: PublicEntry) -> None:
    assert DBTaskResult.objects.filter(task_path=TASK).count() == 1
    assert not SearchIndex.objects.exists()
    assert run_pending() == 1
    stored = SearchIndex.objects.get()
    assert (stored.covers_through, stored.entries) == (published.pk, 1)
    assert storage_from_settings(settings).file_size(search.file_name(stored.name)) == stored.size


def test_publications_queue_one_rebuild_while_it_waits(published: PublicEntry) -> None:
    _publish_agency("临湘市交通运输局", published.published_by)
    assert DBTaskResult.objects.filter(task_path=TASK).count() == 1
    assert run_pending() == 1
    assert SearchIndex.objects.get().entries == 2


def test_a_publication_is_found_at_once_without_a_build_in_the_request(
        published: PublicEntry, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    run_pending()
    assert entry_search(query="水利局").ids == [published.pk]  # this process has loaded the base
    base = SearchIndex.objects.get()
    no_build(monkeypatch)
    newer = _publish_agency("临湘市交通运输局", published.published_by)  # the task has not run for it
    ids, titles = _found(client, "交通运输局")
    assert ids == [newer.pk] and titles == ["临湘市交通运输局", "临湘市交通运输局"]
    assert list(SearchIndex.objects.all()) == [base]


def test_before_any_base_exists_search_answers_from_the_stored_tokens(published: PublicEntry, client: Client,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    no_build(monkeypatch)
    ids, titles = _found(client, "水利局")
    assert ids == [published.pk] and titles == ["临湘市水利局"] * 2
    assert not SearchIndex.objects.exists()


def test_a_withdrawn_entry_never_appears_stale_base_or_rebuilt(published: PublicEntry, client: Client) -> None:
    """DISC-23/24: withdrawal takes the entry off search at once, while the stored base still holds it."""
    item = _power_item(published, "河道采砂许可", 9001)
    other = _publish_agency("临湘市交通运输局", published.published_by)
    run_pending()
    assert SearchIndex.objects.get().entries == 3
    assert entry_search(query="河道采砂").ids == [item.pk]
    PublicEntry.objects.filter(pk=item.pk).update(is_current=False, withdrawn_at=timezone.now())  # as the service
    public_entry_withdraw(obj=Agency.objects.get(pk=other.agency_id))
    assert item.pk in search.search_entry_ids("河道采砂")  # the base is stale ...
    assert _found(client, "河道采砂") == ([], [])  # ... and the results are not
    assert _found(client, "交通运输局") == ([], [])
    run_pending()  # the withdrawal queued a rebuild; the new base no longer holds them
    assert SearchIndex.objects.get().entries == 1
    assert _found(client, "河道采砂") == ([], []) and _found(client, "交通运输局") == ([], [])


def test_a_superseded_version_does_not_appear(published: PublicEntry, client: Client) -> None:
    run_pending()
    agency = Agency.objects.get(pk=published.agency_id)
    agency.name = "临湘市水务局"
    agency.save()
    v2 = public_entry_publish(obj=agency, agency_id=agency.pk, version=2, actor=published.published_by)
    assert published.pk in search.search_entry_ids("水利局")  # the base still holds version 1
    for _state in ("stale base", "rebuilt"):
        ids, titles = _found(client, "临湘市水利局")
        assert published.pk not in ids and "临湘市水利局" not in titles
        assert _found(client, "水务局")[0] == [v2.pk]
        run_pending()


def test_a_second_server_loads_the_stored_base(published: PublicEntry, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another app server shares the database and the storage port, not the local disk or this process's memory."""
    assert run_pending() == 1  # the worker builds the base
    name = SearchIndex.objects.get().name
    search.invalidate_search_index()  # a fresh process ...
    shutil.rmtree(Path(settings.DATA_DIR) / "cache" / "search")  # ... on another machine
    no_build(monkeypatch)
    assert search.search_entry_ids("水利局") == [published.pk]
    assert (Path(settings.DATA_DIR) / "cache" / "search" / name / "zhifa.json").exists()  # fetched from the port


def test_a_search_whose_state_did_not_change_costs_one_query(published: PublicEntry,
                                                             django_assert_num_queries: Any) -> None:
    run_pending()
    search.search_entry_ids("水利局")  # loads the base
    _publish_agency("临湘市交通运输局", published.published_by)
    search.search_entry_ids("水利局")  # reads the one newer snapshot
    with django_assert_num_queries(1):  # the freshness check: the newest snapshot and the newest base
        assert search.search_entry_ids("交通运输局") != []


@pytest.mark.parametrize("query", ["", "   ", "，。！", "的", "%", "\x00\x01", "<script>", "a" * 100, "🙂" * 50])
def test_empty_and_junk_queries_answer_plainly(published: PublicEntry, client: Client, query: str) -> None:
    run_pending()
    page = client.get(reverse("portal:search"), {"q": query, "page": "x"})
    api = client.get("/api/v1/public/entries", {"q": query})
    if "\x00" in query:  # control characters are refused before any view runs
        assert page.status_code == 400 and api.status_code == 400
        return
    assert page.status_code == 200 and api.status_code == 200
    assert page.context["hits"] == []
    if not query.strip():
        assert api.json()["count"] == 1  # no query: browsing
    else:
        assert api.json()["items"] == []
    too_long = client.get("/api/v1/public/entries", {"q": "河" * 101})
    assert too_long.status_code == 422  # refused by its documented length, not an error


def test_the_migration_fills_the_tokens_of_existing_snapshots(published: PublicEntry) -> None:
    SearchTokens.objects.filter(entry=published).delete()
    migration = importlib.import_module("zhifa.disclosure.migrations.0004_search_base_and_delta")
    migration.backfill_tokens(django_apps, schema_editor_stub())
    migration.backfill_tokens(django_apps, schema_editor_stub())  # again: nothing to add
    stored = SearchTokens.objects.get(entry=published).tokens
    assert stored == search.entry_tokens(published.title, published.search_text) and "水利局" in stored.split()
