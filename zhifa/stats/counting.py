"""The named counting rules of the annual statistics report (STAT-2, STAT-5, STAT-6; ADR 0041).

`year_facts` reads, for one agency and one calendar year, the few facts the rules count (one query per source);
every rule is a pure function of those facts and its arguments (`name?arg=value&…` in a template cell). A rule
whose figure the data model does not hold yet returns `NO_SOURCE`, shown as "无数据来源" — never a number.

Which date decides the year (STAT-2): a penalty decision counts in the year of its decision date
(`Case.decided_on`, set by both procedures); a transfer to the judicial organs, an application to the court and an
inspection result in the year of the document that records them (移送案件书, 强制执行申请书, 检查结果告知书:
their `issued_on`); a legal review in the year its round was concluded (`ReviewRound.decided_on`); a
reconsideration or litigation in the year it was accepted (the pause's start, CASE-53).

Change `QUERY_VERSION` whenever a rule counts differently: a frozen report names the version it was counted with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Final
from urllib.parse import parse_qsl

from zhifa.cases.models import Case, CaseKind, PauseKind
from zhifa.cases.models import Pause as CasePause
from zhifa.documents.models import Document
from zhifa.registry.models import Agency
from zhifa.review.models import ReviewRound, ReviewState

QUERY_VERSION: Final = "stats-1"


class _NoSource:
    """The figure has no source in the data model yet (shown as "无数据来源", stored as null)."""

    _instance: _NoSource | None = None

    def __new__(cls) -> _NoSource:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_SOURCE"


NO_SOURCE: Final = _NoSource()
NO_SOURCE_LABEL: Final = "无数据来源"
Figure = int | Decimal | _NoSource

# A decision whose case later left the decided path through one of these actions (DISC-23): STAT-6 lets the
# template decide whether it still counts.
CORRECTED_OUTCOMES: Final = frozenset({"revoked", "changed", "confirmed_illegal", "confirmed_void"})
DECISION_OUTCOMES: Final = frozenset({"penalty"}) | CORRECTED_OUTCOMES
PROCEDURES: Final = {"general": CaseKind.PENALTY.value, "simple": CaseKind.PENALTY_SIMPLE.value}
TRANSFER_LETTER: Final = "transfer_letter"
COURT_APPLICATION: Final = "enforcement_application"
INSPECTION_RESULT: Final = "inspection_result_notice"


@dataclass(frozen=True)
class Decision:
    """One penalty decision (STAT-5: one decision = one case)."""

    case_id: int
    procedure: str  # "general" | "simple"
    kinds: tuple[str, ...]
    fine: Decimal | None
    confiscation: Decimal | None
    hearing_held: bool
    corrected: bool


@dataclass(frozen=True)
class YearFacts:
    agency_id: int
    year: int
    decisions: tuple[Decision, ...]
    documents: Mapping[str, frozenset[str]]  # doc_type -> subject ids issued in the year
    review_rounds: tuple[tuple[int, str], ...]  # (case id, state) of rounds concluded in the year
    remedies: Mapping[str, frozenset[int]] = field(default_factory=dict)  # pause kind -> case ids accepted in year


def _in_year(value: Any, year: int) -> bool:
    if isinstance(value, date):
        return value.year == year
    return isinstance(value, str) and value[:4] == str(year)


def year_facts(agency: Agency, year: int) -> YearFacts:
    """The facts of `agency`'s calendar `year` that the counting rules read (STAT-2), in a stable order."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    rows = Case.objects.filter(
        agency=agency, kind__in=PROCEDURES.values(), decided_on__range=(start, end), outcome__in=DECISION_OUTCOMES,
        penalty__isnull=False,
    ).order_by("pk").values_list("pk", "kind", "outcome", "penalty__penalty_kinds", "penalty__fine_amount",
                                 "penalty__confiscation_amount", "penalty__hearing_held")
    procedure_of = {kind: name for name, kind in PROCEDURES.items()}
    decisions = [
        Decision(case_id=pk, procedure=procedure_of[kind], kinds=tuple(kinds or ()), fine=fine,
                 confiscation=confiscation, hearing_held=hearing, corrected=outcome in CORRECTED_OUTCOMES)
        for pk, kind, outcome, kinds, fine, confiscation, hearing in rows]
    documents: dict[str, set[str]] = {t: set() for t in (TRANSFER_LETTER, COURT_APPLICATION, INSPECTION_RESULT)}
    # The document's issue date, not the year column alone: the rows are few and the comparison is exact.
    for doc_type, subject, issued in Document.objects.filter(
            agency=agency, doc_type__in=list(documents), year__in=(year, year - 1, year + 1)).values_list(
            "doc_type", "subject_id", "context__issued_on"):
        if _in_year(issued, year):
            documents[doc_type].add(str(subject))
    rounds = tuple(ReviewRound.objects.filter(
        agency=agency, decided_on__range=(start, end), state__in=(ReviewState.PASSED, ReviewState.RETURNED),
    ).order_by("pk").values_list("case_id", "state"))
    remedies: dict[str, set[int]] = {PauseKind.RECONSIDERATION.value: set(), PauseKind.LITIGATION.value: set()}
    for case_id, kind in CasePause.objects.filter(case__agency=agency, kind__in=list(remedies),
                                                  start__range=(start, end)).values_list("case_id", "kind"):
        remedies[kind].add(case_id)
    return YearFacts(agency_id=agency.pk, year=year, decisions=tuple(decisions),
                     documents={k: frozenset(v) for k, v in documents.items()}, review_rounds=rounds,
                     remedies={k: frozenset(v) for k, v in remedies.items()})


