"""The annual statistics report (rules.md §8 STAT-1…10; ADR 0041).

One small hand-built world for agency A: some cases walked through the real services (a general-procedure decision
after a hearing and a legal review, two on-the-spot decisions, a transfer to the judicial organs, an inspection),
the rest written as rows with the facts a counting rule reads (combined penalties, year boundaries, a revoked
decision, a review returned with problems, reconsideration and litigation). Every figure of the default template is
written out by hand below.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from zhifa.cases.engine import case_act
from zhifa.cases.models import Case, Pause, PauseKind
from zhifa.cases.services import case_create
from zhifa.cases.testing import (
    DAY,
    actor_for,
    make_case_world,
    new_penalty_case,
    penalty_case_data,
    record_input,
    walk_to,
)
from zhifa.common.errors import NotAllowed, ServiceError
from zhifa.records.models import LedgerEntry
from zhifa.review.models import ReviewRound, ReviewState
from zhifa.stats.counting import (
    NO_SOURCE,
    NO_SOURCE_RULES,
    Decision,
    Options,
    YearFacts,
    evaluate,
    heaviest_kind,
)
from zhifa.stats.models import StatsReport
from zhifa.stats.report import cell, report_sha256, stats_compute
from zhifa.stats.services import FREEZE_KIND, stats_narrative_save, stats_report_freeze
from zhifa.stats.templates import TemplateInvalid, load_template, validate_template
from zhifa.stats.xlsx import report_xlsx

YEAR = 2026
FROZEN_AT = datetime(2027, 1, 20, 2, 0, tzinfo=UTC)


def act(world: Any, case: Case, action: str, data: dict[str, Any], day: date = DAY) -> Case:
    return case_act(actor=actor_for(world, action), case_id=case.public_id, action=action, data=data, today=day).case


def decided_row(world: Any, *, kinds: list[str], on: date, fine: str | None = None, confiscation: str | None = None,
                outcome: str = "penalty", kind: str = "penalty") -> Case:
    """A case with the facts of a decision written directly (what the engine leaves behind after `decide`)."""
    case = case_create(actor=world["officer"], kind=kind, data=penalty_case_data(), today=DAY)
    Case.objects.filter(pk=case.pk).update(decided_on=on, outcome=outcome, state="decided")
    detail = case.penalty
    detail.penalty_kinds = kinds
    detail.fine_amount = Decimal(fine) if fine is not None else None
    detail.confiscation_amount = Decimal(confiscation) if confiscation is not None else None
    detail.save()
    return case


def review_row(world: Any, case: Case, *, state: str, on: date, number: int = 1) -> ReviewRound:
    return ReviewRound.objects.create(case=case, agency=case.agency, number=number, state=state, proposal={},
                                      submitted_by=world["officer"], submitted_on=on, decided_on=on)


@pytest.fixture
def world(agency_a):  # noqa: ANN001, ANN201
    return make_case_world(agency_a)


@pytest.fixture
def year_world(world, agency_b):  # noqa: ANN001, ANN201
    """Agency A's cases of 2026 and around it (the expected figures are in test_default_template_figures)."""
    # A: general procedure through hearing, legal review (passed 2026-06-15) and decision, fine 20,000.
    a = walk_to(world, new_penalty_case(world), "decided", fine="20000")
    # B, C: on-the-spot decisions (simple procedure, CASE-5): warning + fine 200 (counts as fine), warning only.
    for kinds, fine in ((["warning", "fine"], "200"), (["warning"], None)):
        spot = case_create(actor=world["officer"], kind="penalty_simple", data=penalty_case_data(), today=DAY)
        act(world, spot, "decide_on_spot", {
            "place": "长江大堤3公里处", "staff": world.officer_ids, "certificate_shown": True,
            "facts": "当事人在堤防上违规取土。", "legal_basis_text": "《中华人民共和国防洪法》第五十六条",
            "penalty_kinds": kinds, "fine_amount": fine, "party_signed": True})
    # D: fine + confiscation of gains + other: counted once, under confiscation (STAT-5); amounts 5,000 + 1,234.56.
    d = decided_row(world, kinds=["fine", "confiscate_gains", "other"], on=date(2026, 3, 2), fine="5000",
                    confiscation="1234.56")
    # E: "other" alone, decided on the last day of the year (STAT-2 boundary).
    decided_row(world, kinds=["other"], on=date(2026, 12, 31))
    # F: licence revoked with a fine, decided on the first day of the year, later revoked itself (STAT-6 flag).
    f = decided_row(world, kinds=["fine", "revoke_license"], on=date(2026, 1, 1), fine="100000", outcome="revoked")
    # J: confiscation of property without a stated amount (STAT-6: not determinable, no amount).
    decided_row(world, kinds=["confiscate_property"], on=date(2026, 7, 1))
    # K: suspension, closure and restriction of practice together: one case in their category.
    decided_row(world, kinds=["suspend_business", "restrict_practice", "close_down"], on=date(2026, 9, 30))
    # Not in 2026: decided 2025-12-31 and 2027-01-01; not a penalty: a no-penalty decision with a proposal.
    decided_row(world, kinds=["fine"], on=date(2025, 12, 31), fine="3000")
    decided_row(world, kinds=["fine"], on=date(2027, 1, 1), fine="4000")
    decided_row(world, kinds=["fine"], on=date(2026, 5, 5), fine="500", outcome="no_penalty:minor_corrected")
    # Legal review: D returned with problems on 2026-04-01 (纠错); a round of 2025 does not count.
    review_row(world, d, state=ReviewState.RETURNED, on=date(2026, 4, 1))
    review_row(world, d, state=ReviewState.PASSED, on=date(2025, 12, 30), number=2)
    # Remedies (CASE-53 pauses): reconsideration against F and litigation against D in 2026, one in 2025.
    Pause.objects.create(case=f, kind=PauseKind.RECONSIDERATION, start=date(2026, 2, 1))
    Pause.objects.create(case=d, kind=PauseKind.LITIGATION, start=date(2026, 8, 1))
    Pause.objects.create(case=a, kind=PauseKind.RECONSIDERATION, start=date(2025, 11, 1))
    # A transfer to the judicial organs (CASE-4) on 2026-06-01.
    t = walk_to(world, new_penalty_case(world), "investigation_concluded")
    act(world, t, "transfer", {"receiving_organ": "临湘市公安局", "reason": "涉嫌非法采矿罪。", "on": DAY})
    # An inspection with its result recorded on 2026-06-01.
    check = case_create(actor=world["officer"], kind="inspection", data=penalty_case_data(), today=DAY)
    act(world, check, "record_check", record_input(world))
    act(world, check, "record_result", {"result": "no_problem", "content": "未发现违法行为。"})
    # Another agency's decision of 2026 never counts for A.
    other = make_case_world(agency_b)
    decided_row(other, kinds=["fine"], on=date(2026, 6, 1), fine="999")
    return world


