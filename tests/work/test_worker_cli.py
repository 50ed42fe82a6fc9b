"""`flask worker`: one turn runs every registered sweep, takes the queued wake-ups through RQ
and ticks the scheduler; each job leaves one log line without PHI."""

import itertools
import sys

import pytest
from factories import PatientFactory

from clinic.extensions import db
from clinic.work import jobs, registry
from clinic.work.models import SchedulerRun
from clinic.work.queue import enqueue
from work.conftest import REDIS_URL, closed_port_url


def test_worker_once_runs_a_registered_sweep_and_the_scheduler(app, runner, kind, logs):
    name, calls = kind
    result = runner.invoke(args=["worker", "--once", "--name", "box-1"])
    assert result.exit_code == 0, result.output
    [sweep] = calls["sweep"]
    assert sweep["worker_id"].startswith("box-1:")
    assert sweep["limit"] == jobs.SWEEP_LIMIT
    assert [line for line in logs.containing(f"kind={name} ")
            if "id=sweep" in line and "outcome=done count=2" in line]
    db.session.commit()
    assert {run.task for run in db.session.query(SchedulerRun)} == {
        "measures.send-due", "programs.check-sessions"}


def test_a_kind_whose_module_is_missing_is_skipped_with_one_warning(app, runner, logs):
    registry.register("absent", "clinic.no_such_area.services:deliver_due")
    try:
        for _ in range(2):
            assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    finally:
        registry.unregister("absent")
    assert len(logs.containing("work kind 'absent' skipped")) == 1


def test_a_kind_whose_module_fails_to_import_is_an_error_line_not_a_dead_worker(
        app, runner, kind, logs):
    """A missing module is "not here yet"; a module that exists but cannot import is a bug:
    logged as an error every turn, while the other kinds keep being served."""
    _name, calls = kind
    registry.register("broken", "work.broken_kind:sweep")
    try:
        assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    finally:
        registry.unregister("broken")
    assert logs.containing("job kind=broken id=sweep ms=0 outcome=error "
                           "error=ModuleNotFoundError")
    assert len(calls["sweep"]) == 1


def test_worker_once_takes_the_queued_wakeups_through_rq(make_app, queue_name, redis_queue,
                                                         kind):
    name, calls = kind
    app = make_app(REDIS_URL=REDIS_URL, RQ_QUEUE=queue_name)
    assert enqueue(app, name, 41) and enqueue(app, name, 42)
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert sorted(calls["one"]) == [41, 42]
    assert redis_queue.count == 0


def test_worker_once_with_redis_down_still_sweeps(make_app, kind):
    _name, calls = kind
    app = make_app(REDIS_URL=closed_port_url())
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert len(calls["sweep"]) == 1


@pytest.mark.parametrize("key", [None, 5])
def test_a_failing_job_logs_its_kind_id_duration_and_error_class_but_no_phi(app, logs, key):
    patient = PatientFactory(display_name="Ottoline Quarrendon", reference="REF-PHI-1")
    db.session.commit()
    secret = (patient.display_name, patient.reference)

    def leaky(*args, **kwargs):
        raise ValueError(f"duplicate row for {patient.display_name} ({patient.reference})")

    registry.register("leaky", leaky, leaky)
    try:
        assert jobs.run("leaky", key) == "error"
    finally:
        registry.unregister("leaky")
    [line] = logs.containing("kind=leaky")
    assert f"id={'sweep' if key is None else key} " in line
    assert "outcome=error error=ValueError" in line and " ms=" in line
    assert not [text for text in logs.lines if any(part in text for part in secret)]


def test_a_one_row_job_logs_one_line(app, logs, kind):
    name, calls = kind
    assert jobs.run_kind(name, 12) == "done"
    assert calls["one"] == [12]
    [line] = logs.containing(f"kind={name} ")
    assert f"kind={name} id=12 ms=" in line and line.endswith("outcome=done")


def test_run_kind_outside_an_app_context_builds_the_app(kind, migrated_schema, monkeypatch):
    """A bare `rq worker` calls run_kind with no app: it builds one from the environment."""
    name, calls = kind
    monkeypatch.setenv("DATABASE_URL", migrated_schema)
    monkeypatch.setenv("LIFTCLINIC_ENV", "testing")
    monkeypatch.setattr(jobs, "_standalone", {})
    assert jobs.run_kind(name, 3) == "done"
    assert calls["one"] == [3]
    built = jobs._standalone["app"]
    assert built.config["SQLALCHEMY_DATABASE_URI"].endswith(migrated_schema.split("://")[1])
    with built.app_context():
        db.engine.dispose()


def test_after_max_renders_the_worker_re_executes_itself(app, runner, monkeypatch, logs):
    """Recycling: WORKER_MAX_RENDERS renders in this process, and the loop execs a fresh
    `python -m flask ... worker` in its place (the exec itself is captured here)."""
    from clinic.work import cli

    app.config["WORKER_MAX_RENDERS"] = 3
    renders = itertools.chain([0], itertools.repeat(3))  # one turn below the limit, then at it
    monkeypatch.setattr(cli, "renders_in_process", lambda: next(renders))
    execs = []

    def exec_instead(path, argv):
        execs.append(argv)
        raise SystemExit(0)  # exec never returns: end the command here

    monkeypatch.setattr(cli.os, "execv", exec_instead)
    result = runner.invoke(args=["worker", "--poll", "0.1"])
    assert result.exit_code == 0, result.output
    assert execs == [[sys.executable, "-m", "flask", *sys.argv[1:]]]
    assert logs.containing("worker recycling after")


def test_renders_in_process_reads_the_reports_counter(monkeypatch):
    from clinic.reports import pdf
    from clinic.work import cli

    monkeypatch.setattr(pdf, "_renders", 7)
    assert cli.renders_in_process() == 7