# ------------------------------------------------------------------------------------------------------- options

@dataclass(frozen=True)
class Options:
    """A template's counting options (STAT-5 severity order and categories, STAT-6 corrected decisions, units)."""

    severity_order: tuple[str, ...]
    categories: Mapping[str, tuple[str, ...]]
    corrected_decisions: str = "include"  # "include" | "exclude" (STAT-6)
    amount_unit: str = "wan"  # "wan" (万元) | "yuan"

    @classmethod
    def from_template(cls, options: Mapping[str, Any]) -> Options:
        return cls(severity_order=tuple(options["severity_order"]),
                   categories={k: tuple(v) for k, v in options["categories"].items()},
                   corrected_decisions=options.get("corrected_decisions", "include"),
                   amount_unit=options.get("amount_unit", "wan"))


def heaviest_kind(kinds: tuple[str, ...], order: tuple[str, ...]) -> str:
    """STAT-5: a decision counts once, under its heaviest penalty; a named kind combined with "other" counts under
    the named kind; a kind the order does not name counts as "other"."""
    named = [k for k in kinds if k in order]
    if not named:
        return "other"
    return max(named, key=order.index)


def category_of(decision: Decision, options: Options) -> str:
    kind = heaviest_kind(decision.kinds, options.severity_order)
    for category, codes in options.categories.items():
        if kind in codes:
            return category
    return "other"


# ------------------------------------------------------------------------------------------------------- rules

Rule = Callable[[YearFacts, Options, Mapping[str, str]], Figure]
RULES: dict[str, Rule] = {}
# Where a rule has no source, the reason (for the ADR and the report's notes).
NO_SOURCE_RULES: dict[str, str] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES[name] = fn
        return fn
    return register


def no_source(name: str, why: str) -> None:
    NO_SOURCE_RULES[name] = why
    RULES[name] = lambda facts, options, args: NO_SOURCE


def _decisions(facts: YearFacts, options: Options, args: Mapping[str, str]) -> list[Decision]:
    procedure = args.get("procedure")
    if procedure is not None and procedure not in PROCEDURES:
        raise KeyError(f"unknown procedure {procedure!r}")
    return [d for d in facts.decisions
            if (procedure is None or d.procedure == procedure)
            and (options.corrected_decisions == "include" or not d.corrected)]


@rule("penalty.cases")
def penalty_cases(facts: YearFacts, options: Options, args: Mapping[str, str]) -> Figure:
    """STAT-4/5: penalty decisions of the year (by decision date), optionally of one category (heaviest penalty)
    and one procedure. A category the platform has no penalty kind for (行政拘留) has no source."""
    decisions = _decisions(facts, options, args)
    category = args.get("category")
    if category is None:
        return len(decisions)
    if category not in options.categories:
        raise KeyError(f"unknown category {category!r}")
    if not options.categories[category]:
        return NO_SOURCE
    return sum(1 for d in decisions if category_of(d, options) == category)


def to_unit(yuan: Decimal, unit: str) -> Decimal:
    if unit == "yuan":
        return yuan.quantize(Decimal("0.01"))
    if unit == "wan":
        return (yuan / Decimal(10000)).quantize(Decimal("0.000001"))
    raise KeyError(f"unknown amount unit {unit!r}")


