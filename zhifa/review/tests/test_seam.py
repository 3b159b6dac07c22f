"""The cases → review seam (issue 10 point 2, ADR 0024): review's domain imports nothing of cases; one review clock
(REV-6) kept by cases; one pause model; REG-19 from stored participants; the opinion document (REV-9) by foreign
key; `case_act` returns the documents it issued; kinds registered by `CasesConfig.ready`."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from django.apps import apps

from zhifa.cases.engine import KINDS, case_act
from zhifa.cases.models import CaseParticipant, Deadline, DeadlineState, Pause, PauseKind
from zhifa.cases.review_steps import REVIEW_ACTION_NAMES, case_participants, review_subject
from zhifa.cases.testing import make_case_world
from zhifa.documents.models import Document
from zhifa.records.ledger import tree_head
from zhifa.registry.testing import make_user
from zhifa.review import services as rv
from zhifa.review.models import ReviewRound
from zhifa.review.services import ALL_CHECKS_PASSED, ReviewRefused
from zhifa.review.tests.test_review import act, assign, in_defense_review, submit

REVIEW = Path(__file__).resolve().parents[1]
UI = {"views.py", "api.py", "urls.py"}  # architecture.md: the review UI may show cases; its domain may not


def _imports(path: Path) -> list[str]:
    """Every module a file imports: module level, inside functions, under TYPE_CHECKING."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
    return out


def test_review_domain_imports_nothing_of_cases():
    domain = [p for p in REVIEW.glob("*.py") if p.name not in UI]
    assert {p.name for p in domain} >= {"models.py", "services.py", "selectors.py", "subject.py"}
    offenders = {p.name: [m for m in _imports(p) if m == "zhifa.cases" or m.startswith("zhifa.cases.")]
                 for p in domain}
    assert {name: mods for name, mods in offenders.items() if mods} == {}


@pytest.fixture
def world(agency_a):  # noqa: ANN001, ANN201
    return make_case_world(agency_a)


def test_rev_6_one_review_clock_and_one_pause_model(world):
    """REV-6 / CAL-14: the clock is the case's one `Deadline(code="review")` row; the round keeps no due date; the
    materials pause is a `cases.Pause` of the round; there is no second pause model."""
    assert "due" not in {f.name for f in ReviewRound._meta.get_fields()}
    assert "reviewpause" not in {m._meta.model_name for m in apps.get_app_config("review").get_models()}
    day = date(2026, 6, 1)
    case = assign(world, submit(world, in_defense_review(world, day), day), day)
    rnd = ReviewRound.objects.get(case=case)
    clock = Deadline.objects.get(case=case, code="review")
    assert (clock.rule, clock.start, clock.due, clock.state) == ("REV-6", day, date(2026, 6, 8), DeadlineState.RUNNING)
    act(world, case, "request_review_materials", {"missing": "现场照片"}, date(2026, 6, 2))
    (pause,) = Pause.objects.filter(case=case)
    assert (pause.kind, pause.review_round, pause.start, pause.end, pause.note) == (
        PauseKind.REVIEW_MATERIALS, rnd, date(2026, 6, 3), None, "现场照片")
    clock.refresh_from_db()
    assert clock.state == DeadlineState.SUSPENDED
    act(world, case, "supply_review_materials", {}, date(2026, 6, 4))
    pause.refresh_from_db()
    clock.refresh_from_db()
    assert pause.end == date(2026, 6, 4)
    assert (clock.state, clock.due) == (DeadlineState.RUNNING, date(2026, 6, 10))  # two working days paused
    assert [e["event"] for e in clock.history] == ["started", "suspended", "resumed"]
    assert Deadline.objects.filter(case=case, code="review").count() == 1


def test_reg_19_reads_stored_participants_not_the_ledger(world):
    """REG-19: whoever took a case action (other than the review's own steps) is a stored participant of the case,
    written with the action; the reviewer check reads those rows."""
    day = date(2026, 6, 1)
    case = submit(world, in_defense_review(world, day), day)
    acts = set(CaseParticipant.objects.filter(case=case).values_list("user_id", "act"))
    assert (world["officer"].pk, "submit_legal_review") in acts
    assert (world["agency_head"].pk, "approve_filing") in acts
    assert {world["officer"].pk, world["agency_head"].pk} <= case_participants(case)
    assert world["officer"].pk in review_subject(case, with_participants=True).participants
    # A reviewer recorded as having taken part (say, in an inquiry) is refused, without any ledger entry to parse.
    outsider = make_user(world.agency, "legal_reviewer", username="a_reviewer_who_inquired")
    CaseParticipant.objects.create(case=case, user=outsider, act="record_inquiry")
    size = tree_head()[0]
    with pytest.raises(ReviewRefused) as exc:
        assign(world, case, day, reviewer=outsider)
    assert exc.value.rule == "REG-19" and tree_head()[0] == size
    # The review's own steps do not make the reviewer a participant.
    assign(world, case, day)
    assert (world["legal_reviewer"].pk, "assign_reviewer") in set(
        CaseParticipant.objects.filter(case=case).values_list("user_id", "act"))
    assert "assign_reviewer" in REVIEW_ACTION_NAMES
    assert world["legal_reviewer"].pk not in case_participants(case)


def test_rev_9_the_opinion_document_is_linked_by_foreign_key_and_case_act_returns_it(world):
    day = date(2026, 6, 1)
    case = assign(world, submit(world, in_defense_review(world, day), day), day)
    acted = case_act(actor=world["legal_reviewer"], case_id=case.public_id, action="pass_legal_review",
                     data={**ALL_CHECKS_PASSED, "opinion": "同意"}, today=day)
    (document,) = acted.documents
    assert document.doc_type == "legal_review_opinion"
    assert acted.case.state == "legal_review_passed"
    rnd = ReviewRound.objects.get(case=case)
    assert rnd.opinion_document == document == Document.objects.get(subject_id=case.public_id,
                                                                     doc_type="legal_review_opinion")
    assert Deadline.objects.get(case=case, code="review").state == DeadlineState.MET


def test_case_act_returns_exactly_the_documents_it_issued(world):
    day = date(2026, 6, 1)
    case = in_defense_review(world, day)
    before = set(Document.objects.filter(subject_id=case.public_id).values_list("pk", flat=True))
    acted = case_act(actor=world["officer"], case_id=case.public_id, action="submit_legal_review",
                     data={"materials": "调查终结报告"}, today=day)
    assert acted.documents == ()
    assert set(Document.objects.filter(subject_id=case.public_id).values_list("pk", flat=True)) == before


def test_review_scope_comes_from_the_subjects_criteria(world):
    """REV-3: the catalog entries of the subject's action type apply; a subject of another type matches none."""
    day = date(2026, 6, 1)
    case = in_defense_review(world, day)
    subject = review_subject(case)
    assert subject.criteria.action_type == "penalty"
    assert any("REV-3" in r for r in rv.review_scope(subject))
    other = type(subject)(**{**subject.__dict__, "criteria": type(subject.criteria)(
        **{**subject.criteria.__dict__, "action_type": "license"})})
    assert not any("REV-3" in r for r in rv.review_scope(other))


def test_kinds_register_in_apps_ready():
    """The state tables are registered by `CasesConfig.ready`, not as a side effect of importing a module."""
    assert {"penalty", "penalty_simple", "inspection"} <= set(KINDS)
    source = (REVIEW.parent / "cases" / "kinds" / "__init__.py").read_text(encoding="utf-8")
    assert not [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom | ast.Import)]
