"""The data migrations of the review seam (ADR 0024) carry what was stored the old way: `ReviewRound.due` into the
case's review clock row (REV-6), `ReviewPause` rows into `cases.Pause`, the ledger's actors into `CaseParticipant`
(REG-19), and the opinion document found in the ledger into `ReviewRound.opinion_document` (REV-9)."""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from zhifa.cases.models import CaseParticipant, Deadline, Pause, PauseKind
from zhifa.cases.testing import make_case_world
from zhifa.review.models import ReviewRound
from zhifa.review.tests.test_review import act, assign, in_defense_review, submit

BEFORE = [("cases", "0005_case_history"), ("review", "0003_queue_indexes")]
AFTER = [("cases", "0007_penalty_detail"), ("review", "0005_one_review_clock")]


def _migrate(targets: list[tuple[str, str]]):  # noqa: ANN202
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def test_the_seam_migrations_carry_clock_pauses_participants_and_opinion(ledger_db, agency_a):  # noqa: ANN001
    world = make_case_world(agency_a)
    day = date(2026, 6, 1)
    decided = assign(world, submit(world, in_defense_review(world, day), day), day)
    act(world, decided, "request_review_materials", {"missing": "现场照片"}, date(2026, 6, 2))
    act(world, decided, "supply_review_materials", {}, date(2026, 6, 4))
    from zhifa.review.services import ALL_CHECKS_PASSED

    act(world, decided, "pass_legal_review", {**ALL_CHECKS_PASSED, "opinion": "同意"}, date(2026, 6, 5))
    waiting = assign(world, submit(world, in_defense_review(world, day), day), day)
    officer, head = world["officer"].pk, world["agency_head"].pk
    opinion = ReviewRound.objects.get(case=decided).opinion_document_id
    assert opinion is not None
    try:
        old = _migrate(BEFORE)
        # The old way: the due date on the round, the pause in review, no participants table, no opinion link.
        OldRound, OldPause = old.get_model("review", "ReviewRound"), old.get_model("review", "ReviewPause")
        OldDeadline, OldCasePause = old.get_model("cases", "Deadline"), old.get_model("cases", "Pause")
        rounds = {r.case_id: r for r in OldRound.objects.all()}
        for case_id, r in rounds.items():
            r.due = OldDeadline.objects.filter(case_id=case_id, code="review").order_by("-id").first().due
            r.save(update_fields=["due"])
        OldDeadline.objects.filter(case_id=waiting.pk, code="review").delete()  # a round whose clock row is missing
        OldCasePause.objects.filter(kind="review_materials").delete()
        OldPause.objects.create(round_id=rounds[decided.pk].pk, start=date(2026, 6, 3), end=date(2026, 6, 4),
                                missing="现场照片")
    finally:
        # Forward again (also when the set-up above failed, so the next test finds the schema it expects).
        _migrate(AFTER)
    (pause,) = Pause.objects.filter(case=decided)
    assert (pause.kind, pause.review_round_id, pause.start, pause.end, pause.note) == (
        PauseKind.REVIEW_MATERIALS, rounds[decided.pk].pk, date(2026, 6, 3), date(2026, 6, 4), "现场照片")
    clock = Deadline.objects.get(case=waiting, code="review")
    assert (clock.rule, clock.start, clock.due, clock.state) == ("REV-6", day, rounds[waiting.pk].due, "running")
    assert Deadline.objects.get(case=decided, code="review").state == "met"
    acts = set(CaseParticipant.objects.filter(case=decided).values_list("user_id", "act"))
    assert {(officer, "submit_legal_review"), (head, "approve_filing")} <= acts
    assert ReviewRound.objects.get(case=decided).opinion_document_id == opinion
