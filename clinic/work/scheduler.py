"""Periodic tasks run from the workers, exactly once per slot however many machines run them.

Every worker ticks; for each task whose current slot has no run yet it INSERTs the row
(task, slot) of ``scheduler_runs``. The UNIQUE key lets one INSERT commit: that worker runs the
task, the others get an IntegrityError and skip it. A runner that dies leaves "running" with a
lease; once the lease has passed (or after a failure, up to MAX_ATTEMPTS) another worker takes
the slot over by a conditional UPDATE. Cron running the same CLI commands stays an alternative
(README): the tasks themselves are safe to run twice.
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from clinic.database import utcnow, write_transaction
from clinic.extensions import db
from clinic.work import registry
from clinic.work.models import SchedulerRun

log = logging.getLogger("clinic.work")

MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Task:
    name: str
    every: str  # "hour" or "day"
    function: object  # "package.module:function" (or a callable), called with no argument
    lease: timedelta


def check_sessions():
    """What ``flask programs check-sessions`` runs: missed-session alerts, one transaction."""
    from clinic.programs.services import missed_session_alerts

    return write_transaction(missed_session_alerts)()


TASKS = (
    Task("measures.send-due", "hour", "clinic.measures.jobs:send_due", timedelta(minutes=50)),
    Task("programs.check-sessions", "day", "clinic.work.scheduler:check_sessions",
         timedelta(hours=2)),
)


def current_slot(task, now, daily_hour=0):
    """The start (UTC) of the slot ``now`` falls in: the hour, or the day from ``daily_hour``."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    if task.every == "hour":
        return hour
    start = hour.replace(hour=daily_hour)
    return start if start <= now else start - timedelta(days=1)


@write_transaction
def _insert(task_name, slot, worker, now, lease):
    db.session.add(SchedulerRun(task=task_name, slot=slot, worker=worker, started_at=now,
                                lease_until=now + lease, outcome="running", attempts=1))
    db.session.flush()


@write_transaction
def _take_over(task_name, slot, worker, now, lease):
    run = SchedulerRun
    result = db.session.execute(
        sa.update(run)
        .where(run.task == task_name, run.slot == slot, run.attempts < MAX_ATTEMPTS,
               sa.or_(run.outcome == "failed",
                      sa.and_(run.outcome == "running", run.lease_until < now)))
        .values(worker=worker, started_at=now, lease_until=now + lease, finished_at=None,
                outcome="running", attempts=run.attempts + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


@write_transaction
def _finish(task_name, slot, worker, outcome):
    run = SchedulerRun
    db.session.execute(
        sa.update(run)
        .where(run.task == task_name, run.slot == slot, run.worker == worker,
               run.outcome == "running")
        .values(outcome=outcome, finished_at=utcnow())
        .execution_options(synchronize_session=False))


def claim(task, slot, worker, now):
    """True when this worker is the one to run ``task`` for ``slot``."""
    try:
        _insert(task.name, slot, worker, now, task.lease)
        return True
    except IntegrityError:
        return _take_over(task.name, slot, worker, now, task.lease)


def tick(*, worker, now=None, tasks=TASKS):
    """Run every task whose current slot nobody has claimed; {task name: outcome} of those run."""
    now = now or utcnow()
    daily_hour = current_app.config.get("SCHEDULER_DAILY_HOUR_UTC", 0)
    ran = {}
    for task in tasks:
        slot = current_slot(task, now, daily_hour)
        if not claim(task, slot, worker, now):
            continue
        ran[task.name] = _run(task, slot, worker)
    return ran


def _run(task, slot, worker):
    started = time.perf_counter()
    function = registry.resolve(task.function)
    try:
        if function is None:
            raise LookupError(task.function)
        function()
        outcome = "done"
    except Exception as error:
        db.session.rollback()
        outcome = "failed"
        log.error("task %s slot=%s failed: %s", task.name, slot.isoformat(),
                  type(error).__name__)
    _finish(task.name, slot, worker, outcome)
    log.info("job kind=%s id=%s ms=%d outcome=%s", task.name, slot.isoformat(),
             round((time.perf_counter() - started) * 1000), outcome)
    return outcome
