"""SIGTERM or SIGINT: a worker finishes the job in hand, then exits; waiting for wake-ups (RQ)
or polling, it exits at once."""

import os
import signal
import subprocess
import sys
import time

import pytest
from helpers import PROJECT

from work.conftest import REDIS_URL

pytestmark = pytest.mark.slow  # a real worker process each (seconds to import the app)
DEADLINE_S = 30


def start_worker(database_url, marker, poll, queue=None, **environ):
    env = {key: value for key, value in os.environ.items()
           if key not in ("SECRET_KEY", "REDIS_URL", "SMTP_URL")}
    env.update(DATABASE_URL=database_url, LIFTCLINIC_ENV="testing", PYTHONUNBUFFERED="1",
               PYTHONPATH=str(PROJECT), **environ)
    return subprocess.Popen(  # noqa: S603 (the test's own child script)
        [sys.executable, str(PROJECT / "tests" / "work" / "worker_child.py"), str(marker),
         str(poll), *([queue] if queue else [])], cwd=PROJECT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(condition, process):
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(process.communicate(timeout=10)[0])
        time.sleep(0.05)


def finish(process):
    try:
        output = process.communicate(timeout=DEADLINE_S)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(process.communicate(timeout=10)[0]) from None
    return process.returncode, output


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_job_lets_the_job_finish_then_the_worker_exits(app, migrated_schema,
                                                                   tmp_path, signum):
    marker = tmp_path / "marker"
    process = start_worker(migrated_schema, marker, poll=30)
    wait_for(lambda: marker.exists() and marker.read_text() == "started", process)
    process.send_signal(signum)
    code, output = finish(process)
    assert (code, marker.read_text()) == (0, "finished"), output
    assert "job kind=slow id=sweep" in output and "outcome=done" in output
    assert output.rstrip().endswith("stopped"), output


def test_a_wakeup_runs_at_once_and_a_signal_stops_the_waiting_worker(
        app, migrated_schema, tmp_path, queue_name, redis_queue):
    """Between sweeps 30 s apart, a wake-up enqueued after a commit runs within seconds."""
    from clinic.work.queue import enqueue

    marker = tmp_path / "marker"
    process = start_worker(migrated_schema, marker, poll=30, queue=queue_name,
                           REDIS_URL=REDIS_URL)
    wait_for(lambda: marker.exists() and marker.read_text() == "finished", process)
    app.config.update(REDIS_URL=REDIS_URL, RQ_QUEUE=queue_name)
    enqueued = time.monotonic()
    assert enqueue(app, "slow", 7)
    rows = tmp_path / "marker.one"
    wait_for(lambda: rows.exists() and rows.read_text() == "one:7\n", process)
    assert time.monotonic() - enqueued < 10  # not the next sweep, 30 s on
    time.sleep(0.5)  # back in RQ's blocking wait (poll: 30 s)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code, output = finish(process)
    assert code == 0, output
    assert time.monotonic() - started < 10
    assert "redis wake-ups" in output and output.rstrip().endswith("stopped"), output
