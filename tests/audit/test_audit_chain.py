"""The audit trail you can prove: a keyed (HMAC-SHA256, AUDIT_KEY) chain that `flask audit verify`
recomputes (with signed checkpoints of its head), triggers and PostgreSQL grants that refuse
changes, and a chain that stays whole under concurrent writers.

To tamper, a test switches the triggers off for one transaction, as someone with the database
owner's rights could: on PostgreSQL ``session_replication_role = replica`` (transaction-local), on
SQLite dropping the triggers and re-creating them from their stored SQL before the commit.
"""

import re
import secrets
import threading
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from conftest import make_config
from factories import UserFactory
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from test_migrations import empty_app, empty_database_url  # noqa: F401 (fixtures)

from clinic.app import create_app
from clinic.audit import chain
from clinic.audit.models import AuditEvent
from clinic.audit.services import record, record_read, verify_chain
from clinic.auth.models import User
from clinic.extensions import db

audit = AuditEvent.__table__

# The README's statements (deployment section), with the role and database names as parameters.
APP_ROLE_GRANTS = """
GRANT CONNECT ON DATABASE {database} TO {role};
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};
REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM {role};
"""


def is_postgresql():
    return db.engine.dialect.name == "postgresql"


def write_events(count, **detail):
    """``count`` events written as the app writes them, a few per transaction."""
    user = UserFactory()
    for i in range(count):
        record("system_check", actor=user, number=i, **detail)
        if i % 3 == 2:
            db.session.commit()
    db.session.commit()
    return [row.id for row in db.session.execute(sa.select(audit.c.id).order_by(audit.c.id))]


