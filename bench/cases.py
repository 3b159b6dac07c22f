"""Cases benchmark (issue 5). Each figure is printed with a ratio against a baseline measured in the same run.

Bar: "100,000 cases with 20 ledger entries each — case list, case page and due list p95 and query counts (constant
in data size); one full lifecycle through the services (cases per second); PDF render time per document (target
median <= 0.5 s)."

1. PDF (first, so the first render of the process is the cold one): every document type's sample context through
   `render_pdf`, --pdf-rounds times; the first render (font loading) is reported separately. Baseline: a one-line A4
   HTML page through WeasyPrint with the same font configuration, rendered right after each document (interleaved).
   Ratio = baseline median / document median. Target: document median <= 0.5 s.
2. Data: one agency world (`make_case_world`, plus 200 more certified officers), then cases bulk-created in chunks
   of 200 (unique references, 1-2 parties, 2 officers, 2-3 deadlines spread around today, some missed, ~85% of cases
   closed or archived) and 20 ledger entries per case in the case's stream, each a real `ledger_append` (Merkle
   nodes stored), one `transaction.atomic()` per chunk (4,000 appends). On SQLite two databases are built the same
   way: small.sqlite3 with --small cases, and the application's database, first to --small (its append rate
   projects the full build), then grown to --cases. If the growth takes longer than --build-budget-min it stops at a
   chunk boundary and the size reached is the one reported.
3. Reads at both sizes, after a warm-up: the selectors (`case_list_for` page 1, page 50, the officer's own cases;
   `case_page_for` of random cases; `due_list_for` for the officer and the head) and the staff pages over HTTP
   (Django test Client, force_login). The connection is switched between the two files so that each read runs in
   five alternating blocks (small, full, small, ...; --samples calls per size), and noise from other work on the
   machine hits both sizes alike. Per read: p50, p95 and the query count (CaptureQueriesContext on five further
   calls, so capturing does not slow the timed ones). Ratio = p95(full) / p95(small): target ~1, and the query
   counts must be equal. The slowest SELECT of each read at the full size is printed with its plan (SQLite).
   On PostgreSQL (DATABASE_URL) there is one database: the small size is measured first, then it grows.
4. Lifecycle: K general-procedure cases through the services, `walk_to(..., "archived")` (renders, signs and
   archives real documents), interleaved with the baseline: the same walk stopped at "investigating". Time inside
   `render_pdf` and `sign_pdf` is summed to show what dominates.

Run: .venv/bin/python bench/cases.py [--cases 100000] [--entries-per-case 20] [--small 1000] [--samples 200]
     [--lifecycle 20] [--pdf-rounds 5] [--data-dir DIR] [--build-budget-min 15] [--pdf-only]
The database is SQLite in a fresh temporary folder (or --data-dir, which must be new or empty), or DATABASE_URL if
set (it must point to an empty database).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _sizes import Db, Read, compare, pct, report_reads, setup_django  # noqa: E402

CHUNK = 200  # cases per transaction (x 20 entries = 4,000 appends)
PAGE = 20  # the staff list's page size
DEEP_PAGE = 50


# ----------------------------------------------------------------------------------------------------------- PDF


BASELINE_HTML = ('<!doctype html><html><head><meta charset="utf-8"><style>@page { size: A4; margin: 2cm }</style>'
                 "</head><body><p>行政处罚决定书</p></body></html>")


def bench_pdf(rounds: int) -> dict[str, Any]:
    from weasyprint import HTML

    from zhifa.documents import rendering
    from zhifa.documents.samples import all_samples

    samples = all_samples()
    for context in samples.values():
        context["number"] = "临水测〔2026〕1号"
    first_code = "penalty_decision" if "penalty_decision" in samples else next(iter(samples))
    start = time.perf_counter()
    rendering.render_pdf(first_code, samples[first_code])
    first = time.perf_counter() - start
    fonts = rendering._font_config()
    start = time.perf_counter()
    HTML(string=BASELINE_HTML).write_pdf(font_config=fonts)
    base_first = time.perf_counter() - start

    ours: list[float] = []
    base: list[float] = []
    per_type: dict[str, list[float]] = {}
    for _round in range(rounds):
        for code, context in samples.items():
            start = time.perf_counter()
            rendering.render_pdf(code, context)
            elapsed = time.perf_counter() - start
            ours.append(elapsed)
            per_type.setdefault(code, []).append(elapsed)
            start = time.perf_counter()
            HTML(string=BASELINE_HTML).write_pdf(font_config=fonts)
            base.append(time.perf_counter() - start)
    return {"types": len(samples), "first": first, "first_code": first_code, "base_first": base_first,
            "ours": ours, "base": base, "per_type": per_type}


def report_pdf(r: dict[str, Any]) -> None:
    med, p95, bmed = statistics.median(r["ours"]), pct(r["ours"], 0.95), statistics.median(r["base"])
    print(f"\n== PDF: {r['types']} document types x {len(r['ours']) // r['types']} rounds "
          f"({len(r['ours'])} warm renders)")
    print(f"first render of the process ({r['first_code']}, fonts loaded): {r['first']:.3f} s; "
          f"first baseline render after it {r['base_first']:.3f} s")
    print(f"warm render per document: median {med:.3f} s, p95 {p95:.3f} s, max {max(r['ours']):.3f} s "
          f"(target median <= 0.5 s: {'MET' if med <= 0.5 else 'NOT MET'})")
    print(f"baseline, one-line A4 page through WeasyPrint: median {bmed:.3f} s, p95 {pct(r['base'], 0.95):.3f} s "
          f"-> ratio {bmed / med:.2f} (baseline median / document median)")
    by_median = sorted(r["per_type"].items(), key=lambda kv: -statistics.median(kv[1]))
    print("per type (median s): " + ", ".join(f"{c} {statistics.median(v):.3f}" for c, v in by_median))


# ---------------------------------------------------------------------------------------------------------- data


@dataclass
class Bench:
    world: Any
    staff_pool: list[Any]
    creators: list[Any]
    today: date
    staff_of_user: dict[int, int] = field(default_factory=dict)  # user pk -> staff pk (the registrar's desk)
    rng: random.Random = field(default_factory=lambda: random.Random(5))
    made: int = 0  # bulk cases so far
    appends: int = 0
    serial: Any = field(default_factory=lambda: itertools.count(1))


TITLES = ["未经批准在河道管理范围内采砂案", "未经许可取水案", "在河道管理范围内违法建设案", "违法占用水域案",
          "未按规定缴纳水资源费案", "擅自填堵水域案", "在水工程保护范围内爆破案", "违法向河道倾倒废弃物案"]
PLACES = ["临湘市长江干流江南段", "临湘市黄盖湖", "临湘市新墙河", "临湘市忠防镇游港河", "临湘市聂市河"]
ACTIVE_STATES = ["lead_registered", "filed", "investigating", "investigation_concluded", "pre_notice_issued",
                 "defense_review", "hearing_requested", "legal_review", "decided", "served", "published", "executing"]
DONE_STATES = ["closed", "archived"]
DEADLINES = [  # code, rule, label, day kind, party-facing
    ("decision", "CASE-44", "作出行政处罚决定（立案之日起90日）", "calendar", False),
    ("defense", "CASE-32", "当事人陈述、申辩", "working", True),
    ("hearing_request", "CASE-35", "当事人申请听证（5个工作日）", "working", True),
    ("service", "CASE-46", "送达行政处罚决定书（7个工作日）", "working", False),
    ("publication", "DISC-9", "公示行政处罚决定（7个工作日）", "working", False),
    ("payment", "CASE-51", "当事人缴纳罚款（15日）", "calendar", True),
]
# The kinds of a real walk's first 20 entries (see zhifa/cases/testing.py walk_to).
ENTRY_KINDS = ["case.register", "document.issued", "case.approve_filing", "case.assign_officers", "document.issued",
               "case.record_inspection", "document.issued", "case.conclude_investigation", "document.issued",
               "document.issued", "case.issue_prior_notice", "case.request_hearing", "document.issued",
               "case.notice_hearing", "document.issued", "case.hold_hearing", "case.submit_legal_review",
               "document.issued", "case.pass_legal_review", "document.issued"]
DOC_NAMES = ["立案审批表", "指派执法人员通知", "现场检查笔录", "调查终结报告", "行政处罚事先告知书", "听证通知书",
             "听证笔录", "法制审核意见书", "行政处罚决定书"]


def build_world() -> Bench:
    from zhifa.cases import engine
    from zhifa.cases.testing import make_case_world
    from zhifa.registry import models as reg
    from zhifa.registry.testing import make_agency, make_personas, make_user

    bureau = make_agency("示范市司法局", justice=True)
    world = make_case_world(make_personas("A", supervisor=bureau))
    agency = world.agency
    # 200 more certified officers: the officer user's staff row is on 2% of the cases, the others share the rest.
    staff = reg.Staff.objects.bulk_create([reg.Staff(agency=agency, name=f"执法员{i:03d}") for i in range(200)])
    # Other officers' accounts register the cases that are not the officer user's (created_by counts as "mine").
    creators = [make_user(agency, "officer", username=f"bench_officer{i:02d}") for i in range(20)]
    reg.Certificate.objects.bulk_create([
        reg.Certificate(staff=s, number=f"BENCH-{s.pk:05d}", certificate_type="provincial", issuer="湖南省人民政府",
                        valid_from=date(2021, 4, 1), valid_to=date(2029, 12, 31), domains="水行政") for s in staff])
    for role in ("officer", "agency_head", "unit_head", "legal_reviewer"):
        world[role].role_codes  # noqa: B018  (cache the roles the ledger's actor snapshot reads)
    return Bench(world=world, staff_pool=staff, creators=creators, today=engine.today_in_china(),
                 staff_of_user=dict(reg.Staff.objects.filter(user__isnull=False).values_list("user_id", "pk")))


def _entry(b: Bench, case: Any, k: int, doc_ids: list[str]) -> tuple[str, dict[str, Any]]:
    kind = ENTRY_KINDS[k % len(ENTRY_KINDS)]
    if kind == "document.issued":
        name = DOC_NAMES[(k // 2) % len(DOC_NAMES)]
        return kind, {"case_id": str(case.public_id), "document_id": doc_ids[k], "name": name,
                      "number": f"临水罚字〔{case.registered_on.year}〕{k}号",
                      "sha256": f"{b.rng.getrandbits(256):064x}", "size": 40000 + k}
    return kind, {"case_id": str(case.public_id), "reference": case.reference, "label": kind.removeprefix("case."),
                  "from": "lead_registered", "to": case.state, "note": "现场检查发现当事人正在作业，已制作笔录并拍照。",
                  "documents": [{"number": f"临水罚字〔{case.registered_on.year}〕{k}号"}]}


def grow(b: Bench, target: int, entries_per_case: int, *, deadline: float | None = None,
         progress: bool = True) -> float:
    """Add bulk cases until there are `target`; returns the seconds spent. Stops early (at a chunk boundary) when
    `deadline` (a perf_counter value) has passed."""
    import uuid

    from django.db import transaction

    from zhifa.cases.models import Case, CaseMember, CaseOfficer, Deadline, DeadlineState, Party, PenaltyDetail
    from zhifa.cases.personal import party_store_personal
    from zhifa.cases.testing import person_party
    from zhifa.records.ledger import ledger_append
    from zhifa.registry.testing import make_uscc

    world, rng, today = b.world, b.rng, b.today
    agency = world.agency
    actors = [world["officer"], world["unit_head"], world["agency_head"], world["legal_reviewer"]]
    me = world.officers[0]
    start = time.perf_counter()
    total_appends = (target - b.made) * entries_per_case
    done_appends = 0
    next_report = 0.1
    while b.made < target:
        if deadline is not None and time.perf_counter() > deadline:
            print(f"   build budget used up: stopping at {b.made:,} cases")
            break
        n = min(CHUNK, target - b.made)
        cases = []
        for _ in range(n):
            i = b.made + len(cases)
            registered = today - timedelta(days=rng.randrange(1, 3 * 365))
            active = rng.random() < 0.15
            cases.append(Case(
                agency=agency, kind="penalty", state=rng.choice(ACTIVE_STATES if active else DONE_STATES),
                reference=f"临水罚〔{registered.year}〕B{i + 1}号", title=rng.choice(TITLES),
                source_kind=rng.choice(["inspection", "complaint", "referral", "random_check"]),
                violation_place=rng.choice(PLACES), violation_region_code="430682", registered_on=registered,
                act_date=registered - timedelta(days=3),
                summary="巡查发现当事人在河道管理范围内作业。",
                # The officer user's cases (2%): registered by them, and they are the first officer.
                created_by=world["officer"] if i % 50 == 0 else rng.choice(b.creators),
            ))
        with transaction.atomic():
            Case.objects.bulk_create(cases)
            PenaltyDetail.objects.bulk_create([PenaltyDetail(case=c, filed_on=c.registered_on + timedelta(days=2))
                                               for c in cases])
            parties, officers, deadlines = [], [], []
            for case in cases:
                i = next(b.serial)
                for p in range(1 + (rng.random() < 0.3)):
                    if rng.random() < 0.6:
                        data = person_party(name=f"张{i % 1000}{p}")
                        person = Party(case=case, kind="person", name=data["name"])
                        # ID number, phone and address go to the personal-data vault, as the service does (ADR 0018).
                        party_store_personal(person, id_number=data["id_number"], phone=data["phone"],
                                             address=data["address"])
                        parties.append(person)
                    else:
                        org = Party(case=case, kind="organization", name=f"临湘市第{i}{p}砂石有限公司",
                                    uscc=make_uscc(), legal_representative="李四")
                        party_store_personal(org, address="临湘市江南镇")
                        parties.append(org)
                first = me if case.created_by_id == world["officer"].pk else rng.choice(b.staff_pool)
                second = rng.choice(b.staff_pool)
                while second.pk == first.pk:
                    second = rng.choice(b.staff_pool)
                for s in (first, second):
                    officers.append(CaseOfficer(case=case, staff=s, certificate_number=f"BENCH-{s.pk:05d}",
                                                assigned_on=case.registered_on))
                active = case.state in ACTIVE_STATES
                for code, rule, label, day_kind, party_facing in rng.sample(DEADLINES, rng.choice((2, 3))):
                    if active:  # open deadlines due from a month ago to three months ahead; the passed ones missed
                        due = today + timedelta(days=rng.randrange(-30, 90))
                        state = DeadlineState.MISSED if due < today else rng.choice(
                            [DeadlineState.RUNNING] * 8 + [DeadlineState.SUSPENDED, DeadlineState.EXTENDED])
                    else:  # history: met, 5% missed
                        due = case.registered_on + timedelta(days=rng.randrange(5, 90))
                        state = DeadlineState.MISSED if rng.random() < 0.05 else DeadlineState.MET
                    deadlines.append(Deadline(
                        case=case, agency=agency, code=code, rule=rule, label=label, start=due - timedelta(days=10),
                        due=due, day_kind=day_kind, party_facing=party_facing, state=state,
                        history=[{"event": "started", "due": due.isoformat()}],
                        closed_on=None if state in (DeadlineState.RUNNING, DeadlineState.SUSPENDED,
                                                    DeadlineState.EXTENDED) else due))
            Party.objects.bulk_create(parties)
            CaseOfficer.objects.bulk_create(officers)
            # The desk copy the case engine keeps for "my cases" (ADR 0038): registrar's staff record and officers.
            desks = {(o.case_id, o.staff_id): o.case for o in officers}
            for case in cases:
                if case.created_by_id in b.staff_of_user:
                    desks.setdefault((case.pk, b.staff_of_user[case.created_by_id]), case)
            CaseMember.objects.bulk_create([
                CaseMember(case=case, staff_id=staff_id, agency=agency, registered_on=case.registered_on)
                for (_pk, staff_id), case in desks.items()])
            Deadline.objects.bulk_create(deadlines)
            # The ledger: 20 real appends per case, interleaved across the chunk's cases like concurrent work.
            docs = {case.pk: [str(uuid.uuid4()) for _ in range(entries_per_case)] for case in cases}
            for k in range(entries_per_case):
                for case in cases:
                    kind, payload = _entry(b, case, k, docs[case.pk])
                    at = datetime(case.registered_on.year, case.registered_on.month, case.registered_on.day, 1,
                                  tzinfo=UTC) + timedelta(hours=k * 7)
                    ledger_append(kind=kind, stream=case.stream, agency_id=agency.pk, actor=actors[k % 4],
                                  payload=payload, at=at)
        b.made += n
        b.appends += n * entries_per_case
        done_appends += n * entries_per_case
        if progress and total_appends and done_appends >= next_report * total_appends:
            elapsed = time.perf_counter() - start
            print(f"   {done_appends / total_appends:4.0%}: {b.made:,} cases, {done_appends:,} appends in "
                  f"{elapsed:.0f} s ({done_appends / elapsed:,.0f} appends/s)", flush=True)
            while next_report * total_appends <= done_appends:
                next_report += 0.1
    return time.perf_counter() - start


# --------------------------------------------------------------------------------------------------------- reads


def time_calls(read: Read, call: Callable[[int], Any], first: int, n: int) -> None:
    for i in range(first, first + n):
        start = time.perf_counter()
        call(i)
        read.times.append(time.perf_counter() - start)


def count_calls(read: Read, call: Callable[[int], Any], first: int, n: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(first, first + n):
        with CaptureQueriesContext(connection) as ctx:
            call(i)
        read.captured(ctx.captured_queries)


def read_specs(b: Bench, samples: int) -> list[tuple[str, Callable[[int], Any]]]:
    """The reads, as (name, call(i)) with call(i) reading the i-th random case where it reads one."""
    from django.test import Client

    from zhifa.cases import selectors
    from zhifa.cases.models import Case

    world, today = b.world, b.today
    head, officer = world["agency_head"], world["officer"]
    rng = random.Random(11)
    pks = list(Case.objects.filter(reference__contains="B").values_list("pk", flat=True))
    chosen = [pks[rng.randrange(len(pks))] for _ in range(samples + 50)]
    by_pk = dict(Case.objects.filter(pk__in=chosen).values_list("pk", "public_id"))
    ids = [by_pk[pk] for pk in chosen]
    total = Case.objects.filter(agency=world.agency).count()
    last_offset = (total - 1) // PAGE * PAGE
    deep = (DEEP_PAGE - 1) * PAGE

    heads, officers = Client(), Client()
    heads.force_login(head)
    officers.force_login(officer)

    def http(client: Client, url: Callable[[int], str]) -> Callable[[int], Any]:
        def call(i: int) -> Any:
            response = client.get(url(i))
            if response.status_code != 200:
                raise AssertionError(f"{url(i)} -> {response.status_code}")
            return response
        return call

    return [
        ("selector case_list_for, head, page 1", lambda i: selectors.case_list_for(user=head, limit=PAGE)),
        (f"selector case_list_for, head, page {DEEP_PAGE}",
         lambda i: selectors.case_list_for(user=head, limit=PAGE, offset=deep)),
        ("selector case_list_for, officer, mine, page 1",
         lambda i: selectors.case_list_for(user=officer, mine=True, limit=PAGE)),
        ("selector case_page_for, random case", lambda i: selectors.case_page_for(user=officer, case_id=ids[i])),
        ("selector due_list_for, officer", lambda i: selectors.due_list_for(user=officer, today=today)),
        ("selector due_list_for, head", lambda i: selectors.due_list_for(user=head, today=today)),
        ("GET /staff/cases/?scope=all (head)", http(heads, lambda i: "/staff/cases/?scope=all")),
        (f"GET /staff/cases/?scope=all&page={DEEP_PAGE} (head)",
         http(heads, lambda i: f"/staff/cases/?scope=all&page={DEEP_PAGE}")),
        ("GET /staff/cases/ (officer: mine)", http(officers, lambda i: "/staff/cases/")),
        ("GET /staff/cases/<id>/ (officer)", http(officers, lambda i: f"/staff/cases/{ids[i]}/")),
        ("GET /staff/cases/due/ (officer)", http(officers, lambda i: "/staff/cases/due/")),
        ("GET /staff/cases/due/ (head)", http(heads, lambda i: "/staff/cases/due/")),
        # The last page: OFFSET work grows with the data by nature; shown for scale.
        ("selector case_list_for, head, LAST page", lambda i: selectors.case_list_for(user=head, limit=PAGE,
                                                                                      offset=last_offset)),
    ]


def measure_reads(sides: list[tuple[Db, list[tuple[str, Callable[[int], Any]]]]], samples: int,
                  blocks: int = 5, warmup: int = 5, counted: int = 5) -> list[list[Read]]:
    """For each read: warm-up on every side, then `blocks` alternating blocks of samples/blocks timed calls per
    side; then `counted` calls per side under CaptureQueriesContext (not timed)."""
    out: list[list[Read]] = [[] for _ in sides]
    per_block = max(1, samples // blocks)
    for j in range(len(sides[0][1])):
        reads = [Read(specs[j][0]) for _db, specs in sides]
        for (db, specs), _r in zip(sides, reads, strict=True):
            db.use()
            for i in range(warmup):
                specs[j][1](i)
        for blk in range(blocks):
            for (db, specs), read in zip(sides, reads, strict=True):
                db.use()
                time_calls(read, specs[j][1], blk * per_block, per_block)
        for (db, specs), read in zip(sides, reads, strict=True):
            db.use()
            count_calls(read, specs[j][1], blocks * per_block, counted)
        for k, read in enumerate(reads):
            out[k].append(read)
    return out


# ----------------------------------------------------------------------------------------------------- lifecycle


def bench_lifecycle(b: Bench, k: int) -> None:
    from zhifa.cases.testing import new_penalty_case, walk_to
    from zhifa.common.tasks import run_pending
    from zhifa.documents import rendering, signing
    from zhifa.documents.models import Document

    spent = {"render": 0.0, "sign": 0.0, "renders": 0}
    real_render, real_sign = rendering.render_pdf, signing.sign_pdf

    def timed_render(*args: Any, **kwargs: Any) -> bytes:
        start = time.perf_counter()
        try:
            return real_render(*args, **kwargs)
        finally:
            spent["render"] += time.perf_counter() - start
            spent["renders"] += 1

    def timed_sign(*args: Any, **kwargs: Any) -> bytes:
        start = time.perf_counter()
        try:
            return real_sign(*args, **kwargs)
        finally:
            spent["sign"] += time.perf_counter() - start

    world = b.world
    walk_to(world, new_penalty_case(world), "archived")  # warm-up: seal key, templates
    run_pending()
    walk_to(world, new_penalty_case(world), "investigating")
    docs_before = Document.objects.count()
    full_t = base_t = 0.0
    full_r = {"render": 0.0, "sign": 0.0, "renders": 0}
    rendering.render_pdf, signing.sign_pdf = timed_render, timed_sign
    try:
        for _ in range(k):
            start = time.perf_counter()
            walk_to(world, new_penalty_case(world), "investigating")
            base_t += time.perf_counter() - start
            before = dict(spent)
            start = time.perf_counter()
            case = walk_to(world, new_penalty_case(world), "archived")
            run_pending()  # the package is built by the worker after the action commits (ADR 0028); timed here too
            full_t += time.perf_counter() - start
            case.refresh_from_db()
            for key in full_r:
                full_r[key] += spent[key] - before[key]
            assert case.archive_sha256, "archived without an archive package"
    finally:
        rendering.render_pdf, signing.sign_pdf = real_render, real_sign
    docs = Document.objects.count() - docs_before
    full_rate, base_rate = k / full_t, k / base_t
    base_renders = spent["renders"] - full_r["renders"]
    print(f"\n== lifecycle: {k} cases each way, interleaved")
    print(f"full general procedure to archived (16 actions, hearing path): {full_t / k:.2f} s per case = "
          f"{full_rate:.3f} cases/s")
    print(f"baseline, the same walk stopped at investigating (register, file, assign): {base_t / k:.2f} s per case = "
          f"{base_rate:.3f} cases/s -> ratio {full_rate / base_rate:.3f} (full rate / baseline rate)")
    print(f"documents stored: {docs} in {2 * k} cases; PDF renders per case: {full_r['renders'] / k:.1f} to archived, "
          f"{base_renders / k:.1f} to investigating")
    other = full_t - full_r["render"] - full_r["sign"]
    print(f"per archived case: render_pdf {full_r['render'] / k:.2f} s, sign_pdf {full_r['sign'] / k:.2f} s, "
          f"everything else {other / k:.2f} s ({(full_r['render'] + full_r['sign']) / full_t:.0%} in rendering "
          f"and signing)")


# ---------------------------------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--entries-per-case", type=int, default=20)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--lifecycle", type=int, default=20)
    parser.add_argument("--pdf-rounds", type=int, default=5)
    parser.add_argument("--build-budget-min", type=float, default=15.0,
                        help="stop growing the full database when this much time has gone into it")
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--pdf-only", action="store_true", help="run the PDF part alone (no data)")
    args = parser.parse_args()
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="zhifa-bench-cases-")
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    setup_django(data_dir)
    from django.core.management import call_command
    from django.db import connection

    sqlite = connection.vendor == "sqlite"
    print(f"database: {connection.vendor}; data dir {data_dir}; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)

    if args.pdf_rounds:
        report_pdf(bench_pdf(args.pdf_rounds))
    if args.pdf_only:
        return

    print(f"\n== data: {args.small:,} cases, then {args.cases:,}; {args.entries_per_case} ledger entries each",
          flush=True)
    full_db = Db(str(connection.settings_dict["NAME"]) if sqlite else None)
    small_db = Db(str(Path(data_dir) / "small.sqlite3") if sqlite else None)
    if sqlite:  # the small database: its own file, built the same way
        small_db.use()
        call_command("migrate", verbosity=0)
        small = build_world()
        grow(small, args.small, args.entries_per_case, progress=False)
        full_db.use()
    full = build_world()
    print(f"   today {full.today}", flush=True)
    secs = grow(full, args.small, args.entries_per_case, progress=False)
    rate = args.small * args.entries_per_case / secs
    projected = (args.cases - args.small) * args.entries_per_case / rate
    print(f"   {args.small:,} cases in {secs:.1f} s ({rate:,.0f} appends/s with the rows around them); "
          f"growing to {args.cases:,} projected at {projected / 60:.1f} min (budget {args.build_budget_min:g} min)",
          flush=True)
    n_small = args.small
    if not sqlite:  # one database: measure the small size now, then grow it
        small_reads = measure_reads([(small_db, read_specs(full, args.samples))], args.samples)[0]
    secs = grow(full, args.cases, args.entries_per_case,
                deadline=time.perf_counter() + args.build_budget_min * 60)
    print(f"   grown to {full.made:,} cases / {full.appends:,} case entries in {secs / 60:.1f} min "
          f"({(full.made - n_small) * args.entries_per_case / secs:,.0f} appends/s)", flush=True)
    if sqlite:
        size = sum(f.stat().st_size for f in Path(data_dir).glob("zhifa.sqlite3*"))
        print(f"   database files {size / 1e9:.2f} GB (no ANALYZE: the application never runs one)")
        small_db.use()
        small_specs = read_specs(small, args.samples)
        full_db.use()
        full_specs = read_specs(full, args.samples)
        small_reads, full_reads = measure_reads([(small_db, small_specs), (full_db, full_specs)], args.samples)
        full_db.use()
    else:
        full_reads = measure_reads([(full_db, read_specs(full, args.samples))], args.samples)[0]
    print(f"   (load average now {os.getloadavg()[0]:.2f})")
    report_reads(f"{n_small:,} cases ({n_small * args.entries_per_case:,} case entries)", small_reads)
    report_reads(f"{full.made:,} cases ({full.appends:,} case entries)", full_reads)
    compare(small_reads, full_reads, n_small, full.made, "cases")

    if args.lifecycle:
        bench_lifecycle(full, args.lifecycle)
    print(f"\ntotal {(time.perf_counter() - t0) / 60:.1f} min; load average {os.getloadavg()[0]:.2f}; "
          f"data dir {data_dir}")


if __name__ == "__main__":
    main()
