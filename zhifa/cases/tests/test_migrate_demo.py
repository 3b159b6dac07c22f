"""A database made by an older release migrates and reads back the same (issue 10 bar).

`data/demo-acbd168.tar.xz` is the data folder (SQLite database and keys, without blobs) that `zhifa demo` and
`zhifa demo_cases` produced on commit acbd168, the schema before the re-floor. `data/demo-acbd168.json` is
`snapshot()` taken on that database at that commit. The test unpacks the folder, runs `zhifa migrate` on it in a
separate process (the suite's own database is not touched), then takes the snapshot again and runs
`zhifa verify --deep` (the ledger verifies and the business rows still match what it records).

When a change moves a field, change where `snapshot()` reads it, never the stored JSON: the point is that the same
facts come back. To start a new baseline (only when an old release's schema is retired): on that commit, make a
demo data folder (`ZHIFA_DATA_DIR=D zhifa migrate && zhifa demo && zhifa demo_cases`, plus any extra steps such as
decided review rounds), pack `zhifa.sqlite3`, `keys/` and `secret_key` into the archive and write
`python -m zhifa.cases.tests.test_migrate_demo --snapshot` (run with that data folder) into the JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"
ARCHIVE = DATA / "demo-acbd168.tar.xz"
EXPECTED = DATA / "demo-acbd168.json"
ROOT = Path(__file__).resolve().parents[3]


def snapshot() -> dict[str, Any]:
    """The facts that must survive a migration, in a stable order, read through the ORM of the running code."""
    from zhifa.cases.models import Case, Deadline, Pause, PauseKind
    from zhifa.cases.selectors import review_clock_due
    from zhifa.documents.models import Document
    from zhifa.review.models import ReviewRound
    from zhifa.review.selectors import with_due

    keys = list(Case.objects.values_list("pk", "public_id", "reference"))
    refs = {pk: ref for pk, _, ref in keys}
    refs_by_public = {str(public_id): ref for _, public_id, ref in keys}
    cases = [
        {"reference": c.reference, "kind": c.kind, "state": c.state, "title": c.title, "agency": c.agency.uscc,
         "registered_on": str(c.registered_on),
         # ADR 0025: a penalty case's 立案日期 is on its detail row; other kinds have none (was an empty column).
         "filed_on": str(c.penalty.filed_on if hasattr(c, "penalty") else None), "parties": c.parties.count()}
        for c in Case.objects.select_related("agency", "penalty").order_by("reference")
    ]
    deadlines = sorted(
        [refs[d.case_id], d.code.split(":")[0], d.rule, str(d.start), str(d.due),
         d.day_kind, d.state]
        for d in Deadline.objects.all()
    )
    reviews = sorted(
        [refs[r.case_id], r.number, r.state, str(r.submitted_on), str(r.received_on), str(r.due),
         str(r.decided_on), r.opinion, r.problems]
        for r in with_due(ReviewRound.objects.all(), review_clock_due())  # one review clock (ADR 0024)
    )
    # Clock pauses: the case's (CAL-14, CASE-44/53) and the review round's (REV-6 materials returned), which were
    # ReviewPause rows before ADR 0024 and are cases' Pause rows of kind review_materials since.
    pauses = sorted(
        [refs[p.case_id], "review" if p.kind == PauseKind.REVIEW_MATERIALS else p.kind, str(p.start), str(p.end)]
        for p in Pause.objects.all()
    )
    documents = sorted(
        [refs_by_public.get(str(d.subject_id), ""), d.doc_type, d.number, d.pdf_sha256, d.docx_sha256, d.signed]
        for d in Document.objects.all()
    )
    return {"cases": cases, "deadlines": deadlines, "reviews": reviews, "pauses": pauses, "documents": documents}


def _run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ZHIFA_DATA_DIR": str(data_dir), "DATABASE_URL": f"sqlite:///{data_dir / 'zhifa.sqlite3'}",
           "DJANGO_SETTINGS_MODULE": "zhifa.settings", "PYTHONPATH": str(ROOT)}
    for name in ("ZHIFA_LEDGER_KEY_FILE", "ZHIFA_PII_KEY_FILE", "ZHIFA_BLOB_DIR", "ZHIFA_CHECKPOINT_EXPORT_DIR"):
        env.pop(name, None)
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=600, cwd=ROOT)


def test_demo_database_of_the_old_schema_migrates_and_reads_back_the_same(tmp_path: Path) -> None:
    with tarfile.open(ARCHIVE) as tar:
        tar.extractall(tmp_path, filter="data")
    migrated = _run(["-m", "zhifa.cli", "migrate", "--verbosity", "1"], tmp_path)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    taken = _run(["-m", "zhifa.cases.tests.test_migrate_demo", "--snapshot"], tmp_path)
    assert taken.returncode == 0, taken.stderr[-3000:]
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    got = json.loads(taken.stdout)
    assert all(got[part] for part in expected)
    for part in expected:
        assert got[part] == expected[part], part
    verified = _run(["-m", "zhifa.cli", "verify", "--deep"], tmp_path)
    assert verified.returncode == 0, verified.stdout[-2000:] + verified.stderr[-2000:]
    assert "深度核验通过" in verified.stdout


def _main(argv: list[str]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
    django.setup()
    if argv[:1] == ["--snapshot"]:
        sys.stdout.write(json.dumps(snapshot(), ensure_ascii=False) + "\n")
    else:  # pragma: no cover - a maintainer's tool
        pytest.fail("usage: --snapshot")


if __name__ == "__main__":
    _main(sys.argv[1:])