@contextmanager
def tampering():
    """One transaction in which the append-only triggers do not fire."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
            yield connection
            return
        triggers = connection.execute(sa.text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'audit_event'")).all()
        assert len(triggers) == 2
        for name, _ in triggers:
            connection.execute(sa.text(f'DROP TRIGGER "{name}"'))
        yield connection
        for _, sql in triggers:
            connection.exec_driver_sql(sql)


def run_verify(runner):
    db.session.commit()
    return runner.invoke(args=["audit", "verify"])


# The chain -----------------------------------------------------------------------------------


def test_every_event_is_chained_to_the_one_before(app, runner):
    ids = write_events(10)
    rows = db.session.execute(sa.select(audit).order_by(audit.c.id)).mappings().all()
    assert [r["seq"] for r in rows] == list(range(1, 11))
    previous = chain.GENESIS
    for row in rows:
        assert row["hash"] == chain.link(app.config["AUDIT_KEY"], previous, row)
        previous = row["hash"]
    result = run_verify(runner)
    assert result.exit_code == 0, result.output
    assert f"intact: 10 rows, head seq 10 hash {rows[-1]['hash']}" in result.output
    assert len(ids) == 10


def test_the_canonical_row_is_sorted_json_with_utc_times(app):
    record("patient_view", actor_kind="system", patient_id=None, b=2, a=[1, "x"])
    db.session.commit()
    row = db.session.execute(sa.select(audit)).mappings().one()
    text = chain.canonical(row).decode()
    assert text.startswith('{"action":"patient_view","actor_id":null,"actor_kind":"system",')
    assert '"detail":{"a":[1,"x"],"b":2}' in text
    assert re.search(r'"at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00"', text)
    assert row["hash"] == chain.link(app.config["AUDIT_KEY"], chain.GENESIS, row)


def test_verify_reports_an_altered_row(app, runner):
    ids = write_events(8)
    with tampering() as connection:
        connection.execute(audit.update().where(audit.c.id == ids[4]).values(outcome="failure"))
    result = run_verify(runner)
    assert result.exit_code == 1
    assert f"BROKEN at row {ids[4]} (altered)" in result.output
    assert "last good row: seq 4 " in result.output
    # An altered row with its own hash recomputed still breaks the link of the next one.
    with tampering() as connection:
        row = connection.execute(sa.select(audit).where(audit.c.id == ids[4])).mappings().one()
        previous = connection.execute(
            sa.select(audit.c.hash).where(audit.c.id == ids[3])).scalar()
        connection.execute(audit.update().where(audit.c.id == ids[4]).values(
            hash=chain.link(app.config["AUDIT_KEY"], previous, row)))
    result = run_verify(runner)
    assert result.exit_code == 1 and f"BROKEN at row {ids[5]} (altered)" in result.output


def test_verify_reports_a_deleted_row(app, runner):
    ids = write_events(8)
    with tampering() as connection:
        connection.execute(audit.delete().where(audit.c.id.in_([ids[2], ids[3]])))
    result = run_verify(runner)
    assert result.exit_code == 1
    assert f"BROKEN at row {ids[4]} (deleted)" in result.output
    assert "seq 3-4 missing" in result.output


def test_verify_reports_two_rows_swapped(app, runner):
    ids = write_events(8)
    with tampering() as connection:  # swap the places of rows 3 and 4 in the chain
        connection.execute(audit.update().where(audit.c.id == ids[2]).values(seq=-1))
        connection.execute(audit.update().where(audit.c.id == ids[3]).values(seq=3))
        connection.execute(audit.update().where(audit.c.id == ids[2]).values(seq=4))
    result = run_verify(runner)
    assert result.exit_code == 1
    assert f"BROKEN at row {ids[2]} (reordered)" in result.output
    assert f"seq 3 is row {ids[3]}" in result.output


def test_an_empty_trail_verifies(app, runner):
    result = run_verify(runner)
    assert result.exit_code == 0 and "intact: 0 rows" in result.output


@pytest.mark.slow
def test_ten_thousand_rows_verify_quickly(app, runner):
    """A chain of 10,000 rows, written in batches, verifies in well under 10 s."""
    import time

    for batch in range(20):
        for i in range(500):
            record("system_check", actor_kind="system", batch=batch, number=i)
        db.session.commit()
    started = time.perf_counter()
    verdict = verify_chain()
    elapsed = time.perf_counter() - started
    assert verdict.intact and verdict.rows == 10_000
    assert elapsed < 10, f"verify took {elapsed:.1f} s"


def test_concurrent_writers_keep_one_unbroken_chain(app):
    """Threads, each with its own connection, append at once: no fork, no gap, no error."""
    user_id = UserFactory().id
    errors = []

    def writer():
        try:
            with app.app_context():
                user = db.session.get(User, user_id)
                for i in range(15):
                    record_read("system_check", actor=user, obj=None, number=i,
                                thread=threading.get_ident() % 1000)
                db.session.remove()
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.commit()
    seqs = db.session.scalars(sa.select(audit.c.seq).order_by(audit.c.id)).all()
    assert seqs == list(range(1, 91))
    assert verify_chain().intact


# Append-only in the database -----------------------------------------------------------------


def test_the_database_refuses_to_change_audit_rows(app, migrated_schema):
    """Triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) for anyone, the owner
    included; on PostgreSQL the app's role, granted as the README says, may only INSERT and
    SELECT the table."""
    record("system_check", actor_kind="system")
    db.session.commit()
    statements = ["UPDATE audit_event SET action = 'tampered'", "DELETE FROM audit_event"]
    if is_postgresql():
        statements.append("TRUNCATE audit_event")
    for statement in statements:
        with db.engine.connect() as connection, pytest.raises(DBAPIError,
                                                              match="append-only"):
            connection.execute(sa.text(statement))
    assert db.session.scalar(sa.select(audit.c.action)) == "system_check"
    if is_postgresql():
        _the_app_role_may_only_insert_and_select(migrated_schema)
    assert verify_chain().intact


def _the_app_role_may_only_insert_and_select(database_url):
    url = sa.engine.make_url(database_url).set(drivername="postgresql+psycopg")
    role = f"liftclinic_app_test_{secrets.token_hex(4)}"
    with db.engine.begin() as connection:
        connection.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
        for statement in filter(None, (s.strip() for s in APP_ROLE_GRANTS.split(";"))):
            connection.execute(sa.text(statement.format(database=f'"{url.database}"',
                                                        role=f'"{role}"')))
    engine = sa.create_engine(url.set(username=role, password=None))
    try:
        # The app's own path: the chain head is read, the advisory lock taken, the row added.
        with Session(engine) as session:
            session.add(AuditEvent(actor_kind="system", action="written_by_app_role"))
            session.commit()
            actions = session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id))
            assert list(actions) == ["system_check", "written_by_app_role"]
        for statement in ("UPDATE audit_event SET action = 'tampered'",
                          "DELETE FROM audit_event", "TRUNCATE audit_event"):
            with engine.connect() as connection, pytest.raises(DBAPIError) as refused:
                connection.execute(sa.text(statement))
            assert refused.value.orig.sqlstate == "42501", statement  # insufficient_privilege
        # Other tables stay writable for the app.
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE clinic SET name = name"))
    finally:
        engine.dispose()
        with db.engine.begin() as connection:
            connection.execute(sa.text(f'DROP OWNED BY "{role}"'))
            connection.execute(sa.text(f'DROP ROLE "{role}"'))


def test_a_second_app_sees_the_same_chain(migrated_schema, app):
    """The chain is in the database, not in a process: another app instance continues it."""
    write_events(3)
    other = create_app(make_config(migrated_schema))
    with other.app_context():
        record("system_check", actor_kind="system")
        db.session.commit()
        assert verify_chain().rows == 4
        db.session.remove()  # give the connection back before the pool goes
        db.engine.dispose()
    assert verify_chain().intact


@pytest.mark.usefixtures("empty_app")
def test_migration_0005_chains_the_rows_written_before_it():
    """Rows written before the chain existed are numbered and hashed in id order."""

    from flask_migrate import downgrade, upgrade

    upgrade(revision="0004")
    write_rows_before_the_chain(lambda minute: {"n": minute, "b": [1, 2]})
    upgrade(revision="0005")
    assert sha256_chain_is_whole() == 3  # 0005's unkeyed chain; 0007 keys it
    db.session.remove()
    downgrade(revision="0004")
    with db.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM audit_event")).scalar() == 3


def sha256_chain_is_whole():
    """The number of rows when the trail is chained with 0005's unkeyed SHA-256 (else fails)."""
    rows = db.session.execute(sa.select(audit).order_by(audit.c.seq)).mappings().all()
    previous = chain.GENESIS
    for row in rows:
        assert row["hash"] == chain.sha256_link(previous, row), row["id"]
        previous = row["hash"]
    return len(rows)


