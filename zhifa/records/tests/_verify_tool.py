"""Helper process for test_verify_parallel.py (not collected by pytest): builds a ledger in the file database of
ZHIFA_DATA_DIR, then verifies it with forked worker processes (`verify_db._pool`), sound and with planted faults.
Prints one JSON line."""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def main() -> dict[str, Any]:
    os.makedirs(os.environ["ZHIFA_DATA_DIR"], exist_ok=True)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from zhifa.records import verify_db
    from zhifa.records.ledger import encode_frontier, ledger_append, node_key
    from zhifa.records.models import LedgerHead
    from zhifa.records.tests._packages import dba_unguarded

    call_command("migrate", verbosity=0)
    for i in range(300):
        with transaction.atomic():
            ledger_append(kind="test.entry", stream="test", agency_id=None, actor=None, payload={"i": i})
    one = verify_db.verify_ledger(workers=1)

    def run() -> dict[str, Any]:
        assert verify_db._can_fork()
        with verify_db._pool(2) as mapper:
            fast = verify_db._verify_chunked(check_nodes=True, mapper=mapper, chunk=16)
        report = verify_db.verify_ledger(workers=2)
        return {"fast": fast is not None and fast.ok, "ok": report.ok, "problems": report.problems,
                "same_root": fast is not None and fast.root == one.root}

    result: dict[str, Any] = {"sound": run()}
    result["sound"].pop("problems")
    with dba_unguarded("records_ledgerentry"), connection.cursor() as cur:
        cur.execute("SELECT canonical FROM records_ledgerentry WHERE seq = 100")
        (saved,) = cur.fetchone()
        cur.execute("UPDATE records_ledgerentry SET canonical = %s WHERE seq = 100", [b'{"forged":1}'])
    result["leaf"] = run()
    with dba_unguarded("records_ledgerentry", "records_ledgernode"), connection.cursor() as cur:
        cur.execute("UPDATE records_ledgerentry SET canonical = %s WHERE seq = 100", [saved])
        cur.execute("SELECT hash FROM records_ledgernode WHERE key = %s", [node_key(3, 7)])
        (node,) = cur.fetchone()
        cur.execute("UPDATE records_ledgernode SET hash = %s WHERE key = %s", [b"\x05" * 32, node_key(3, 7)])
    result["node"] = run()
    frontier = LedgerHead.objects.get(pk=1).frontier
    with dba_unguarded("records_ledgernode"), connection.cursor() as cur:
        cur.execute("UPDATE records_ledgernode SET hash = %s WHERE key = %s", [node, node_key(3, 7)])
    LedgerHead.objects.filter(pk=1).update(frontier=encode_frontier([(8, b"\x03" * 32), (5, b"\x04" * 32)]))
    result["head"] = run()
    LedgerHead.objects.filter(pk=1).update(frontier=frontier)
    result["restored"] = run()
    return result


if __name__ == "__main__":
    sys.stdout.write(json.dumps(main(), ensure_ascii=False) + "\n")
