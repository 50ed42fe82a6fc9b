"""The declarative base, column types, engine settings and the one write-transaction helper.

Every service that changes data runs inside :func:`write_transaction`: it opens the transaction
(``BEGIN IMMEDIATE`` on SQLite, so WAL readers never fail to upgrade to writers), commits once,
rolls back on any error, and retries PostgreSQL serialization failures a bounded number of times.
"""

import functools
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session

from clinic.errors import NotFound

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
WRITE_OPTION = "liftclinic_write"


def utcnow():
    """The current time, timezone-aware in UTC: every stored time is UTC."""
    return datetime.now(UTC)


def one_of(column, values):
    """The SQL of a CHECK constraint keeping ``column`` to ``values`` (both databases)."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite would drop the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use clinic.database.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every model; constraint names follow one convention so migrations can drop them."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


@event.listens_for(Engine, "connect")
def _configure_sqlite_connection(dbapi_connection, connection_record):
    """Foreign keys, WAL and a busy timeout on every SQLite connection; explicit BEGIN."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # Take transaction control from pysqlite so our own BEGIN (IMMEDIATE) is the one that runs.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(_busy_timeout_ms())}")
    cursor.close()


def _busy_timeout_ms():
    try:
        return current_app.config["SQLITE_BUSY_TIMEOUT_MS"]
    except (RuntimeError, KeyError):
        return 15000


@event.listens_for(Engine, "begin")
def _begin_sqlite_transaction(conn):
    """Emit BEGIN ourselves on SQLite: IMMEDIATE for writes, DEFERRED for reads."""
    if conn.dialect.name != "sqlite":
        return
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def is_retryable(error):
    """True for PostgreSQL serialization failures and deadlocks, which a retry can fix."""
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None)
    return sqlstate in RETRYABLE_SQLSTATES


def write_transaction(service):
    """Run ``service`` as one write transaction: begin, call, commit; retry 40001/40P01.

    A read transaction the request already holds (the user loader's, say) is ended first, so on
    SQLite the write lock is taken at BEGIN rather than half-way through.
    """

    @functools.wraps(service)
    def run(*args, **kwargs):
        session = current_app.extensions["sqlalchemy"].session()
        attempts = current_app.config.get("DB_WRITE_ATTEMPTS", 3)
        for attempt in range(1, attempts + 1):
            if session.in_transaction():
                session.commit()  # nothing is pending outside services: this ends a read
            session.connection(execution_options={WRITE_OPTION: True})
            try:
                result = service(*args, **kwargs)
                session.commit()
                return result
            except DBAPIError as error:
                session.rollback()
                if attempt < attempts and is_retryable(error):
                    current_app.logger.warning("retrying %s after %s", service.__name__,
                                               error.orig.sqlstate)
                    continue
                raise
            except BaseException:
                session.rollback()
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    return run


def within(service):
    """The body of a ``write_transaction`` service, to run inside another service's
    transaction: one commit for the whole use case, and a failure anywhere writes nothing."""
    return service.__wrapped__


def make_immutable(model, error_class, message):
    """Refuse every change or delete of ``model`` rows made through the ORM.

    Both paths are closed: the unit of work (a changed or deleted object at flush) and bulk
    ``update(model)`` / ``delete(model)`` statements, which never reach a flush.
    """

    @event.listens_for(Session, "before_flush")
    def refuse_flushed_changes(session, flush_context, instances):
        for obj in list(session.dirty) + list(session.deleted):
            if isinstance(obj, model) and (obj in session.deleted or session.is_modified(obj)):
                raise error_class(message)

    @event.listens_for(Session, "do_orm_execute")
    def refuse_bulk_changes(state):
        if (state.is_update or state.is_delete) and any(
            mapper.class_ is model for mapper in state.all_mappers
        ):
            raise error_class(message)


def _owned_row(model, object_id, owner_column, owner_id):
    """The row of ``model`` with ``object_id`` whose ``owner_column`` is ``owner_id``."""
    session = current_app.extensions["sqlalchemy"].session
    row = session.scalar(sa.select(model).where(model.id == object_id,
                                                getattr(model, owner_column) == owner_id))
    if row is None:
        raise NotFound(model.__name__)
    return row


def get_in_clinic(model, object_id, clinic_id):
    """The row of ``model`` with ``object_id`` if it belongs to ``clinic_id``.

    :raises NotFound: for a missing id and for another clinic's row alike.
    """
    return _owned_row(model, object_id, "clinic_id", clinic_id)


def child_of_patient(model, object_id, patient_id):
    """The row of ``model`` with ``object_id`` if it belongs to ``patient_id``.

    The caller has already checked that the patient is in scope; this makes sure that an id
    from another patient's record, swapped into a URL or a form, is a 404.

    :raises NotFound: for a missing id and for another patient's row alike.
    """
    return _owned_row(model, object_id, "patient_id", patient_id)