EXPECTED_PENALTY = {  # row: (total, general, simple) — STAT-4/5, STAT-9 procedure columns
    "warning": (1, 0, 1),  # C
    "circulated_criticism": (0, 0, 0),
    "fine": (2, 1, 1),  # A, B (warning + fine → fine)
    "confiscation": (2, 2, 0),  # D (fine + gains + other → confiscation), J
    "suspend_license": (0, 0, 0),
    "revoke_license": (1, 1, 0),  # F
    "restrict_business": (0, 0, 0),
    "suspend_business": (1, 1, 0),  # K
    "other": (1, 1, 0),  # E
    "total": (8, 6, 2),
    # 罚没金额 in 万元 (STAT-6): A 20,000 + B 200 + D 5,000 + 1,234.56 + F 100,000 (J has no stated amount).
    "amount": ("12.643456", "12.623456", "0.020000"),
    "corrected": (1, 1, 0),  # F
}


@pytest.mark.django_db
def test_stat_2_4_5_6_7_8_9_default_template_figures(year_world) -> None:  # noqa: ANN001
    """STAT-2 (by decision date, 1 Jan–31 Dec inclusive), STAT-4/5 (one decision one case, heaviest category,
    named beats "other"), STAT-6 (amounts stated; revoked decisions flagged and counted by default), STAT-7/8/9."""
    report = stats_compute(agency=year_world.agency, year=YEAR)
    for row, figures in EXPECTED_PENALTY.items():
        assert tuple(cell(report, "penalty", row, c) for c in ("total", "general", "simple")) == figures, row
    assert cell(report, "penalty", "detention", "total") is None  # 无数据来源: no detention penalty kind
    supervision = {r["id"]: r["cells"]["count"] for t in report["tables"] if t["id"] == "supervision"
                   for r in t["rows"]}
    assert supervision == {
        "hearings": 1,  # A
        "reviewed": 2,  # A (passed 2026-06-15), D (returned 2026-04-01); D's 2025 round not
        "review_corrected": 1,  # D
        "transferred": 1,  # T
        "transfer_accepted": None,
        "reconsideration": 1,  # F (2026-02-01); A's of 2025 not
        "reconsideration_corrected": None,
        "litigation": 1,  # D
        "litigation_lost": None,
    }
    assert cell(report, "other_acts", "inspection", "count") == 1
    assert cell(report, "compulsion", "court", "count") == 0
    for table in ("licensing", "compulsion", "other_acts"):
        for row in next(t for t in report["tables"] if t["id"] == table)["rows"]:
            if (table, row["id"]) not in {("compulsion", "court"), ("other_acts", "inspection")}:
                assert set(row["cells"].values()) == {None}, (table, row["id"])
    assert set(report["no_source"]) == {"licensing.applications", "licensing.accepted", "licensing.granted",
                                        "licensing.denied", "licensing.revoked", "compulsion.measures",
                                        "compulsion.executions", "other.levy", "other.levy_amount",
                                        "other.requisition", "other.confirmation", "other.payment", "other.ruling",
                                        "other.reward", "penalty.transfer_accepted", "remedy.corrected",
                                        "penalty.cases?category=detention"}
    assert report["query_version"] == "stats-1" and report["template"]["key"] == "default"


