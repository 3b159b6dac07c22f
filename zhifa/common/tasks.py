"""The background-work port (architecture.md "Ports", ADR 0028): django-tasks with its database backend.

- `enqueue_after_commit(task, ...)`: services start side effects after their transaction commits (house rule 1); a
  rolled-back transaction enqueues nothing (with the database backend the task row is part of the transaction).
- `periodic(name, every=...)`: a task the worker enqueues on a schedule (deadline tick, checkpoint, fixity, ...).
  Each job has one `ScheduledJob` row; a worker claims a slot by moving `next_run_at` with a compare-and-set update,
  so any number of workers enqueue each slot once, and a slot whose previous run is still queued or running is
  skipped rather than piled up.
- A failed task is enqueued again, up to `ZHIFA_TASK_MAX_ATTEMPTS` attempts in all, after 1, 4, 16 ... minutes
  (`TaskAttempt` rows chain the attempts); every failure stays stored with its traceback and is listed for the
  system administrator (`failed_tasks`, the 后台任务 page).
- `run_pending()` runs the ready tasks in this process, one at a time: what `zhifa worker` does in its loop, and
  what tests call between requests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import autodiscover_modules
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResult, TaskResultStatus
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from zhifa.common.models import ScheduledJob, TaskAttempt

logger = logging.getLogger("zhifa.tasks")
CHINA = ZoneInfo("Asia/Shanghai")
_UNFINISHED = (TaskResultStatus.READY, TaskResultStatus.RUNNING)


def enqueue_after_commit(task: Task[..., Any], *args: Any, **kwargs: Any) -> None:
    """Have `task(*args, **kwargs)` run once the current transaction commits, and never if it rolls back.

    With the database backend the task row is written in the caller's transaction: workers see it only once that
    commits, and a crash between the commit and an on-commit hook cannot lose it (a transactional outbox). Any
    other backend is called from an on-commit hook."""
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))


def enqueue_once_after_commit(task: Task[[], Any]) -> None:
    """`enqueue_after_commit` for an argument-less task whose one queued run covers every request (a rebuild):
    nothing is added while a run of it is still waiting to start."""
    if not DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY).exists():
        enqueue_after_commit(task)


# --------------------------------------------------------------------------------------------- periodic jobs


@dataclass(frozen=True)
class Periodic:
    name: str
    task: Task[[], Any]
    every: Callable[[], timedelta | None]  # read at each pass, so settings apply; None or zero: off
    first_hour: int | None = None  # the first run at the next hh:00 China time; None: at once


_PERIODIC: dict[str, Periodic] = {}


def periodic(
    name: str, *, every: Callable[[], timedelta | None], first_hour: int | None = None
) -> Callable[[Task[[], Any]], Task[[], Any]]:
    """Register a task (taking no arguments) that the worker enqueues every `every()`."""

    def register(task: Task[[], Any]) -> Task[[], Any]:
        _PERIODIC[name] = Periodic(name, task, every, first_hour)
        return task

    return register


def periodic_jobs() -> dict[str, Periodic]:
    """Every periodic job of the installed apps (their `tasks` modules are imported first)."""
    autodiscover_modules("tasks")
    return dict(_PERIODIC)


def first_run(now: datetime, hour: int | None) -> datetime:
    """`now` when `hour` is None, else the next `hour`:00 China time strictly after `now`."""
    if hour is None:
        return now
    local = now.astimezone(CHINA)
    target = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    return target


def schedule_due(*, now: datetime | None = None) -> list[str]:
    """Enqueue every periodic job whose slot has come (and whose previous run has finished). Returns their names."""
    now = now or timezone.now()
    enqueued = []
    for job in periodic_jobs().values():
        every = job.every()
        if not every:
            continue
        try:
            with transaction.atomic():
                row, _created = ScheduledJob.objects.get_or_create(
                    name=job.name, defaults={"next_run_at": first_run(now, job.first_hour)}
                )
        except IntegrityError:  # another worker created it just now
            row = ScheduledJob.objects.get(name=job.name)
        if row.next_run_at > now:
            continue
        if row.last_result_id and DBTaskResult.objects.filter(id=row.last_result_id, status__in=_UNFINISHED).exists():
            continue  # still queued or running: don't pile up runs of a slow job
        following = row.next_run_at + every
        if following <= now:  # missed slots (no worker ran) are not caught up one by one
            following = now + every if job.first_hour is None else first_run(now, job.first_hour)
        with transaction.atomic():
            claimed = ScheduledJob.objects.filter(name=job.name, next_run_at=row.next_run_at).update(
                next_run_at=following, last_enqueued_at=now
            )
            if not claimed:  # another worker took this slot
                continue
            result = job.task.enqueue()  # the task row commits with the claim, or neither does
            ScheduledJob.objects.filter(name=job.name).update(last_result_id=str(result.id))
        enqueued.append(job.name)
    return enqueued


# --------------------------------------------------------------------------------------------- running


def run_pending(*, max_tasks: int | None = None, worker_id: str = "",
                keep_going: Callable[[], bool] = lambda: True) -> int:
    """Run ready tasks in this process until none is left (or `max_tasks` ran). Returns how many ran."""
    worker = Worker(
        queue_names=["*"], interval=0, batch=True, backend_name=DEFAULT_TASK_BACKEND_ALIAS, startup_delay=False,
        max_tasks=None, worker_id=worker_id or get_random_string(32), excluded_queue_names=[],
    )
    ran = 0
    while (max_tasks is None or ran < max_tasks) and keep_going():
        ready = DBTaskResult.objects.ready().filter(backend_name=DEFAULT_TASK_BACKEND_ALIAS)
        try:
            with exclusive_transaction(ready.db):
                result = ready.get_locked()
                if result is not None:
                    result.claim(worker.worker_id)  # no other worker runs it
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return ran  # busy: the next pass takes it
            raise
        if result is None:
            return ran
        worker.run_task(result)  # marks it successful or failed, with the traceback; sends task_finished
        ran += 1
    return ran


def retry_failed(sender: Any, task_result: TaskResult[Any], **kwargs: Any) -> None:
    """task_finished: enqueue a failed task again, up to ZHIFA_TASK_MAX_ATTEMPTS attempts in all."""
    if task_result.status != TaskResultStatus.FAILED:
        return
    result_id = str(task_result.id)
    row = TaskAttempt.objects.filter(result_id=result_id).first()
    attempt, first_id = (row.attempt, row.first_id) if row else (1, result_id)
    if attempt >= settings.ZHIFA_TASK_MAX_ATTEMPTS:
        logger.error("后台任务 %s（%s）第 %d 次失败，不再重试，见“后台任务”页面。", task_result.task.name, first_id,
                     attempt)
        return
    delay = timedelta(minutes=4 ** (attempt - 1))
    try:
        again = task_result.task.using(run_after=timezone.now() + delay).enqueue(*task_result.args,
                                                                                **task_result.kwargs)
    except Exception:  # the failure stays listed; not retried
        logger.exception("后台任务 %s 无法重新排队", result_id)
        return
    TaskAttempt.objects.create(result_id=str(again.id), previous_id=result_id, first_id=first_id,
                               attempt=attempt + 1)
    logger.warning("后台任务 %s（%s）第 %d 次失败，%s 后重试。", task_result.task.name, first_id, attempt, delay)


# --------------------------------------------------------------------------------------------- what an admin sees


@dataclass(frozen=True)
class FailedTask:
    id: str
    name: str
    finished_at: datetime | None
    error: str  # the exception's class and message (the last line of the traceback)
    traceback: str
    attempt: int
    retried: bool  # a further attempt was enqueued


def failed_tasks(*, limit: int = 200) -> list[FailedTask]:
    """The most recent failed tasks, newest first, each with its attempt number and whether it is retried."""
    rows = list(DBTaskResult.objects.failed().order_by("-finished_at")[:limit])
    ids = [str(r.id) for r in rows]
    attempts = dict(TaskAttempt.objects.filter(result_id__in=ids).values_list("result_id", "attempt"))
    retried = set(TaskAttempt.objects.filter(previous_id__in=ids).values_list("previous_id", flat=True))
    out = []
    for r in rows:
        lines = [line for line in (r.traceback or "").strip().splitlines() if line.strip()]
        out.append(FailedTask(
            id=str(r.id), name=r.task_name, finished_at=r.finished_at,
            error=lines[-1] if lines else r.exception_class_path, traceback=r.traceback or "",
            attempt=attempts.get(str(r.id), 1), retried=str(r.id) in retried,
        ))
    return out


def scheduled_jobs() -> list[ScheduledJob]:
    return list(ScheduledJob.objects.order_by("name"))