# The keyed chain and its checkpoints (issue 14, item 8) --------------------------------------


def rechain_from(connection, first_id, link_of):
    """A database-level attacker's re-chain: every row from ``first_id`` on gets a fresh hash."""
    rows = connection.execute(sa.select(audit).order_by(audit.c.seq)).mappings().all()
    previous = chain.GENESIS
    for row in rows:
        if row["id"] >= first_id:
            connection.execute(audit.update().where(audit.c.id == row["id"]).values(
                hash=link_of(previous, row)))
            previous = link_of(previous, row)
        else:
            previous = row["hash"]


@pytest.mark.parametrize("scheme", ["sha256", "another key"])
def test_a_rewritten_row_re_chained_without_the_key_fails(app, runner, scheme):
    """Rewrite a row and re-chain everything after it, as the unkeyed chain allowed: the
    recomputed links do not match, whether plain SHA-256 or an HMAC under a guessed key."""
    link_of = (chain.sha256_link if scheme == "sha256"
               else lambda previous, row: chain.link("x" * 64, previous, row))
    ids = write_events(8)
    with tampering() as connection:
        connection.execute(audit.update().where(audit.c.id == ids[4]).values(outcome="failure"))
    with tampering() as connection:
        rechain_from(connection, ids[4], link_of)
    result = run_verify(runner)
    assert result.exit_code == 1, result.output
    assert f"BROKEN at row {ids[4]} (altered)" in result.output


def test_the_chain_key_comes_from_the_config_not_the_database(migrated_schema, app):
    """Another app with another AUDIT_KEY cannot verify (or extend unseen) this app's chain."""
    write_events(3)
    other = create_app(make_config(migrated_schema, AUDIT_KEY="k" * 40))
    with other.app_context():
        verdict = verify_chain()
        assert not verdict.intact and verdict.problem.seq == 1
        db.session.remove()
        db.engine.dispose()
    assert verify_chain().intact


def checkpoint(runner, path):
    db.session.commit()
    result = runner.invoke(args=["audit", "checkpoint", "--out", str(path)])
    assert result.exit_code == 0, result.output
    return result


def verify_since(runner, path):
    db.session.commit()
    return runner.invoke(args=["audit", "verify", "--since-checkpoint", str(path)])


def test_a_checkpoint_is_a_signed_json_line_appended_to_the_file(app, runner, tmp_path):
    import json

    path = tmp_path / "checkpoints.jsonl"
    write_events(4)
    result = checkpoint(runner, path)
    assert f"checkpoint seq 4 written to {path}" in result.output
    write_events(2)  # one more event per factory user: 4 + 2 rows, the user writes none
    checkpoint(runner, path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["seq"] for line in lines] == [4, 6]
    head = db.session.execute(sa.select(audit.c.seq, audit.c.hash).where(
        audit.c.seq == 6)).one()
    assert lines[1]["hash"] == head.hash
    assert set(lines[1]) == {"seq", "hash", "at", "signature"}
    assert chain.checkpoint_signature_ok(app.config["AUDIT_KEY"], lines[1])
    assert not chain.checkpoint_signature_ok("x" * 64, lines[1])
    # Later rows are fine: the checkpoints are still reached.
    write_events(3)
    result = verify_since(runner, path)
    assert result.exit_code == 0, result.output
    assert "intact: 9 rows" in result.output and "matches the checkpoints" in result.output


