"""``flask backup OUT``: a consistent copy of the live SQLite database.

The copy is made with SQLite's online backup API (``sqlite3.Connection.backup``) in one step:
it reads one snapshot of the database while the app keeps writing (WAL readers never block the
writer). Copying the file instead can tear a page mid-transaction or miss what still sits in
the ``-wal`` file.

The copy is written to a temporary file beside OUT, checked (``PRAGMA integrity_check``),
switched to a self-contained rollback journal, and only then linked to OUT, so OUT is either
absent or a whole, checked backup; an existing OUT is never overwritten. It holds patient data:
it is created readable by its owner only.

PostgreSQL has its own tool: ``pg_dump -Fc`` and ``pg_restore`` (README, "Backups").
"""

import os
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

POSTGRESQL_ADVICE = (
    "This database is PostgreSQL: back it up with pg_dump, e.g. "
    "pg_dump -Fc -f liftclinic.dump \"$DATABASE_URL\", and restore with pg_restore "
    "(see README, Backups). flask backup copies SQLite databases only."
)


class BackupError(click.ClickException):
    """The backup was not made; OUT is untouched."""


def sqlite_path(database_uri):
    """The file of a SQLite database URI, or None for any other database."""
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database has nothing to back up.")
    return Path(url.database)


def backup_sqlite(source, out, busy_timeout=30.0):
    """Copy the SQLite database ``source`` to the new file ``out``; the copy's size in bytes."""
    source, out = Path(source), Path(out)
    if out.exists():
        raise BackupError(f"{out} already exists: choose a new file name.")
    if not source.is_file():
        raise BackupError(f"There is no database at {source}.")
    descriptor, partial = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial",
                                           dir=out.parent)
    os.close(descriptor)
    try:
        # mode=rw: never create an empty database where the real one should be.
        with closing(sqlite3.connect(f"file:{source}?mode=rw", uri=True,
                                     timeout=busy_timeout)) as live, \
                closing(sqlite3.connect(partial)) as copy:
            live.backup(copy)  # pages=-1: the whole database from one snapshot
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            result = copy.execute("PRAGMA integrity_check").fetchall()
            if result != [("ok",)]:
                raise BackupError(f"The copy failed its integrity check: {result[:5]}")
        try:
            os.link(partial, out)  # fails if OUT appeared meanwhile: never overwrite
        except FileExistsError as error:
            raise BackupError(f"{out} already exists: choose a new file name.") from error
    finally:
        os.unlink(partial)
    return out.stat().st_size


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(out):
    """Copy the live SQLite database to OUT, a new file (online backup API, checked)."""
    source = sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if source is None:
        raise BackupError(POSTGRESQL_ADVICE)
    size = backup_sqlite(source, out)
    click.echo(f"Backed up {source} to {out} ({size} bytes; integrity check ok).")
