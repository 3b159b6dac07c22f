"""Helper processes for the concurrent-append test in test_ledger.py (not collected by pytest).

    python -m zhifa.records.tests._append_worker append --worker 2 --count 2000 --start-at 1700000000.5
    python -m zhifa.records.tests._append_worker dump OUT.json

The database comes from the environment exactly as for `zhifa` (ZHIFA_DATA_DIR for the SQLite file, or
DATABASE_URL), so each worker is an independent process with its own connection, like an app server.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings.test")
    import django

    django.setup()


def append(worker: int, count: int, start_at: float) -> dict[str, object]:
    """`count` appends, one transaction each, as services make them. On SQLite a writer that waited longer than
    busy_timeout for the write lock gets "database is locked" at BEGIN, before anything was done; such a
    transaction is retried (and counted), which is what a service would have to do."""
    _setup()
    from django.db import OperationalError, connection, transaction

    from zhifa.records.ledger import ledger_append

    connection.ensure_connection()
    time.sleep(max(0.0, start_at - time.time()))
    began = time.monotonic()
    seqs: list[int] = []
    lock_timeouts = 0
    i = 0
    while i < count:
        try:
            with transaction.atomic():
                row = ledger_append(
                    kind="test.concurrent", stream=f"concurrency:{worker}", agency_id=None, actor=None,
                    payload={"worker": worker, "i": i, "说明": "并发追加"},
                )
        except OperationalError as exc:
            if "locked" not in str(exc) or lock_timeouts >= 20:
                raise
            lock_timeouts += 1
            continue
        seqs.append(row.seq)
        i += 1
    return {"worker": worker, "appended": len(seqs), "seqs": seqs, "lock_timeouts": lock_timeouts,
            "seconds": time.monotonic() - began}


def dump(path: str) -> None:
    _setup()
    from django.db import connection

    from zhifa.records.checkpoints import checkpoint_create, public_key
    from zhifa.records.ledger import tree_head
    from zhifa.records.models import LedgerEntry

    head_size, head_root = tree_head()
    checkpoint = checkpoint_create()
    rows = LedgerEntry.objects.order_by("seq").values_list("seq", "canonical", "leaf_hash")
    data = {
        "vendor": connection.vendor,
        "head_size": head_size,
        "head_root": head_root.hex(),
        "checkpoint": checkpoint.note,
        "public_key": public_key(),
        "entries": [
            [seq, base64.b64encode(bytes(canonical)).decode(), bytes(leaf).hex()] for seq, canonical, leaf in rows
        ],
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("append")
    a.add_argument("--worker", type=int, required=True)
    a.add_argument("--count", type=int, required=True)
    a.add_argument("--start-at", type=float, default=0.0)
    d = sub.add_parser("dump")
    d.add_argument("path")
    args = parser.parse_args(argv)
    if args.command == "append":
        sys.stdout.write(json.dumps(append(args.worker, args.count, args.start_at)) + "\n")
    else:
        dump(args.path)


if __name__ == "__main__":
    main()
