"""The portal's search index is built by a task and shared through the database (issue 10 point 8, ADR 0028): a
publication enqueues the rebuild; any app server then loads the stored index instead of building its own."""

from __future__ import annotations

import bm25s
import pytest
from django_tasks_db.models import DBTaskResult

from zhifa.common.tasks import run_pending
from zhifa.disclosure import search
from zhifa.disclosure.models import PublicEntry, SearchIndex
from zhifa.disclosure.services import public_entry_publish
from zhifa.registry.testing import make_agency, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():  # noqa: ANN201
    agency = make_agency("临湘市水利局")
    actor = make_user(agency, "disclosure_officer", username="disclosure")
    entry = public_entry_publish(obj=agency, agency_id=agency.pk, version=1, actor=actor)
    search.invalidate_search_index()
    return entry


def test_publication_enqueues_the_rebuild_and_the_task_stores_the_index(published: PublicEntry) -> None:
    assert DBTaskResult.objects.filter(task_path="zhifa.disclosure.tasks.search_index_rebuild").count() == 1
    assert not SearchIndex.objects.exists()
    assert run_pending() == 1
    stored = SearchIndex.objects.get()
    assert stored.entry_ids == [published.pk] and stored.generation == search._generation()


def test_publications_queue_one_rebuild_while_it_waits(published: PublicEntry) -> None:
    other = make_agency("临湘市交通运输局")
    public_entry_publish(obj=other, agency_id=other.pk, version=1, actor=published.published_by)
    assert DBTaskResult.objects.filter(task_path="zhifa.disclosure.tasks.search_index_rebuild").count() == 1
    assert run_pending() == 1
    current = PublicEntry.objects.filter(is_current=True).values_list("pk", flat=True)
    assert len(current) == 2 and sorted(SearchIndex.objects.get().entry_ids) == sorted(current)


def test_a_server_loads_the_stored_index_instead_of_building_one(published: PublicEntry, monkeypatch) -> None:
    run_pending()
    search.invalidate_search_index()  # another process: nothing in memory

    def no_build(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("the index was built in the request")

    monkeypatch.setattr(bm25s.BM25, "index", no_build)
    assert search.search_entry_ids("水利局") == [published.pk]


def test_a_search_before_the_task_ran_builds_and_stores_it_once(published: PublicEntry) -> None:
    assert search.search_entry_ids("水利局") == [published.pk]  # never stale, even before the worker ran
    assert SearchIndex.objects.count() == 1
    assert run_pending() == 1  # the queued rebuild finds it stored and keeps it
    assert SearchIndex.objects.count() == 1