@rule("penalty.amount")
def penalty_amount(facts: YearFacts, options: Options, args: Mapping[str, str]) -> Figure:
    """STAT-6: 罚没金额 = the fines and confiscation amounts stated in the decisions of the year; a confiscation
    counts only where its amount is stated (determinable)."""
    total = Decimal(0)
    for d in _decisions(facts, options, args):
        total += (d.fine or 0) + (d.confiscation or 0)
    return to_unit(total, options.amount_unit)


@rule("penalty.corrected")
def penalty_corrected(facts: YearFacts, options: Options, args: Mapping[str, str]) -> Figure:
    """STAT-6: decisions of the year later revoked, changed, or confirmed illegal or void (whatever the
    template's corrected_decisions option, so that the flag stays visible)."""
    return sum(1 for d in _decisions(facts, Options(options.severity_order, options.categories, "include",
                                                    options.amount_unit), args) if d.corrected)


@rule("penalty.hearings")
def penalty_hearings(facts: YearFacts, options: Options, args: Mapping[str, str]) -> Figure:
    """STAT-9 (CASE-33…40): decisions of the year whose case went through a hearing."""
    return sum(1 for d in _decisions(facts, options, args) if d.hearing_held)


@rule("penalty.transferred")
def penalty_transferred(facts: YearFacts, options: Options, args: Mapping[str, str]) -> Figure:
    """STAT-9 (CASE-4): cases transferred to the judicial organs, by the transfer letter's date."""
    return len(facts.documents[TRANSFER_LETTER])


@rule("compulsion.court_applications")
def court_applications(facts: YearFacts, options: Options, args: Mapping[str, str]) -> Figure:
    """STAT-7 (CASE-56): applications to the court for enforcement, by the application's date."""
    return len(facts.documents[COURT_APPLICATION])


@rule("inspection.results")
def inspection_results(facts: YearFacts, options: Options, args: Mapping[str, str]) -> Figure:
    """STAT-8: 行政检查 with a result recorded in the year (the result notice's date)."""
    return len(facts.documents[INSPECTION_RESULT])


@rule("review.reviewed")
def review_reviewed(facts: YearFacts, options: Options, args: Mapping[str, str]) -> Figure:
    """STAT-9 (REV-1…): cases whose legal review concluded (passed or returned) in the year, each case once."""
    return len({case for case, _state in facts.review_rounds})


@rule("review.corrected")
def review_corrected(facts: YearFacts, options: Options, args: Mapping[str, str]) -> Figure:
    """STAT-9 纠错: cases with a review round concluded in the year with problems found (存在问题), each once."""
    return len({case for case, state in facts.review_rounds if state == ReviewState.RETURNED})


@rule("remedy.filed")
def remedy_filed(facts: YearFacts, options: Options, args: Mapping[str, str]) -> Figure:
    """STAT-9: cases against which a reconsideration or litigation was accepted in the year (CASE-53 pause)."""
    return len(facts.remedies[PauseKind(args["kind"]).value])


_LICENSING = "行政许可不是本平台的案件类型（只有行政处罚和行政检查）"
for _name in ("applications", "accepted", "granted", "denied", "revoked"):
    no_source(f"licensing.{_name}", _LICENSING)
no_source("compulsion.measures", "行政强制措施（查封、扣押、冻结）不是本平台的案件类型；先行登记保存不是强制措施")
no_source("compulsion.executions", "行政强制执行没有记录（加处罚款只在缴款时合并计算，不单独登记执行方式）")
for _name in ("levy", "levy_amount", "requisition", "confirmation", "payment", "ruling", "reward"):
    no_source(f"other.{_name}", "该类执法行为不是本平台的案件类型")
no_source("penalty.transfer_accepted", "移送后司法机关是否受理没有登记")
no_source("remedy.corrected", "复议、诉讼的结果没有登记（撤销、变更、确认违法不记载其原因）")


def parse_cell(spec: str) -> tuple[str, dict[str, str]]:
    name, _sep, query = spec.partition("?")
    return name, dict(parse_qsl(query, strict_parsing=bool(query)))


def evaluate(spec: str, facts: YearFacts, options: Options) -> Figure:
    name, args = parse_cell(spec)
    return RULES[name](facts, options, args)