@pytest.mark.django_db
def test_stat_6_template_may_exclude_corrected_decisions(year_world) -> None:  # noqa: ANN001
    template = load_template()
    template["options"]["corrected_decisions"] = "exclude"
    report = stats_compute(agency=year_world.agency, year=YEAR, template=validate_template(template))
    assert cell(report, "penalty", "total", "total") == 7
    assert cell(report, "penalty", "revoke_license", "total") == 0
    assert cell(report, "penalty", "amount", "total") == "2.643456"
    assert cell(report, "penalty", "corrected", "total") == 1  # the flag stays visible


@pytest.mark.django_db
def test_stat_10_computing_twice_gives_the_same_figures_and_hash(year_world) -> None:  # noqa: ANN001
    first = stats_compute(agency=year_world.agency, year=YEAR)
    second = stats_compute(agency=year_world.agency, year=YEAR)
    assert first == second and report_sha256(first) == report_sha256(second)


@pytest.mark.django_db
def test_stat_10_frozen_report_keeps_its_figures_and_is_in_the_ledger(year_world) -> None:  # noqa: ANN001
    agency = year_world.agency
    stats_narrative_save(actor=year_world["agency_head"], agency=agency, year=YEAR, text="全年依法履职。")
    frozen = stats_report_freeze(actor=year_world["agency_head"], agency=agency, year=YEAR, at=FROZEN_AT)
    assert frozen.report["narrative"] == "全年依法履职。"  # STAT-1 part 2, covered by the hash
    assert frozen.version == 1 and frozen.sha256 == report_sha256(frozen.report)
    assert cell(frozen.report, "penalty", "total", "total") == 8
    entry = LedgerEntry.objects.get(pk=frozen.ledger_entry_id)
    assert entry.kind == FREEZE_KIND and entry.stream == f"stats:{agency.public_id}"
    payload = entry.canonical.decode() if isinstance(entry.canonical, bytes) else str(entry.canonical)
    assert frozen.sha256 in payload and '"year":2026' in payload.replace(" ", "")
    # No personal data in the entry: no party name, no case reference, only counts and the hash.
    assert "张三" not in payload and "罚" not in payload.split('"template"')[0]
    # The case data change later (a decision of 2026 is revoked, a new one appears): the frozen report does not.
    Case.objects.filter(agency=agency, outcome="penalty", decided_on__year=YEAR).update(outcome="changed")
    decided_row(year_world, kinds=["warning"], on=date(2026, 10, 8))
    live = stats_compute(agency=agency, year=YEAR)
    assert cell(live, "penalty", "total", "total") == 9
    frozen.refresh_from_db()
    assert cell(frozen.report, "penalty", "total", "total") == 8 and frozen.sha256 == report_sha256(frozen.report)
    # Nor can anyone change the row: the database refuses an UPDATE (architecture rule 4).
    with pytest.raises(DatabaseError), transaction.atomic():
        StatsReport.objects.filter(pk=frozen.pk).update(sha256="0" * 64)
    # A corrected report is a new version; the published one is kept (STAT-10).
    again = stats_report_freeze(actor=year_world["agency_head"], agency=agency, year=YEAR, at=FROZEN_AT)
    assert again.version == 2 and StatsReport.objects.filter(agency=agency, year=YEAR).count() == 2
    assert again.sha256 != frozen.sha256


