"""Helper process for test_crash.py (not collected by pytest): runs against the data folder of a real server.

    python -m zhifa.records.tests._crash_tool setup      -> JSON {"token": ..., "username": ...}
    python -m zhifa.records.tests._crash_tool check      -> JSON facts about the database, blobs and temp files
    python -m zhifa.records.tests._crash_tool check --fixity   (first runs `zhifa fixity`, as an operator would,
                                                               then the sweep once its time window has passed)

The database and folders come from the environment exactly as for `zhifa` (ZHIFA_DATA_DIR), so this is a fresh
process looking at what the killed server left on disk, never at pytest-django's test database.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import sys
from typing import Any


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
    import django

    django.setup()


def setup() -> dict[str, Any]:
    """An agency, one user who may upload evidence (officer) and create units (agency_admin), and a token."""
    from zhifa.accounts.services import api_token_create
    from zhifa.registry.testing import make_agency, make_user

    agency = make_agency("崩溃测试水利局")
    user = make_user(agency, "officer", "agency_admin", username="crash.officer")
    _row, token = api_token_create(user=user, name="crash test")
    return {"token": token, "username": user.username, "agency": str(agency.public_id)}


def _fixity() -> dict[str, Any]:
    """`zhifa fixity` in this process: its sweep of upload temp files and its blob report, with its exit status."""
    from django.core.management import CommandError, call_command

    out, err = io.StringIO(), io.StringIO()
    status = 0
    try:
        call_command("fixity", stdout=out, stderr=err)
    except CommandError as exc:
        status = exc.returncode
    return {"status": status, "stdout": out.getvalue(), "stderr": err.getvalue()}


def _tmp_files(store: Any) -> list[str]:
    tmp = store.tmp_dir
    # `parts/` holds the parts of open resumable uploads (the local backend's, ADR 0027): checked per session.
    return sorted(p.name for p in tmp.iterdir() if p.name != "parts") if tmp.is_dir() else []


def _sweep_after_window(store: Any) -> int:
    """The sweep as it will run once the window for single-request temp files has passed (FC-4: "temp files gone
    or swept within the set window"): `now` moved past the window, far less than the idle time that expires a
    session, so open sessions stay open. Without an age window (temp files swept as soon as their writer is
    gone) this is just one more sweep."""
    from django.utils import timezone

    from zhifa.records import uploads

    window = getattr(uploads, "SINGLE_TMP_MAX_AGE", datetime.timedelta(0))
    assert window < uploads.session_ttl()
    return uploads.upload_sweep(now=timezone.now() + window + datetime.timedelta(minutes=1), store=store)


def check(*, run_fixity: bool) -> dict[str, Any]:
    from django.db import connection

    from zhifa.records.blobstore import SHA256_RE, default_store
    from zhifa.records.models import Blob, Evidence, LedgerEntry, UploadSession
    from zhifa.records.uploads import upload_key
    from zhifa.records.verify_db import verify_ledger

    facts: dict[str, Any] = {"vendor": connection.vendor}
    store = default_store()
    if run_fixity:
        facts["fixity"] = _fixity()
        facts["tmp_after_fixity"] = _tmp_files(store)
        facts["swept_after_window"] = _sweep_after_window(store)

    blob_ok: dict[str, bool] = {}

    def intact(sha: str, size: int) -> bool:
        if sha not in blob_ok:
            blob_ok[sha] = store.verify(sha, size)
        return blob_ok[sha]

    evidence = []
    for e in Evidence.objects.select_related("ledger_entry").order_by("pk"):
        entry = json.loads(bytes(e.ledger_entry.canonical))
        evidence.append({
            "public_id": str(e.public_id), "sha256": e.blob_id, "size": e.size, "ledger_seq": e.ledger_entry_id,
            "blob_present": store.exists(e.blob_id), "blob_ok": intact(e.blob_id, e.size),
            "entry_kind": entry.get("kind"), "entry_evidence_id": (entry.get("payload") or {}).get("evidence_id"),
            "entry_sha256": [b.get("sha256") for b in entry.get("blobs") or []],
            "integrity_status": e.integrity_status,
        })
    facts["evidence"] = evidence
    facts["blobs_missing"] = [
        sha for sha, size in Blob.objects.values_list("sha256", "size") if not intact(sha, size)
    ]
    known = set(Blob.objects.values_list("sha256", flat=True))
    orphans = []
    for path, name in store.walk():
        if name is None or name not in known:
            actual = name if name is not None and store.backend.verify(name) else None
            orphans.append({"path": str(path), "hash_matches_name": actual == name})
    facts["blob_files_unreferenced"] = orphans

    facts["registry_streams"] = sorted(
        LedgerEntry.objects.filter(stream__startswith="registry:unit:").values_list("stream", flat=True)
    )
    report = verify_ledger()
    facts["ledger"] = {"ok": report.ok, "size": report.size, "problems": report.problems}
    seqs = list(LedgerEntry.objects.order_by("seq").values_list("seq", flat=True))
    facts["ledger"]["gapless"] = seqs == list(range(len(seqs)))

    sessions = []
    for s in UploadSession.objects.order_by("pk"):
        parts = store.backend.parts(upload_key(s))  # parts live in the storage backend (ADR 0027)
        sessions.append({
            "public_id": str(s.public_id), "state": s.state, "received": s.received, "size": s.expected_size,
            "part_exists": bool(parts), "part_size": max((p.end for p in parts), default=None),
            "evidence": str(s.evidence.public_id) if s.evidence_id else None,
        })
    facts["sessions"] = sessions
    facts["tmp_files"] = _tmp_files(store)
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA integrity_check")
            facts["integrity_check"] = [r[0] for r in cur.fetchall()]
            cur.execute("PRAGMA foreign_key_check")
            facts["foreign_key_check"] = [list(r) for r in cur.fetchall()]
    facts["sha256_names_valid"] = all(SHA256_RE.match(e["sha256"]) for e in evidence)
    return facts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup")
    c = sub.add_parser("check")
    c.add_argument("--fixity", action="store_true")
    args = parser.parse_args(argv)
    _setup_django()
    result = setup() if args.command == "setup" else check(run_fixity=args.fixity)
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
