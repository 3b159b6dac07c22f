"""The background-work port (ADR 0028): enqueue with the transaction, bounded retries, failures listed for the
system administrator, periodic jobs enqueued once per slot by any number of workers, `zhifa worker` and `zhifa run`.

Tests run tasks with the database backend, as production does, by calling the worker loop once (`run_pending`)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from zhifa.common import tasks
from zhifa.common.models import ScheduledJob, TaskAttempt

pytestmark = pytest.mark.django_db

CALLS: list[str] = []


@task()
def record_call(label: str) -> str:
    CALLS.append(label)
    return label


@task()
def always_fails() -> None:
    raise RuntimeError("存储暂时不可用")


@pytest.fixture(autouse=True)
def _clear() -> None:
    CALLS.clear()


def test_enqueued_with_the_transaction_runs_after_commit_and_not_after_rollback() -> None:
    with transaction.atomic():
        tasks.enqueue_after_commit(record_call, "kept")
    with pytest.raises(RuntimeError), transaction.atomic():
        tasks.enqueue_after_commit(record_call, "rolled back")
        raise RuntimeError
    assert tasks.run_pending() == 1
    assert CALLS == ["kept"]
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL


def test_failed_task_is_retried_a_bounded_number_of_times_then_listed(settings) -> None:
    settings.ZHIFA_TASK_MAX_ATTEMPTS = 3
    always_fails.enqueue()
    for attempt in (1, 2, 3):
        assert tasks.run_pending() == 1, attempt
        # the retry waits (1, 4 ... minutes): nothing is ready now; make it due
        DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=datetime(2000, 1, 1, tzinfo=UTC))
    assert tasks.run_pending() == 0  # the third failure is the last: no fourth attempt
    assert DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count() == 3
    assert list(TaskAttempt.objects.order_by("attempt").values_list("attempt", flat=True)) == [2, 3]
    failed = tasks.failed_tasks()
    assert [(f.attempt, f.retried) for f in failed] == [(3, False), (2, True), (1, True)]
    assert all(f.name == "always_fails" and "存储暂时不可用" in f.error for f in failed)


def test_failed_tasks_page_for_the_system_administrator_only(system_admin, agency_a) -> None:
    always_fails.enqueue()
    tasks.run_pending()
    admin = Client()
    admin.force_login(system_admin)
    page = admin.get("/accounts/tasks/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "always_fails" in html and "存储暂时不可用" in html and "已安排重试" in html
    officer = Client()
    officer.force_login(agency_a["officer"])
    assert officer.get("/accounts/tasks/").status_code == 403


def test_periodic_job_is_enqueued_once_per_slot_whatever_the_number_of_workers(monkeypatch) -> None:
    monkeypatch.setattr(tasks, "_PERIODIC", {})
    monkeypatch.setattr(tasks, "autodiscover_modules", lambda *a: None)
    tasks.periodic("test.every_hour", every=lambda: timedelta(hours=1))(no_args)
    now = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert tasks.schedule_due(now=now) == ["test.every_hour"]  # the first run is due at once
    assert tasks.schedule_due(now=now) == []  # a second worker at the same moment: the slot is taken
    assert tasks.schedule_due(now=now + timedelta(hours=2)) == []  # the first run has not run yet: no pile-up
    assert tasks.run_pending() == 1
    assert tasks.schedule_due(now=now + timedelta(minutes=30)) == []
    assert tasks.schedule_due(now=now + timedelta(hours=1)) == ["test.every_hour"]
    row = ScheduledJob.objects.get(name="test.every_hour")
    assert row.next_run_at == now + timedelta(hours=2)
    assert DBTaskResult.objects.count() == 2


@task()
def no_args() -> str:
    CALLS.append("periodic")
    return "ok"


def test_first_run_at_an_hour_china_time() -> None:
    at = tasks.first_run(datetime(2026, 3, 1, 17, 30, tzinfo=UTC), 2)  # 01:30 in Beijing → 02:00 the same night
    assert (at.day, at.hour, at.minute) == (2, 2, 0)
    assert tasks.first_run(datetime(2026, 3, 1, 17, 30, tzinfo=UTC), None) == datetime(2026, 3, 1, 17, 30, tzinfo=UTC)


def test_every_periodic_job_of_the_issue_is_registered() -> None:
    """Issue 10 point 7: deadline tick, checkpoint signing, fixity, deep verification, search-index rebuild."""
    names = set(tasks.periodic_jobs())
    assert {"deadlines.tick", "records.checkpoint", "records.fixity", "records.deep_verify",
            "disclosure.search_index"} <= names


def test_worker_once_schedules_and_runs_the_periodic_jobs(settings, tmp_path) -> None:
    """`zhifa worker --once`: the first pass enqueues the jobs due at once (checkpoint, tick, search index) and
    runs them; fixity and deep verification wait for 02:00 and 03:00."""
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "keys" / "ledger.pem"
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    done = set(DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).values_list("task_path", flat=True))
    assert {"zhifa.records.tasks.checkpoint_job", "zhifa.cases.tasks.deadlines_tick_job",
            "zhifa.disclosure.tasks.search_index_rebuild"} <= done
    assert not DBTaskResult.objects.filter(task_path="zhifa.records.tasks.fixity_job").exists()
    assert ScheduledJob.objects.filter(name="records.fixity").exists()


def test_run_starts_a_worker_instead_of_tick_and_checkpoint_children(db, monkeypatch) -> None:
    from zhifa.common.management.commands import run

    started: list[list[str]] = []
    monkeypatch.setattr(run, "call_command", lambda *a, **k: None)
    monkeypatch.setattr(run.subprocess, "Popen", lambda argv, **k: started.append(argv))
    monkeypatch.setattr(run.Command, "_serve", lambda self, options: None)
    monkeypatch.setattr(run, "get_user_model", lambda: type("U", (), {"objects": type("M", (), {
        "exists": staticmethod(lambda: True)})}))
    run.Command(stdout=StringIO()).handle(bind="127.0.0.1:8110", threads=None, workers=None, demo=False,
                                          no_demo=False, checkpoint_every=None, no_worker=False)
    assert [argv[1:] for argv in started] == [["-m", "zhifa.cli", "worker", "--parent", str(os.getpid())]]
    started.clear()
    run.Command(stdout=StringIO()).handle(bind="127.0.0.1:8110", threads=None, workers=None, demo=False,
                                          no_demo=False, checkpoint_every=None, no_worker=True)
    assert started == []