@pytest.mark.django_db
def test_stat_10_freeze_refused_for_officers_other_agencies_and_an_unfinished_year(year_world, agency_b) -> None:  # noqa: ANN001
    agency = year_world.agency
    with pytest.raises(ServiceError, match="STAT-1"):  # no narrative yet: the report has two parts
        stats_report_freeze(actor=year_world["agency_head"], agency=agency, year=YEAR, at=FROZEN_AT)
    stats_narrative_save(actor=year_world["agency_head"], agency=agency, year=YEAR, text="情况说明")
    with pytest.raises(NotAllowed):
        stats_report_freeze(actor=year_world["officer"], agency=agency, year=YEAR, at=FROZEN_AT)
    with pytest.raises(NotAllowed):
        stats_report_freeze(actor=agency_b["agency_head"], agency=agency, year=YEAR, at=FROZEN_AT)
    with pytest.raises(ServiceError):
        stats_report_freeze(actor=year_world["agency_head"], agency=agency, year=YEAR,
                            at=datetime(2026, 12, 31, 3, 0, tzinfo=UTC))
    assert not StatsReport.objects.exists()


# ------------------------------------------------------------------------------------------- pure counting rules

def _facts(*decisions: Decision, documents: dict[str, frozenset[str]] | None = None) -> YearFacts:
    docs = {"transfer_letter": frozenset(), "enforcement_application": frozenset(),
            "inspection_result_notice": frozenset(), **(documents or {})}
    return YearFacts(agency_id=1, year=YEAR, decisions=decisions, documents=docs, review_rounds=(),
                     remedies={"reconsideration": frozenset(), "litigation": frozenset()})


def _decision(pk: int, *kinds: str, procedure: str = "general") -> Decision:
    return Decision(case_id=pk, procedure=procedure, kinds=kinds, fine=None, confiscation=None, hearing_held=False,
                    corrected=False)


