"""The scheduler: each slot of a task runs once however many workers tick at the same time;
the next slot runs again; a dead runner's slot is taken over once its lease has passed."""

import threading
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from clinic.extensions import db
from clinic.work import registry, scheduler
from clinic.work.models import SchedulerRun
from clinic.work.scheduler import Task

NOON = datetime(2026, 12, 3, 12, 10, tzinfo=UTC)


def counting_task(runs, every="hour", pause=0.0, fail=False):
    def run():
        runs.append(threading.current_thread().name)
        time.sleep(pause)
        if fail:
            raise RuntimeError("the task fails")

    return Task("test.count", every, run, timedelta(minutes=30))


def tick_together(app, task, now, workers=2):
    """Every worker ticks at once, each thread with its own app context and session."""
    barrier = threading.Barrier(workers)
    results, errors = {}, []

    def tick(name):
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                results[name] = scheduler.tick(worker=name, now=now, tasks=(task,))
                db.session.remove()
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=tick, args=(f"machine-{n}",), name=f"machine-{n}")
               for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    return results


def rows():
    db.session.commit()
    return db.session.execute(sa.select(SchedulerRun.task, SchedulerRun.slot,
                                        SchedulerRun.outcome, SchedulerRun.attempts)
                              .order_by(SchedulerRun.slot)).all()


def test_two_workers_on_one_slot_run_the_task_once_and_the_next_slot_again(app):
    runs = []
    task = counting_task(runs, pause=0.2)

    first = tick_together(app, task, NOON)
    assert len(runs) == 1
    assert sorted(outcome for result in first.values() for outcome in result.values()) == ["done"]

    tick_together(app, task, NOON + timedelta(minutes=40))  # same hour: nothing
    assert len(runs) == 1

    tick_together(app, task, NOON + timedelta(hours=1))
    assert len(runs) == 2
    assert rows() == [("test.count", NOON.replace(minute=0), "done", 1),
                      ("test.count", NOON.replace(minute=0) + timedelta(hours=1), "done", 1)]


def test_a_dead_runners_slot_is_taken_over_after_its_lease_only(app):
    runs = []
    task = counting_task(runs)
    slot = NOON.replace(minute=0)
    assert scheduler.claim(task, slot, "died", NOON)  # claimed, never finished

    assert scheduler.tick(worker="other", now=NOON + timedelta(minutes=20), tasks=(task,)) == {}
    assert runs == []
    assert scheduler.tick(worker="other", now=NOON + timedelta(minutes=45),
                          tasks=(task,)) == {"test.count": "done"}
    assert len(runs) == 1
    assert rows() == [("test.count", slot, "done", 2)]


def test_a_failed_run_is_tried_again_a_bounded_number_of_times(app, logs):
    runs = []
    task = counting_task(runs, fail=True)
    for minute in range(scheduler.MAX_ATTEMPTS + 2):
        scheduler.tick(worker="w", now=NOON + timedelta(minutes=minute), tasks=(task,))
    assert len(runs) == scheduler.MAX_ATTEMPTS
    assert rows() == [("test.count", NOON.replace(minute=0), "failed", scheduler.MAX_ATTEMPTS)]
    assert logs.containing("task test.count slot=2026-12-03T12:00:00+00:00 failed: RuntimeError")


def test_slots_are_the_hour_and_the_day_from_the_configured_utc_hour():
    hourly, daily = counting_task([]), counting_task([], every="day")
    assert scheduler.current_slot(hourly, NOON) == datetime(2026, 12, 3, 12, tzinfo=UTC)
    assert scheduler.current_slot(daily, NOON, 5) == datetime(2026, 12, 3, 5, tzinfo=UTC)
    early = datetime(2026, 12, 3, 4, 59, tzinfo=UTC)
    assert scheduler.current_slot(daily, early, 5) == datetime(2026, 12, 2, 5, tzinfo=UTC)


def test_the_real_tasks_run_the_cli_functions_once_per_slot(app):
    assert [task.name for task in scheduler.TASKS] == ["measures.send-due",
                                                       "programs.check-sessions"]
    from clinic.measures.jobs import send_due

    assert registry.resolve(scheduler.TASKS[0].function) is send_due
    assert scheduler.tick(worker="w", now=NOON) == {"measures.send-due": "done",
                                                    "programs.check-sessions": "done"}
    assert scheduler.tick(worker="w2", now=NOON + timedelta(minutes=5)) == {}
    assert scheduler.tick(worker="w2", now=NOON + timedelta(hours=1)) == {
        "measures.send-due": "done"}
    assert scheduler.tick(worker="w2", now=NOON + timedelta(days=1)) == {
        "measures.send-due": "done", "programs.check-sessions": "done"}
