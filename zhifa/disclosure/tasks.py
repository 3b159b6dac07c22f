"""Background work of the disclosure app (ADR 0028, 0034): the stored base of the search index, rebuilt after each
publication (enqueued by the service after commit) and hourly by the worker."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from zhifa.common.tasks import periodic
from zhifa.disclosure.search import search_index_build


@periodic("disclosure.search_index", every=lambda: timedelta(hours=1))
@task()
def search_index_rebuild() -> int:
    """Build the base index of the current snapshots unless the stored one covers the newest; how many it holds."""
    return search_index_build().entries
