"""wake_after_commit: a wake-up reaches Redis when the transaction commits, never after a
rollback, and without Redis (or with Redis down) nothing is enqueued and nothing raises."""

import time

import pytest

from clinic.database import write_transaction
from clinic.extensions import db
from clinic.work.models import SchedulerRun
from clinic.work.queue import enqueue, wake_after_commit
from work.conftest import REDIS_URL, closed_port_url


@pytest.fixture
def config_overrides(queue_name):
    return {"REDIS_URL": REDIS_URL, "RQ_QUEUE": queue_name}


def some_row(task="wake-test"):
    """A row written in the same transaction as the wake-up (any table does)."""
    from datetime import UTC, datetime

    now = datetime(2026, 12, 3, 10, tzinfo=UTC)
    db.session.add(SchedulerRun(task=task, slot=now, worker="t", started_at=now,
                                lease_until=now, outcome="done", attempts=1))


def queued(queue):
    return [tuple(job.args) for job in queue.get_jobs()]


def test_commit_enqueues_one_run_kind_job(app, redis_queue):
    @write_transaction
    def write():
        some_row()
        wake_after_commit("outbox", 7)
        wake_after_commit("outbox", 7)  # twice in one transaction: one wake-up

    assert queued(redis_queue) == []
    write()
    [job] = redis_queue.get_jobs()
    assert (job.func_name, tuple(job.args)) == ("clinic.work.jobs.run_kind", ("outbox", 7))


def test_nothing_is_enqueued_before_the_commit(app, redis_queue):
    seen = []

    @write_transaction
    def write():
        some_row()
        wake_after_commit("reports", 3)
        seen.append(queued(redis_queue))

    write()
    assert seen == [[]]
    assert queued(redis_queue) == [("reports", 3)]


def test_rollback_enqueues_nothing_now_or_at_the_next_commit(app, redis_queue):
    @write_transaction
    def failing():
        some_row()
        wake_after_commit("outbox", 9)
        raise ValueError("the use case fails")

    with pytest.raises(ValueError):
        failing()
    assert queued(redis_queue) == []

    write_transaction(some_row)(task="later")
    assert queued(redis_queue) == []  # the forgotten wake-up does not ride on this commit


def test_without_redis_url_nothing_is_enqueued_and_nothing_raises(make_app, redis_queue,
                                                                    queue_name):
    app = make_app(RQ_QUEUE=queue_name)
    assert not app.config["REDIS_URL"]
    with app.app_context():
        @write_transaction
        def write():
            some_row()
            wake_after_commit("outbox", 1)

        write()
        assert db.session.query(SchedulerRun).count() == 1
    assert queued(redis_queue) == []


def test_redis_down_costs_the_commit_nothing(make_app):
    app = make_app(REDIS_URL=closed_port_url())
    with app.app_context():
        @write_transaction
        def write():
            some_row()
            wake_after_commit("outbox", 1)

        started = time.monotonic()
        write()  # no exception
        assert time.monotonic() - started < 3
        # and for a while the next wake-ups do not even try (no time lost per request)
        started = time.monotonic()
        assert enqueue(app, "outbox", 2) is False
        assert time.monotonic() - started < 0.05
        assert db.session.query(SchedulerRun).count() == 1
