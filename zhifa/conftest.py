from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from zhifa.accounts.models import User
from zhifa.records.testing import ledger_db, restore_ledger_triggers  # noqa: F401  (fixtures)
from zhifa.registry.models import Agency
from zhifa.registry.testing import AgencyPersonas, make_agency, make_personas, make_user


@pytest.fixture(autouse=True)
def _empty_page_caches() -> None:
    """Each test starts with no cached portal page (ADR 0036) and no cached case page (ADR 0042): tests that write
    rows without the services, or a rolled-back test database, must not meet a page another test left under the
    same generation or case version."""
    caches["portal"].clear()
    caches["case_pages"].clear()


@pytest.fixture
def bureau(db: None) -> Agency:
    return make_agency("示范市司法局", justice=True)


@pytest.fixture
def agency_a(bureau: Agency) -> AgencyPersonas:
    return make_personas("A", supervisor=bureau)


@pytest.fixture
def agency_b(bureau: Agency) -> AgencyPersonas:
    return make_personas("B", supervisor=bureau)


@pytest.fixture
def supervisor(bureau: Agency) -> User:
    return make_user(bureau, "supervisor", username="supervisor")


@pytest.fixture
def system_admin(db: None) -> User:
    return make_user(None, "system_admin", username="sysadmin")


@pytest.fixture
def in_process_requests() -> Iterator[None]:
    """Keep the test's database connection (and its transaction) across requests, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
