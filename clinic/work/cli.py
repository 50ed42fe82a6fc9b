"""``flask worker``: the scheduler, every kind's sweep, and (with REDIS_URL) RQ wake-ups.

    flask --app wsgi worker [--once] [--poll SECONDS] [--name NAME]

One loop per process: tick the scheduler, sweep every registered kind (due outbox messages,
pending report items), then wait up to ``--poll`` seconds for wake-ups. With Redis the wait is
an RQ ``SimpleWorker.work(max_jobs=..., max_idle_time=poll)`` in this process, so the jobs run
with this app context and return to the loop when the queue has been idle for ``poll``
seconds; without Redis it is a plain sleep (the sweep finds the same rows). SIGTERM or SIGINT
finishes the current job and exits. After WORKER_MAX_RENDERS report renders the process
re-executes itself, so WeasyPrint's memory goes back to the system.
"""

import logging
import os
import signal
import socket
import sys
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from clinic.extensions import db
from clinic.work import jobs, registry, scheduler
from clinic.work.queue import redis_connection

log = logging.getLogger("clinic.work")

# Wake-ups taken from RQ before the loop sweeps and ticks again (a busy queue must not starve
# the scheduler).
JOBS_PER_TURN = 20


class Stop:
    """Set by SIGTERM/SIGINT; the loop ends after the job in hand."""

    def __init__(self):
        self.event = threading.Event()
        self.rq_worker = None  # while RQ waits for a job, it is told to stop too

    def __bool__(self):
        return self.event.is_set()

    def request(self, signum, frame):
        self.event.set()
        if self.rq_worker is not None:
            # Idle: raises StopRequested out of the blocking wait; busy: stops after the job.
            self.rq_worker.request_stop(signum, frame)

    def install(self):
        self.previous = {}
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGTERM, signal.SIGINT):
                self.previous[number] = signal.signal(number, self.request)

    def uninstall(self):
        for number, handler in self.previous.items():
            signal.signal(number, handler)


def default_name():
    return socket.gethostname()


def renders_in_process():
    """Report renders this process has made (imported late: weasyprint loads with it)."""
    from clinic.reports.pdf import renders_in_process as counted

    return counted()


def make_rq_worker(app, worker_id):
    """An RQ SimpleWorker: the jobs run in this process, in this app context."""
    connection = redis_connection(app, socket_connect_timeout=2)
    from rq import Queue, SimpleWorker

    class LoopWorker(SimpleWorker):
        def _install_signal_handlers(self):
            """Our loop's handlers stay: they forward to request_stop while RQ waits."""

    return LoopWorker([Queue(app.config["RQ_QUEUE"], connection=connection)], connection=connection,
                      name=worker_id, log_job_description=False)


class Wakeups:
    """RQ's side of the loop: built when Redis first answers, forgotten when it stops."""

    def __init__(self, app, worker_id):
        self.app, self.worker_id = app, worker_id
        self.enabled = bool(app.config.get("REDIS_URL"))
        self.rq_worker = None
        self.warned = False

    def worker(self):
        if self.rq_worker is None:
            self.rq_worker = make_rq_worker(self.app, self.worker_id)
        self.rq_worker.connection.ping()
        return self.rq_worker

    def wait(self, stop, poll, once):
        """Take RQ jobs until the queue is idle for ``poll`` s (``once``: until it is empty);
        without Redis, or while it does not answer, sleep ``poll`` s (the sweep finds the rows).
        """
        if not self.enabled:
            if not once:
                stop.event.wait(poll)
            return
        try:
            rq_worker = self.worker()
            self.warned = False
        except Exception as error:
            if not self.warned:
                log.warning("redis does not answer (%s): sweeping the database only",
                            type(error).__name__)
                self.warned = True
            if not once:
                stop.event.wait(poll)
            return
        stop.rq_worker = rq_worker
        try:
            rq_worker.work(burst=once, max_jobs=None if once else JOBS_PER_TURN,
                           max_idle_time=None if once else max(1, round(poll)),
                           logging_level="WARNING")
        except Exception as error:
            log.warning("redis wait ended (%s): sweeping the database", type(error).__name__)
            if not once:
                stop.event.wait(poll)
        finally:
            stop.rq_worker = None


def sweep_all(stop):
    for kind in registry.names():
        if stop:
            return
        jobs.run(kind)


def tick(worker_id):
    try:
        scheduler.tick(worker=worker_id)
    except Exception as error:  # a database outage: the next turn tries again
        db.session.rollback()
        log.error("scheduler tick failed: %s", type(error).__name__)


def recycle():
    """Start this command afresh in this process (same pid, same arguments, new memory)."""
    log.info("worker recycling after %d renders", renders_in_process())
    db.session.remove()
    db.engine.dispose()
    for handler in logging.getLogger().handlers:
        handler.flush()
    os.execv(sys.executable, [sys.executable, "-m", "flask", *sys.argv[1:]])  # noqa: S606


def run_worker(*, once=False, poll=None, name=None, stop=None):
    """The worker loop (``flask worker``); returns when stopped or, ``once``, after one turn."""
    app = current_app._get_current_object()
    poll = poll if poll is not None else app.config["WORKER_POLL_SECONDS"]
    worker_id = f"{name or default_name()}:{os.getpid()}"
    jobs.set_worker_id(worker_id)
    stop = stop or Stop()
    stop.install()
    wakeups = Wakeups(app, worker_id)
    max_renders = app.config["WORKER_MAX_RENDERS"]
    log.info("worker %s started (%s)", worker_id,
             "redis wake-ups" if wakeups.enabled else f"polling every {poll:g} s")
    try:
        while not stop:
            tick(worker_id)
            sweep_all(stop)
            if not stop:
                wakeups.wait(stop, poll, once)
            if once:
                break
            if not stop and renders_in_process() >= max_renders:
                recycle()
    finally:
        stop.uninstall()
    log.info("worker %s stopped", worker_id)


@click.command("worker")
@click.option("--once", is_flag=True,
              help="One turn (scheduler, sweeps, queued wake-ups), then exit (for cron or tests).")
@click.option("--poll", type=click.FloatRange(min=0.1), default=None,
              help="Seconds between database sweeps (default WORKER_POLL_SECONDS).")
@click.option("--name", default=None,
              help="This worker's name in claims and logs (default: the host name).")
@with_appcontext
def worker_command(once, poll, name):
    """Run background work: outbox delivery, report batches, the hourly and daily schedules."""
    run_worker(once=once, poll=poll, name=name)
