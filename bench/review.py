"""Review benchmark (issue 5). Each figure is printed with a ratio against a baseline measured in the same run.

Bar: "the review queue and supervision pages with 50,000 reviews — p95 and query counts constant in data size."
Baseline: the same reads at --small reviews. Ratio = p95(full) / p95(small), target ~1; query counts must be equal.

1. Data: one justice bureau supervising five agencies (A-E), each a `make_case_world` world plus 3 more legal
   reviewers (4 in all, each with a reviewer Staff row), 20 more certified officers and 6 officer accounts that
   submit. Agency A holds 40% of the reviews, B-E 15% each. Cases and review rounds are bulk-created in chunks:
   85% of cases have one round, 15% two (the first returned). Round states: 5% pending, 9% in review, 6% materials
   requested (with an open pause), 65% passed, 15% returned. Open rounds were received in the last 15 days with
   a due date 11 days later (some overdue); decided rounds over the last three years with working days taken
   (5% over 8 = overdue) and 10 CheckResult rows each (returned rounds: 1-4 failed with comments).
   On SQLite the --small size is built first in the application's database and copied (backup API) to
   small.sqlite3; the application's database is then grown to --reviews.
2. Reads, after a warm-up, at both sizes: the selectors (`review_queue_for` as agency A's legal reviewer for every
   scope, first page and a deep page, 20 rows a page as the queue page; `supervision_for` as the bureau's
   supervisor and as A's head; `reviewer_workloads` for A) and the staff pages that answer 200 (Django test Client,
   force_login): /staff/review/?tab=... and /staff/review/supervision/. The deep page is page
   --deep-page; like Django's Paginator.get_page it is clamped to the last page where a scope has fewer rows (the
   rows and offset read at each size are printed). The connection is switched between the two files so each read
   runs in five alternating blocks (small, full, small, ...; --samples calls per size) and noise from other work
   hits both sizes alike. Per read: p50, p95 and the query count (CaptureQueriesContext on five further calls).
   The slowest SELECT of each read at the full size is printed with its SQLite query plan.
   --extra-sql runs statements (e.g. a candidate CREATE INDEX) on both databases before the reads: a way to try a
   fix without changing the application.

Run: .venv/bin/python bench/review.py [--reviews 50000] [--small 500] [--samples 200] [--deep-page 10]
     [--data-dir DIR] [--extra-sql "CREATE INDEX ..."]...
The database is SQLite in a fresh temporary folder (or --data-dir, new or empty); DATABASE_URL (PostgreSQL, an
empty database) measures the small size first, then grows the same database.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _sizes import Db, Read, compare, report_reads, setup_django  # noqa: E402

CHUNK = 2000  # cases per transaction
PAGE = 20  # the queue page's page size (zhifa/review/views.py PAGE_SIZE)
AGENCY_WEIGHTS = [("A", 0.40), ("B", 0.15), ("C", 0.15), ("D", 0.15), ("E", 0.15)]
STATE_WEIGHTS = [("pending", 5), ("in_review", 9), ("materials_requested", 6), ("passed", 65), ("returned", 15)]
OPEN = ("pending", "in_review", "materials_requested")
SCOPES = ["open", "mine", "unassigned", "overdue", "done"]


# ---------------------------------------------------------------------------------------------------------- data


@dataclass
class AgencyWorld:
    world: Any
    reviewers: list[Any]
    submitters: list[Any]


@dataclass
class Bench:
    bureau: Any
    supervisor: Any
    agencies: dict[str, AgencyWorld]
    today: date
    rng: random.Random = field(default_factory=lambda: random.Random(5))
    rounds: int = 0
    cases: int = 0
    checks: int = 0
    serial: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def a(self) -> AgencyWorld:
        return self.agencies["A"]


def build_world() -> Bench:
    from django.utils import timezone

    from zhifa.accounts.roles import Role
    from zhifa.cases.testing import make_case_world
    from zhifa.registry import models as reg
    from zhifa.registry.testing import make_agency, make_personas, make_user

    bureau = make_agency("示范市司法局", justice=True)
    supervisor = make_user(bureau, Role.SUPERVISOR, username="bureau_supervisor")
    agencies = {}
    for label, _w in AGENCY_WEIGHTS:
        world = make_case_world(make_personas(label, supervisor=bureau))
        agency = world.agency
        reviewers = [world["legal_reviewer"]]
        for k in range(3):
            user = make_user(agency, Role.LEGAL_REVIEWER, username=f"{label.lower()}_reviewer{k}")
            reg.Staff.objects.create(agency=agency, name=f"审核员{label}{k}", user=user, is_legal_reviewer=True,
                                     has_legal_qualification=True)
            reviewers.append(user)
        submitters = [world["officer"]] + [make_user(agency, Role.OFFICER, username=f"{label.lower()}_officer{k}")
                                           for k in range(6)]
        staff = reg.Staff.objects.bulk_create([reg.Staff(agency=agency, name=f"执法员{label}{i:02d}")
                                               for i in range(20)])
        reg.Certificate.objects.bulk_create([
            reg.Certificate(staff=s, number=f"RB-{s.pk:05d}", certificate_type="provincial", issuer="湖南省人民政府",
                            valid_from=date(2021, 4, 1), valid_to=date(2029, 12, 31), domains="水行政")
            for s in staff])
        agencies[label] = AgencyWorld(world, reviewers, submitters)
    return Bench(bureau, supervisor, agencies, timezone.localdate())


TITLES = ["未经批准在河道管理范围内采砂案", "未经许可取水案", "在河道管理范围内违法建设案", "违法占用水域案",
          "擅自填堵水域案", "违法向河道倾倒废弃物案"]
CHECK_ITEMS = ["subject", "qualification", "procedure", "facts", "evidence", "legal_basis", "discretion",
               "authority", "documents", "crime"]
PROPOSAL = {"penalty_kinds": ["fine"], "fine_amount": "20000.00", "confiscation_amount": None,
            "facts": "当事人未经许可在长江干流江南段采砂。", "legal_basis": "《中华人民共和国水法》第六十五条第一款",
            "penalty_text": "罚款人民币贰万元整"}
PACKAGE = {"documents": ["调查终结报告", "现场检查笔录", "询问笔录", "行政处罚事先告知书", "听证笔录"]}


def _round(b: Bench, aw: AgencyWorld, case: Any, number: int, state: str) -> tuple[Any, list[Any], Any]:
    from zhifa.cases.models import Pause, PauseKind
    from zhifa.review.models import CheckResult, ReviewRound

    rng, today = b.rng, b.today
    reviewer = rng.choice(aw.reviewers)
    rnd = ReviewRound(case=case, agency_id=case.agency_id, number=number, state=state,
                      reasons=["较大数额罚没款的行政处罚决定"], proposal=PROPOSAL, package=PACKAGE,
                      materials="调查终结报告、证据材料、听证笔录", submitted_by=rng.choice(aw.submitters))
    checks: list[Any] = []
    pause = None
    if state in OPEN:
        rnd.submitted_on = today - timedelta(days=rng.randrange(0, 15))
        rnd.received_on = rnd.submitted_on
        rnd.bench_due = rnd.received_on + timedelta(days=11)  # 5 + (sometimes) 3 working days, roughly
        rnd.extended = rng.random() < 0.1
        if state != "pending":
            rnd.assigned_to, rnd.assigned_by, rnd.assigned_on = reviewer, aw.reviewers[0], rnd.received_on
        if state == "materials_requested":
            pause = Pause(case=case, kind=PauseKind.REVIEW_MATERIALS, review_round=rnd,
                          start=min(today, rnd.received_on + timedelta(days=2)), note="缺少当事人身份证明复印件")
    else:
        rnd.submitted_on = case.registered_on + timedelta(days=30 + 20 * (number - 1))
        rnd.received_on = rnd.submitted_on
        taken = rng.randrange(9, 12) if rng.random() < 0.05 else rng.randrange(1, 9)
        rnd.bench_due = rnd.received_on + timedelta(days=11)
        rnd.decided_on = rnd.received_on + timedelta(days=taken + taken // 5 * 2)
        rnd.working_days_taken, rnd.overdue = taken, taken > 8
        rnd.assigned_to = rnd.reviewer = rnd.assigned_by = reviewer
        rnd.assigned_on = rnd.received_on
        failed = set(rng.sample(CHECK_ITEMS, rng.randrange(1, 5))) if state == "returned" else set()
        rnd.problems = len(failed)
        rnd.opinion = "事实清楚，证据确凿，适用依据正确，程序合法，同意。" if state == "passed" else "存在问题，建议补充调查。"
        checks = [CheckResult(round=rnd, item=item, passed=item not in failed,
                              comment="证据不足，需补充现场照片。" if item in failed else "") for item in CHECK_ITEMS]
    return rnd, checks, pause


def grow(b: Bench, target: int, *, progress: bool = True) -> float:
    """Add cases with their review rounds until there are `target` rounds; returns the seconds spent."""
    from django.db import transaction

    from zhifa.cases.models import Case, Deadline, Pause, PenaltyDetail
    from zhifa.review.models import CheckResult, ReviewRound

    rng, today = b.rng, b.today
    labels = [label for label, _w in AGENCY_WEIGHTS]
    weights = [w for _label, w in AGENCY_WEIGHTS]
    states = [s for s, _w in STATE_WEIGHTS]
    state_w = [w for _s, w in STATE_WEIGHTS]
    start = time.perf_counter()
    next_report = b.rounds + (target - b.rounds) // 10
    while b.rounds < target:
        plan: list[tuple[AgencyWorld, list[str]]] = []  # per case: its rounds' states
        planned = b.rounds
        while planned < target and len(plan) < CHUNK:
            aw = b.agencies[rng.choices(labels, weights)[0]]
            last = rng.choices(states, state_w)[0]
            seq = ["returned", last] if rng.random() < 0.15 and planned + 2 <= target else [last]
            plan.append((aw, seq))
            planned += len(seq)
        cases = []
        for aw, seq in plan:
            i = next(b.serial)
            registered = today - timedelta(days=rng.randrange(20, 60) if seq[-1] in OPEN
                                           else rng.randrange(60, 3 * 365))
            state = {"pending": "legal_review", "in_review": "legal_review", "materials_requested": "legal_review",
                     "passed": rng.choice(["decided", "served", "closed", "archived"]),
                     "returned": "investigation_concluded"}[seq[-1]]
            cases.append(Case(
                agency=aw.world.agency, kind="penalty", state=state, reference=f"临水罚〔{registered.year}〕R{i}号",
                title=rng.choice(TITLES), source_kind="inspection", violation_place="临湘市长江干流江南段",
                violation_region_code="430682", registered_on=registered,
                summary="巡查发现当事人在河道管理范围内作业。", legal_review_required=True,
                created_by=rng.choice(aw.submitters)))
        with transaction.atomic():
            Case.objects.bulk_create(cases)
            PenaltyDetail.objects.bulk_create([PenaltyDetail(case=c, filed_on=c.registered_on + timedelta(days=1))
                                               for c in cases])
            rounds, checks, pauses = [], [], []
            for case, (aw, seq) in zip(cases, plan, strict=True):
                for number, state in enumerate(seq, start=1):
                    rnd, cs, pause = _round(b, aw, case, number, state)
                    rounds.append(rnd)
                    checks.extend(cs)
                    if pause is not None:
                        pauses.append(pause)
            ReviewRound.objects.bulk_create(rounds)
            for obj in checks:
                obj.round_id = obj.round.pk
            for pause in pauses:
                pause.review_round_id = pause.review_round.pk
            CheckResult.objects.bulk_create(checks, batch_size=5000)
            Pause.objects.bulk_create(pauses)
            # The one review clock of each round (ADR 0024): the case's Deadline(code="review") row.
            Deadline.objects.bulk_create([Deadline(
                case_id=r.case_id, agency_id=r.agency_id, code="review", rule="REV-6", label="法制审核",
                start=r.received_on, due=r.bench_due, day_kind="working",
                state=("suspended" if r.state == "materials_requested" else "running") if r.state in OPEN
                else ("missed" if r.overdue else "met"),
                closed_on=None if r.state in OPEN else r.decided_on) for r in rounds], batch_size=5000)
        b.cases += len(cases)
        b.rounds += len(rounds)
        b.checks += len(checks)
        if progress and b.rounds >= next_report:
            elapsed = time.perf_counter() - start
            print(f"   {b.rounds:,} rounds ({b.cases:,} cases, {b.checks:,} check rows) in {elapsed:.0f} s", flush=True)
            next_report += (target - next_report) // 5 or target
    return time.perf_counter() - start


# --------------------------------------------------------------------------------------------------------- reads


def time_calls(read: Read, call: Callable[[], Any], n: int) -> None:
    for _ in range(n):
        start = time.perf_counter()
        call()
        read.times.append(time.perf_counter() - start)


def count_calls(read: Read, call: Callable[[], Any], n: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(n):
        with CaptureQueriesContext(connection) as ctx:
            call()
        read.captured(ctx.captured_queries)


def views_exist() -> dict[str, str]:
    """The review pages' paths, if zhifa/review/urls.py routes them yet."""
    from django.urls import NoReverseMatch, reverse

    found = {}
    for key, names in (("queue", ["review:queue", "review:index", "review:list"]),
                       ("supervision", ["review:supervision"])):
        for name in names:
            try:
                found[key] = reverse(name)
                break
            except NoReverseMatch:
                continue
    return found