def test_deleting_the_last_rows_is_caught_only_with_a_checkpoint(app, runner, tmp_path):
    path = tmp_path / "checkpoints.jsonl"
    ids = write_events(8)
    checkpoint(runner, path)
    with tampering() as connection:
        connection.execute(audit.delete().where(audit.c.id.in_(ids[-2:])))
    result = run_verify(runner)
    assert result.exit_code == 0 and "intact: 6 rows, head seq 6" in result.output
    result = verify_since(runner, path)
    assert result.exit_code == 1, result.output
    assert "rows after seq 6 are missing, the chain's end was cut off" in result.output
    assert "checkpoint line 1 (seq 8" in result.output


def test_a_checkpoint_with_a_wrong_signature_or_another_row_fails(app, runner, tmp_path):
    import json

    path = tmp_path / "checkpoints.jsonl"
    write_events(5)
    checkpoint(runner, path)
    good = json.loads(path.read_text())
    # The head moved back by someone who rewrote the file without the key.
    forged = dict(good, seq=3)
    path.write_text(json.dumps(forged) + "\n")
    result = verify_since(runner, path)
    assert result.exit_code == 1
    assert "checkpoint line 1 (seq 3): its signature is wrong" in result.output
    # Validly signed, but the row at its seq holds another hash (the chain was rebuilt).
    other = chain.checkpoint(app.config["AUDIT_KEY"], 5, "f" * 64, good["at"])
    path.write_text(json.dumps(good) + "\n" + json.dumps(other) + "\n")
    result = verify_since(runner, path)
    assert result.exit_code == 1
    assert "checkpoint line 2 (seq 5): the row at seq 5 differs" in result.output
    assert "line 1" not in result.output
    path.write_text("\n")
    result = verify_since(runner, path)
    assert result.exit_code == 1 and "holds no checkpoint" in result.output


def test_no_checkpoint_of_a_broken_chain(app, runner, tmp_path):
    path = tmp_path / "checkpoints.jsonl"
    ids = write_events(4)
    with tampering() as connection:
        connection.execute(audit.update().where(audit.c.id == ids[1]).values(outcome="failure"))
    db.session.commit()
    result = runner.invoke(args=["audit", "checkpoint", "--out", str(path)])
    assert result.exit_code == 1 and "BROKEN" in result.output
    assert not path.exists()


@pytest.mark.usefixtures("empty_app")
def test_migration_0007_re_chains_existing_rows_under_the_key_and_back():
    """0005 chained old rows with SHA-256; 0007 re-chains them with the app's AUDIT_KEY (the
    triggers stay in place afterwards), and its downgrade restores the unkeyed chain."""

    from flask_migrate import downgrade, upgrade

    upgrade(revision="0004")
    write_rows_before_the_chain(lambda minute: {"n": minute})
    upgrade(revision="0006")
    assert sha256_chain_is_whole() == 3
    assert not verify_chain().intact
    db.session.remove()
    upgrade(revision="0007")
    verdict = verify_chain()
    assert verdict.intact and verdict.rows == 3 and verdict.head_seq == 3
    record("system_check", actor_kind="system")  # the app goes on from the keyed head
    db.session.commit()
    assert verify_chain().intact and verify_chain().rows == 4
    with db.engine.connect() as connection, pytest.raises(DBAPIError, match="append-only"):
        connection.execute(sa.text("UPDATE audit_event SET action = 'tampered'"))
    db.session.remove()
    downgrade(revision="0006")
    assert sha256_chain_is_whole() == 4
    with db.engine.connect() as connection, pytest.raises(DBAPIError, match="append-only"):
        connection.execute(sa.text("DELETE FROM audit_event"))
    db.session.remove()


def write_rows_before_the_chain(detail_of):
    """Three audit rows as revision 0004 wrote them (no seq, no hash), one a minute."""
    from datetime import UTC, datetime

    old = sa.table("audit_event", sa.column("at", sa.DateTime(timezone=True)),
                   sa.column("actor_kind"), sa.column("action"), sa.column("outcome"),
                   sa.column("detail", sa.JSON))
    with db.engine.begin() as connection:
        for minute, action in enumerate(("login", "patient_view", "logout")):
            connection.execute(old.insert().values(
                at=datetime(2025, 5, 1, 9, minute, 30, 123456, tzinfo=UTC),
                actor_kind="system", action=action, outcome="success",
                detail=detail_of(minute)))
