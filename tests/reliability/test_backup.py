"""Backups: a copy taken while the app writes is whole, and the app runs on the restore.

One test, two backends: on SQLite it exercises ``flask backup`` (SQLite's online backup API);
when the suite runs on PostgreSQL (``TEST_DATABASE_URL``) it runs the README's
``pg_dump -Fc`` / ``pg_restore`` round trip into scratch databases, which it drops. Two writer
processes run during the backup; the restore must hold every row they reported committed
before it began, no partial state (``world.check_world``), pass ``flask audit verify`` and
serve the app; a second backup, taken once they stop, has every table's row count.
"""

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from contextlib import closing

import psycopg
import pytest
import sqlalchemy as sa
from conftest import make_config

from clinic.app import create_app
from clinic.extensions import db
from clinic.patients.models import Patient
from reliability.world import (
    check_world,
    committed_rows_missing,
    read_report,
    table_counts,
    wait_until_ready,
)

PG_TOOLS_MISSING = ("pg_dump and pg_restore are needed for the PostgreSQL backup test: install "
                    "Debian's postgresql-client (.ci/run does)")


class SQLiteBackups:
    """``flask backup`` to new files; a backup is restored by opening the file."""

    def __init__(self, app, folder):
        self.runner = app.test_cli_runner()
        self.folder = folder
        self.made = 0

    def backup_and_restore(self):
        self.made += 1
        out = self.folder / f"backup-{self.made}.sqlite"
        result = self.runner.invoke(args=["backup", str(out)])
        assert result.exit_code == 0, result.output
        assert "integrity check ok" in result.output
        with closing(sqlite3.connect(out)) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
        assert oct(out.stat().st_mode & 0o777) == oct(0o600)  # patient data: owner only
        return f"sqlite:///{out}"

    def drop_all(self):
        """The files stay in the test's temporary folder."""


class PostgreSQLBackups:
    """``pg_dump -Fc`` of the live database, ``pg_restore`` into a fresh scratch database."""

    def __init__(self, database_url, folder):
        self.tools = {name: shutil.which(name) for name in ("pg_dump", "pg_restore")}
        assert all(self.tools.values()), PG_TOOLS_MISSING
        self.live = sa.engine.make_url(database_url).set(drivername="postgresql")
        self.folder = folder
        self.scratch = []

    def _libpq(self, url):
        return url.render_as_string(hide_password=False)

    def _run(self, tool, *args):
        subprocess.run([self.tools[tool], *args],  # noqa: S603 (the client tools, our URLs)
                       check=True, capture_output=True, timeout=300)

    def _admin(self, statement):
        admin = self._libpq(self.live.set(database="postgres"))
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(statement)

    def backup_and_restore(self):
        dump = self.folder / f"backup-{len(self.scratch) + 1}.dump"
        self._run("pg_dump", "-Fc", "-f", str(dump), self._libpq(self.live))
        name = f"{self.live.database}_restore_{os.getpid()}_{len(self.scratch) + 1}"[-63:]
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{name}"')
        self.scratch.append(name)
        target = self._libpq(self.live.set(database=name))
        self._run("pg_restore", "--exit-on-error", "-d", target, str(dump))
        return target

    def drop_all(self):
        for name in self.scratch:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def backups(app, database_url, tmp_path):
    if sa.engine.make_url(database_url).get_backend_name() == "sqlite":
        made = SQLiteBackups(app, tmp_path)
    else:
        made = PostgreSQLBackups(database_url, tmp_path)
    yield made
    made.drop_all()


def counts_in(database_url):
    """Every table's row count in another database, through an app built on it."""
    restored = create_app(make_config(database_url))
    with restored.app_context():
        try:
            return table_counts()
        finally:
            db.session.remove()
            db.engine.dispose()


def test_a_backup_taken_while_writers_run_restores_whole(
        app, world, writer_forks, database_url, backups, tmp_path):
    config = make_config(database_url)
    db.session.commit()
    writers = [(writer_forks.spawn(config, world, tmp_path / f"writer-{n}.txt", seed=n + 1),
                tmp_path / f"writer-{n}.txt") for n in range(2)]
    for _, report in writers:
        wait_until_ready(report, writer_forks)
    time.sleep(0.3)  # both are writing now
    committed_before = [words for _, report in writers for words in read_report(report)]
    restored_url = backups.backup_and_restore()
    after_backup = len([words for _, report in writers for words in read_report(report)])
    deadline = time.monotonic() + 30  # they write on after it: it was taken under load
    while len([w for _, report in writers for w in read_report(report)]) <= after_backup:
        assert time.monotonic() < deadline, writer_forks.stderr()
        time.sleep(0.01)
    for pid, _ in writers:
        os.kill(pid, signal.SIGKILL)
        status = writer_forks.reap(pid)
        assert os.WIFSIGNALED(status), writer_forks.stderr()  # it was still running
    assert len(committed_before) > 2  # more than the two "ready" lines

    restored = create_app(make_config(restored_url))
    with restored.app_context():
        try:
            assert committed_rows_missing(committed_before) == []
            assert check_world(world["clinic_id"]) == []  # one consistent moment, no partial
            assert db.session.scalar(sa.select(sa.func.count(Patient.id))) >= 1
            assert restored.test_client().get("/healthz").status_code == 200
            verified = restored.test_cli_runner().invoke(args=["audit", "verify"])
            assert verified.exit_code == 0, verified.output
            assert "audit trail intact" in verified.output
        finally:
            db.session.remove()
            db.engine.dispose()

    # Quiet now: a second backup holds exactly what the live database holds.
    live_counts = table_counts()
    quiet_url = backups.backup_and_restore()
    assert counts_in(quiet_url) == live_counts
    print(f"backup under load: {len(committed_before)} rows committed before it, all restored; "
          f"quiet backup: {sum(live_counts.values())} rows in {len(live_counts)} tables equal")


# flask backup's refusals -----------------------------------------------------------------------


def sqlite_file_app(tmp_path):
    source = tmp_path / "live.sqlite"
    with closing(sqlite3.connect(source)) as connection:
        connection.execute("CREATE TABLE note (text TEXT)")
        connection.execute("INSERT INTO note VALUES ('kept')")
        connection.commit()
    return create_app(make_config(f"sqlite:///{source}"))


def test_backup_refuses_to_overwrite_an_existing_file(tmp_path):
    app = sqlite_file_app(tmp_path)
    out = tmp_path / "already-there.sqlite"
    out.write_bytes(b"yesterday's backup")

    result = app.test_cli_runner().invoke(args=["backup", str(out)])

    assert result.exit_code != 0
    assert "already exists" in result.output
    assert out.read_bytes() == b"yesterday's backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["already-there.sqlite", "live.sqlite"]

    fresh = tmp_path / "fresh.sqlite"
    assert app.test_cli_runner().invoke(args=["backup", str(fresh)]).exit_code == 0
    with closing(sqlite3.connect(fresh)) as copy:
        assert copy.execute("SELECT text FROM note").fetchall() == [("kept",)]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one file
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "already-there.sqlite", "fresh.sqlite", "live.sqlite"]  # no partial file left


def test_backup_of_a_postgresql_database_points_to_pg_dump(tmp_path):
    # Nothing listens there: the command must answer without connecting.
    app = create_app(make_config("postgresql://liftclinic@127.0.0.1:9/liftclinic"))
    out = tmp_path / "backup.sqlite"

    result = app.test_cli_runner().invoke(args=["backup", str(out)])

    assert result.exit_code != 0
    assert "pg_dump -Fc" in result.output and "pg_restore" in result.output
    assert not out.exists()
