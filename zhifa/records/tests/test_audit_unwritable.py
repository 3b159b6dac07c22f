"""Fail closed when the database refuses the audit write itself (reliability.md FC-5; architecture rule 7).

The other FC-5 tests make the access-log call raise in Python. Here the database refuses: a trigger rejects every
INSERT into the ledger table, as a revoked INSERT privilege or a read-only ledger would. Case reads (staff page,
API detail and timeline) and evidence reads (page, download, API) must then answer 503 with no case or evidence
data and leave no partial record; once the refusal is lifted the same reads work again and are logged.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from zhifa.accounts.roles import Role
from zhifa.accounts.services import api_token_create
from zhifa.cases.testing import make_case_world, new_penalty_case, person_party
from zhifa.records.ledger import tree_head
from zhifa.records.tests.test_evidence import JPEG, store_evidence, stores  # noqa: F401  (fixture)

REFUSE = {
    "sqlite": [
        "CREATE TRIGGER fc5_refuse BEFORE INSERT ON records_ledgerentry "
        "BEGIN SELECT RAISE(ABORT, 'audit store unwritable'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION fc5_refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit store unwritable'; END $$ "
        "LANGUAGE plpgsql",
        "CREATE TRIGGER fc5_refuse BEFORE INSERT ON records_ledgerentry FOR EACH ROW EXECUTE FUNCTION fc5_refuse()",
    ],
}
LIFT = {
    "sqlite": ["DROP TRIGGER fc5_refuse"],
    "postgresql": ["DROP TRIGGER fc5_refuse ON records_ledgerentry", "DROP FUNCTION fc5_refuse()"],
}


def _run(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


@pytest.mark.django_db
def test_fc5_reads_are_503_while_the_database_refuses_audit_inserts(agency_a, stores) -> None:  # noqa: F811
    world = make_case_world(agency_a)
    party = person_party("闻人晓月")
    case = new_penalty_case(world, parties=[party])
    officer = world["officer"]
    evidence = store_evidence(officer, JPEG, stream=case.stream, name="现场照片甲.jpg")

    staff = Client()
    staff.force_login(officer)
    _row, token = api_token_create(user=agency_a[Role.OFFICER], name="fc5")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def reads() -> list[tuple[str, object]]:
        return [
            ("case page", staff.get(reverse("cases:detail", args=[case.public_id]))),
            ("case api", api.get(f"/api/v1/cases/{case.public_id}")),
            ("case timeline api", api.get(f"/api/v1/cases/{case.public_id}/timeline")),
            ("evidence page", staff.get(reverse("records:evidence_detail", args=[evidence.public_id]))),
            ("evidence download", staff.get(reverse("records:evidence_download", args=[evidence.public_id]))),
            ("evidence api", api.get(f"/api/v1/records/evidence/{evidence.public_id}")),
        ]

    size_before = tree_head()[0]
    _run(REFUSE[connection.vendor])
    try:
        for what, response in reads():
            body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
            assert response.status_code == 503, (what, response.status_code)  # type: ignore[attr-defined]
            for secret in (party["name"], party["id_number"], case.title, case.reference, "现场照片甲", evidence.sha256):
                assert secret.encode() not in body, (what, secret)
            assert JPEG[:32] not in body, what
        assert tree_head()[0] == size_before  # no partial record
    finally:
        _run(LIFT[connection.vendor])

    for what, response in reads():
        assert response.status_code == 200, (what, response.status_code)  # type: ignore[attr-defined]
    assert tree_head()[0] > size_before  # the reads are logged again
