"""Engine settings and the write-transaction helper, on real SQLite files and PostgreSQL."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from conftest import make_config
from factories import ClinicFactory, PatientFactory
from sqlalchemy.exc import OperationalError

from clinic.app import create_app
from clinic.auth.models import Clinic
from clinic.database import WRITE_OPTION, is_retryable, write_transaction
from clinic.extensions import db


@pytest.fixture
def sqlite_app(tmp_path):
    """An app on its own SQLite file, whatever database the rest of the suite uses."""
    from flask_migrate import upgrade

    app = create_app(make_config(f"sqlite:///{tmp_path / 'own.sqlite'}"))
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(sqlite_app):
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


def test_orphan_rows_are_refused_by_the_database(app):
    """Foreign keys hold on both engines: a patient of a clinic that does not exist fails."""
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO patient (clinic_id, display_name, reference, reference_key, "
                    "name_key, status, created_at) VALUES (999999, 'x', 'x', 'x', 'x', "
                    "'active', CURRENT_TIMESTAMP)")
        )


def test_write_transactions_begin_immediate_on_sqlite(sqlite_app):
    """A service's transaction holds SQLite's write lock from its first statement."""
    statements = []

    @sa.event.listens_for(db.engine, "before_cursor_execute")
    def remember(conn, cursor, statement, *args):
        statements.append(statement)

    @write_transaction
    def add_clinic():
        db.session.add(Clinic(name="Lock test"))

    db.session.scalar(sa.select(sa.func.count(Clinic.id)))  # a read transaction is open
    add_clinic()
    sa.event.remove(db.engine, "before_cursor_execute", remember)
    begins = [s for s in statements if s.startswith("BEGIN")]
    assert begins == ["BEGIN", "BEGIN IMMEDIATE"]  # the read's, then the service's own
    insert = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO clinic"))
    assert insert > statements.index("BEGIN IMMEDIATE")


@pytest.mark.slow
def test_concurrent_read_modify_write_on_sqlite_loses_nothing(sqlite_app):
    """8 threads x 2 processes x 100 read-modify-write transactions on one SQLite file: no
    'database is locked', no lost update (``tests/reliability/counter.py`` is one process)."""
    clinic_id = ClinicFactory(timezone="0").id
    db.session.commit()
    url = sqlite_app.config["SQLALCHEMY_DATABASE_URI"]
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(root / "tests")])}
    processes = [subprocess.Popen(  # noqa: S603 (our interpreter, our module)
        [sys.executable, "-m", "reliability.counter", url, str(clinic_id), "8", "100"],
        cwd=root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(2)]
    for process in processes:
        assert process.stdout.readline().strip() == "ready"
    for process in processes:  # both start together
        process.stdin.write("go\n")
        process.stdin.flush()
    results = []
    for process in processes:
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0
        results.append(json.loads(output))
    assert [r["errors"] for r in results] == [[], []]
    assert [r["done"] for r in results] == [800, 800]
    db.session.rollback()  # end the test's own read snapshot
    assert db.session.get(Clinic, clinic_id).timezone == "1600"


def test_only_serialization_failures_and_deadlocks_are_retryable():
    def wrapped(pg_error):
        return OperationalError("statement", {}, pg_error)

    assert is_retryable(wrapped(psycopg.errors.SerializationFailure()))
    assert is_retryable(wrapped(psycopg.errors.DeadlockDetected()))
    assert not is_retryable(wrapped(psycopg.errors.UniqueViolation()))
    assert not is_retryable(OperationalError("statement", {}, Exception("database is locked")))


def test_a_failed_service_writes_nothing(app):
    """Services are all-or-nothing: an error after the first write leaves no trace."""
    clinic = ClinicFactory()

    @write_transaction
    def half_done():
        db.session.add(Clinic(name="Never saved"))
        db.session.flush()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        half_done()
    names = db.session.scalars(sa.select(Clinic.name)).all()
    assert names == [clinic.name]


def _database_kinds():
    kinds = ["sqlite"]
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"):
        kinds.append("postgresql")
    return kinds


@pytest.mark.parametrize("kind", _database_kinds())
def test_conflicting_concurrent_writers_both_land(kind, request):
    """Two transactions that conflict both end up committed.

    PostgreSQL (SERIALIZABLE): the loser gets SQLSTATE 40001 and ``write_transaction`` retries
    it. SQLite: BEGIN IMMEDIATE makes the second writer wait instead of failing.
    """
    app = request.getfixturevalue("app" if kind == "postgresql" else "sqlite_app")
    attempts = []
    other_done = threading.Event()

    def competing_writer():
        # It writes the way every service does: BEGIN IMMEDIATE on SQLite.
        with app.app_context(), db.engine.connect().execution_options(
            **{WRITE_OPTION: True}
        ) as connection:
            if kind == "postgresql":
                connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
            connection.execute(sa.select(sa.func.count(Clinic.id))).scalar()
            connection.execute(sa.insert(Clinic).values(name="Competitor",
                                                        timezone="UTC", crisis_text="",
                                                        created_at=sa.func.now()))
            connection.commit()
        other_done.set()

    @write_transaction
    def add_clinic_after_counting():
        attempts.append(1)
        if kind == "postgresql":
            db.session.execute(sa.text("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"))
        db.session.scalar(sa.select(sa.func.count(Clinic.id)))
        if len(attempts) == 1:
            thread = threading.Thread(target=competing_writer)
            thread.start()
            if kind == "postgresql":
                thread.join()  # commits in between our read and our write
        db.session.add(Clinic(name="Ours", timezone="UTC", crisis_text=""))

    add_clinic_after_counting()
    other_done.wait(timeout=30)
    db.session.rollback()
    names = set(db.session.scalars(sa.select(Clinic.name)))
    assert names == {"Ours", "Competitor"}
    assert len(attempts) == (2 if kind == "postgresql" else 1)


def test_patients_of_other_clinics_never_collide_on_reference(app):
    """The reference is unique per clinic, not globally."""
    PatientFactory(reference="LC-1")
    PatientFactory(reference="LC-1")
    with pytest.raises(sa.exc.IntegrityError):
        clinic = ClinicFactory()
        PatientFactory(clinic=clinic, reference="LC-2")
        PatientFactory(clinic=clinic, reference="LC-2")
    db.session.rollback()
