from __future__ import annotations

import pytest

from zhifa.common.testing import AgencyPersonas, make_agency, make_personas, make_user
from zhifa.records.testing import ledger_db, restore_ledger_triggers  # noqa: F401  (fixtures)


@pytest.fixture
def bureau(db):  # type: ignore[no-untyped-def]
    return make_agency("示范市司法局", justice=True)


@pytest.fixture
def agency_a(bureau) -> AgencyPersonas:  # type: ignore[no-untyped-def]
    return make_personas("A", supervisor=bureau)


@pytest.fixture
def agency_b(bureau) -> AgencyPersonas:  # type: ignore[no-untyped-def]
    return make_personas("B", supervisor=bureau)


@pytest.fixture
def supervisor(bureau):  # type: ignore[no-untyped-def]
    return make_user(bureau, "supervisor", username="supervisor")


@pytest.fixture
def system_admin(db):  # type: ignore[no-untyped-def]
    return make_user(None, "system_admin", username="sysadmin")