def test_stat_5_heaviest_category_and_the_other_published_order() -> None:
    """STAT-5: the severity order is configuration; the second published order puts 吊销 after 责令关闭/限制从业."""
    template = load_template()
    options = Options.from_template(template["options"])
    assert heaviest_kind(("revoke_license", "close_down"), options.severity_order) == "close_down"
    assert heaviest_kind(("other", "warning"), options.severity_order) == "warning"
    assert heaviest_kind(("other",), options.severity_order) == "other"
    order = list(options.severity_order)
    order.remove("revoke_license")
    order.insert(order.index("restrict_practice") + 1, "revoke_license")
    template["options"]["severity_order"] = order
    other_order = Options.from_template(validate_template(template)["options"])
    facts = _facts(_decision(1, "revoke_license", "close_down"))
    assert evaluate("penalty.cases?category=suspend_business", facts, options) == 1
    assert evaluate("penalty.cases?category=revoke_license", facts, other_order) == 1


def test_stat_7_court_applications_counted_from_documents_of_the_year() -> None:
    options = Options.from_template(load_template()["options"])
    facts = _facts(documents={"enforcement_application": frozenset({"a", "b"})})
    assert evaluate("compulsion.court_applications", facts, options) == 2
    assert evaluate("compulsion.measures?measure=seal", facts, options) is NO_SOURCE
    assert "compulsion.measures" in NO_SOURCE_RULES


@pytest.mark.parametrize("broken", [
    lambda t: t["tables"][0]["rows"][0]["cells"].update(count="no.such_rule"),
    lambda t: t["tables"][1]["rows"][0]["cells"].update(total="penalty.cases?category=nothing"),
    lambda t: t["tables"][0]["rows"][0]["cells"].update(nocolumn="penalty.cases"),
    lambda t: t["tables"][0]["rows"].append(dict(t["tables"][0]["rows"][0])),
    lambda t: t.pop("options"),
    lambda t: t["options"].update(corrected_decisions="maybe"),
    lambda t: t["options"].update(amount_unit="元"),
    lambda t: t["options"]["severity_order"].append("detention_typo"),
    lambda t: t["options"]["categories"]["fine"].append("fines"),
])
def test_stat_9_template_validation_refuses_unknown_rules_and_layout_errors(broken) -> None:  # noqa: ANN001
    template = load_template()
    broken(template)
    with pytest.raises(TemplateInvalid):
        validate_template(template)


@pytest.mark.django_db
def test_stats_compute_costs_the_same_queries_whatever_the_data_size(year_world, agency_b) -> None:  # noqa: ANN001
    with CaptureQueriesContext(connection) as empty:
        stats_compute(agency=agency_b.agency, year=YEAR)
    with CaptureQueriesContext(connection) as full:
        stats_compute(agency=year_world.agency, year=YEAR)
    assert len(empty.captured_queries) == len(full.captured_queries) <= 5


def test_bi7_report_xlsx_text_never_a_formula_and_counts_stay_numbers() -> None:
    """BI-7: a table or row title that starts like a formula (or hides one behind a NUL) is text; counts are numbers."""
    report = {
        "agency_name": "=HYPERLINK(\"http://x\")局", "year": 2026, "query_version": "1", "no_source": [],
        "template": {"title": "默认", "key": "default", "version": 1},
        "tables": [{"title": "＝表一", "columns": [{"id": "n", "title": "@件数"}, {"id": "m", "title": "金额"}],
                    "rows": [{"title": "\x00=1+1", "cells": {"n": -3, "m": "-500.00"}}]}],
    }
    book = openpyxl.load_workbook(io.BytesIO(report_xlsx(report)))
    sheet = book.worksheets[0]
    for row in sheet.iter_rows():
        for xcell in row:
            assert xcell.data_type != "f", xcell.coordinate
    assert sheet["A3"].value == "=1+1" and sheet["A3"].data_type == "s" and sheet["A3"].quotePrefix
    assert sheet["B2"].quotePrefix and sheet["A1"].quotePrefix
    assert sheet["B3"].value == -3 and sheet["B3"].data_type == "n"  # a count stays a number
    assert sheet["C3"].value == "-500.00" and sheet["C3"].quotePrefix  # an exact amount stays exact text