def read_specs(b: Bench, deep_page: int) -> list[tuple[str, Callable[[], Any], str]]:
    """The reads, as (name, call, note) on the current database."""
    from django.test import Client

    from zhifa.cases.selectors import review_clock_due
    from zhifa.review import selectors

    due = review_clock_due()  # the round's due date is the case's review clock row (ADR 0024)

    reviewer, head, sup = b.a.world["legal_reviewer"], b.a.world["agency_head"], b.supervisor
    agency_a = b.a.world.agency.pk
    specs: list[tuple[str, Callable[[], Any], str]] = []
    for scope in SCOPES:
        _rows, total = selectors.review_queue_for(user=reviewer, due=due, scope=scope, limit=PAGE)
        last = max(0, (total - 1) // PAGE)
        page = min(deep_page - 1, last)
        note = f"{total} rows in scope"
        specs.append((f"queue {scope}, A reviewer, page 1",
                      lambda s=scope: selectors.review_queue_for(user=reviewer, due=due, scope=s, limit=PAGE), note))
        specs.append((f"queue {scope}, A reviewer, page {deep_page}",
                      lambda s=scope, o=page * PAGE: selectors.review_queue_for(user=reviewer, due=due, scope=s, limit=PAGE,
                                                                                offset=o),
                      f"{note}; read page {page + 1} (offset {page * PAGE})"))
    specs.append(("supervision_for, bureau supervisor", lambda: selectors.supervision_for(user=sup, due=due), ""))
    specs.append(("supervision_for, A agency head", lambda: selectors.supervision_for(user=head, due=due), ""))
    specs.append(("reviewer_workloads, A", lambda: selectors.reviewer_workloads(agency_id=agency_a), ""))

    paths = views_exist()
    if paths:
        clients = {}
        for who, user in (("reviewer", reviewer), ("head", head), ("supervisor", sup)):
            clients[who] = Client()
            clients[who].force_login(user)

        def http(who: str, url: str) -> Callable[[], Any]:
            def call() -> Any:
                response = clients[who].get(url)
                if response.status_code != 200:
                    raise AssertionError(f"{url} ({who}) -> {response.status_code}")
                return response
            return call

        candidates: list[tuple[str, Callable[[], Any], str]] = []
        if "queue" in paths:
            q = paths["queue"]
            for scope in SCOPES:
                candidates.append((f"GET {q}?tab={scope} (A reviewer)", http("reviewer", f"{q}?tab={scope}"), ""))
            for scope in ("open", "done"):
                candidates.append((f"GET {q}?tab={scope}&page={deep_page} (A reviewer)",
                                   http("reviewer", f"{q}?tab={scope}&page={deep_page}"),
                                   "the page clamps to the last page"))
        if "supervision" in paths:
            s = paths["supervision"]
            candidates.append((f"GET {s} (bureau supervisor)", http("supervisor", s), ""))
            candidates.append((f"GET {s} (A agency head)", http("head", s), ""))
        for name, call, note in candidates:  # the pages are being written: measure those that answer
            try:
                call()
            except Exception as exc:  # noqa: BLE001
                print(f"   skipped {name}: {type(exc).__name__}: {str(exc)[:120]}", flush=True)
                continue
            specs.append((name, call, note))
    return specs


def measure_reads(sides: list[tuple[Db, list[tuple[str, Callable[[], Any], str]]]], samples: int,
                  blocks: int = 5, warmup: int = 5, counted: int = 5) -> list[list[Read]]:
    out: list[list[Read]] = [[] for _ in sides]
    per_block = max(1, samples // blocks)
    for j in range(len(sides[0][1])):
        reads = [Read(specs[j][0], note=specs[j][2]) for _db, specs in sides]
        for db, specs in sides:
            db.use()
            for _ in range(warmup):
                specs[j][1]()
        for _blk in range(blocks):
            for (db, specs), read in zip(sides, reads, strict=True):
                db.use()
                time_calls(read, specs[j][1], per_block)
        for (db, specs), read in zip(sides, reads, strict=True):
            db.use()
            count_calls(read, specs[j][1], counted)
        for k, read in enumerate(reads):
            out[k].append(read)
        print(f"   measured {reads[0].name}", flush=True)
    return out


def run_sql(statements: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviews", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--deep-page", type=int, default=10)
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--extra-sql", action="append", default=[],
                        help="SQL run on both databases before the reads (to try an index)")
    args = parser.parse_args()
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="zhifa-bench-review-")
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    setup_django(data_dir)
    from django.db import connection

    sqlite = connection.vendor == "sqlite"
    print(f"database: {connection.vendor}; data dir {data_dir}; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)

    b = build_world()
    print(f"== data: {args.small:,} reviews, then {args.reviews:,}; today {b.today}", flush=True)
    secs = grow(b, args.small, progress=False)
    print(f"   {b.rounds:,} rounds ({b.cases:,} cases, {b.checks:,} check rows) in {secs:.1f} s", flush=True)
    n_small = b.rounds
    full_db = Db(str(connection.settings_dict["NAME"]) if sqlite else None)
    small_db = Db(str(Path(data_dir) / "small.sqlite3") if sqlite else None)
    small_reads = None
    if sqlite:
        connection.close()
        src, dst = sqlite3.connect(full_db.path), sqlite3.connect(small_db.path)
        src.backup(dst)
        src.close()
        dst.close()
    else:  # one database: measure the small size now, then grow it
        run_sql(args.extra_sql)
        small_reads = measure_reads([(small_db, read_specs(b, args.deep_page))], args.samples)[0]
    secs = grow(b, args.reviews)
    print(f"   grown to {b.rounds:,} rounds ({b.cases:,} cases, {b.checks:,} check rows) in {secs / 60:.1f} min",
          flush=True)
    if sqlite:
        size = sum(f.stat().st_size for f in Path(data_dir).glob("zhifa.sqlite3*"))
        print(f"   database files {size / 1e9:.2f} GB (no ANALYZE: the application never runs one)")
        small_db.use()
        run_sql(args.extra_sql)
        small_specs = read_specs(b, args.deep_page)
        full_db.use()
        run_sql(args.extra_sql)
        full_specs = read_specs(b, args.deep_page)
        common = {n for n, _c, _note in small_specs} & {n for n, _c, _note in full_specs}
        small_specs = [spec for spec in small_specs if spec[0] in common]
        full_specs = [spec for spec in full_specs if spec[0] in common]
        small_reads, full_reads = measure_reads([(small_db, small_specs), (full_db, full_specs)], args.samples)
        full_db.use()
    else:
        full_reads = measure_reads([(full_db, read_specs(b, args.deep_page))], args.samples)[0]
    if not views_exist():
        print("\n   (the staff pages are not routed in zhifa/review/urls.py yet: selectors only)")
    print(f"   (load average now {os.getloadavg()[0]:.2f})")
    assert small_reads is not None
    report_reads(f"{n_small:,} reviews", small_reads)
    report_reads(f"{b.rounds:,} reviews ({b.checks:,} check rows)", full_reads)
    compare(small_reads, full_reads, n_small, b.rounds, "reviews")
    print(f"\ntotal {(time.perf_counter() - t0) / 60:.1f} min; load average {os.getloadavg()[0]:.2f}; "
          f"data dir {data_dir}")


if __name__ == "__main__":
    main()
