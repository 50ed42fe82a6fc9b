"""A committed message wakes a worker through RQ (a private redis-server on 127.0.0.1); a rolled
back one wakes nobody, and a Redis that does not answer costs the request nothing."""

import shutil
import subprocess
import time

import pytest
import sqlalchemy as sa
from factories import ResponseFactory
from helpers import free_port
from redis import Redis
from rq import Queue

from clinic.alerts.services import raise_alert
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.outbox.models import OutboxMessage

PHQ9_RISK = [2, 2, 2, 2, 2, 2, 2, 2, 1]


@pytest.fixture(scope="module")
def redis_url():
    server = shutil.which("redis-server")
    assert server, "redis-server is part of the test setup (scripts/system_packages.py)"
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 (fixed argv)
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                Redis.from_url(url).ping()
                break
            except Exception:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def config_overrides(request):
    if "redis_url" in request.fixturenames:
        return {"REDIS_URL": request.getfixturevalue("redis_url")}
    return {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}  # nothing listens


def wake_ups(url):
    queue = Queue("liftclinic", connection=Redis.from_url(url))
    jobs = [queue.fetch_job(job_id) for job_id in queue.job_ids]
    queue.empty()
    return [(job.func_name, job.args) for job in jobs]


def test_a_committed_alert_wakes_a_worker_for_each_message(app, redis_url, patient, therapist):
    wake_ups(redis_url)
    ResponseFactory(actor=therapist, patient=patient, answers=PHQ9_RISK)
    [message_id] = db.session.scalars(sa.select(OutboxMessage.id)).all()
    assert wake_ups(redis_url) == [("clinic.work.jobs.run_kind", ("outbox", message_id))]


def test_a_rolled_back_alert_wakes_nobody(app, redis_url, patient):
    wake_ups(redis_url)

    @write_transaction
    def raise_then_fail():
        raise_alert(patient, "missed_sessions")
        raise RuntimeError("the cause could not be stored")

    with pytest.raises(RuntimeError):
        raise_then_fail()
    db.session.commit()  # a later commit of the same session wakes nobody either
    assert wake_ups(redis_url) == []


def test_a_redis_that_does_not_answer_costs_the_request_nothing(app, patient, therapist):
    ResponseFactory(actor=therapist, patient=patient, answers=PHQ9_RISK)
    assert len(db.session.scalars(sa.select(OutboxMessage.id)).all()) == 1
