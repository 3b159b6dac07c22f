"""Background work of the disclosure app (ADR 0028): the shared search index, rebuilt after each publication or
withdrawal (enqueued by the services after commit) and hourly by the worker."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from zhifa.common.tasks import periodic
from zhifa.disclosure.search import search_index_build


@periodic("disclosure.search_index", every=lambda: timedelta(hours=1))
@task()
def search_index_rebuild() -> int:
    """Build the index of the current snapshots unless it is stored already; returns how many entries it holds."""
    return len(search_index_build().entry_ids)
