"""The Alembic revisions build the schema the models describe, and undo it, on both databases."""

from datetime import UTC

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import make_config
from flask_migrate import downgrade, upgrade

from clinic.app import create_app
from clinic.config import MIGRATIONS_DIR
from clinic.extensions import db


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A brand-new empty database of the same kind as the suite's."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    url = sa.engine.make_url(database_url).set(drivername="postgresql+psycopg")
    name = f"{url.database}_migrations"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def empty_app(empty_database_url):
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        yield app
        db.engine.dispose()


def table_names():
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def schema_differences(metadata=None):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata if metadata is not None else db.metadata)


def test_there_is_one_head():
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    assert len(script.get_heads()) == 1


def test_upgrade_builds_exactly_the_models_schema(empty_app):
    assert table_names() == set()
    upgrade()
    assert table_names() == set(db.metadata.tables)
    assert schema_differences() == []


def test_downgrade_to_base_removes_everything_and_upgrade_works_again(empty_app):
    upgrade()
    downgrade(revision="base")
    assert table_names() == set()
    upgrade()
    assert schema_differences() == []


def test_every_revision_steps_down_and_up(empty_app):
    """Each revision's downgrade undoes exactly its upgrade (up-down consistency)."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    for revision in revisions:
        upgrade(revision=revision)
        after_up = table_names()
        downgrade(revision="-1")
        upgrade(revision=revision)
        assert table_names() == after_up


def test_drift_between_models_and_migrations_is_detected(empty_app):
    """The drift check is not vacuous: a column the revisions lack shows up as a difference."""
    upgrade()
    drifted = sa.MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.sorted_tables:
        table.to_metadata(drifted)
    drifted.tables["patient"].append_column(sa.Column("shoe_size", sa.Integer))
    differences = schema_differences(drifted)
    assert [d[0] for d in differences] == ["add_column"]
    assert differences[0][3].name == "shoe_size"


def test_0002_backfills_the_episode_start_of_existing_patients(empty_app):
    """Patients created before outcome measures existed start their episode at creation."""
    upgrade(revision="0001")
    created = "2025-03-01 10:00:00+00:00"
    with db.engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO clinic (id, name, timezone, crisis_text, created_at) "
            "VALUES (1, 'Old clinic', 'Europe/London', 'x', :at)"), {"at": created})
        connection.execute(sa.text(
            "INSERT INTO patient (id, clinic_id, display_name, reference, status, created_at) "
            "VALUES (1, 1, 'Before', 'OLD-1', 'active', :at)"), {"at": created})
        # Rows that refer to patient and clinic: SQLite's batch mode must copy those tables
        # without breaking the references.
        connection.execute(sa.text(
            "INSERT INTO \"user\" (id, clinic_id, email, name, role, password_hash, active, "
            "failed_logins, created_at) VALUES (1, 1, 'a@old.test', 'A', 'therapist', 'x', "
            ":yes, 0, :at)"), {"at": created, "yes": True})
        connection.execute(sa.text(
            "INSERT INTO care_team (id, patient_id, user_id, is_primary, added_at) "
            "VALUES (1, 1, 1, :yes, :at)"), {"at": created, "yes": True})
    upgrade(revision="0002")
    with db.engine.connect() as connection:
        episode, created_at = connection.execute(
            sa.text("SELECT episode_started_at, created_at FROM patient WHERE id = 1")).one()
        expiry = connection.execute(sa.text("SELECT link_expiry_days FROM clinic")).scalar()
    assert episode == created_at
    assert expiry == 4
    downgrade(revision="0001")
    with db.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT reference FROM patient")).scalar() == "OLD-1"
        assert connection.execute(sa.text("SELECT count(*) FROM care_team")).scalar() == 1


def test_0010_gives_existing_patients_and_responses_their_own_fhir_ids(empty_app):
    """Rows made before 0010 get a UUID each (unique, never derived from the local id); the
    downgrade takes the columns away and keeps the rows."""
    upgrade(revision="0008")
    created = "2025-03-01 10:00:00+00:00"
    with db.engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO clinic (id, name, timezone, crisis_text, created_at) "
            "VALUES (1, 'Old clinic', 'Europe/London', 'x', :at)"), {"at": created})
        for patient_id in (1, 2):
            connection.execute(sa.text(
                "INSERT INTO patient (id, clinic_id, display_name, reference, status, "
                "created_at, episode_started_at) VALUES (:id, 1, 'Before', :ref, 'active', :at, "
                ":at)"), {"id": patient_id, "ref": f"OLD-{patient_id}", "at": created})
            connection.execute(sa.text(
                "INSERT INTO response (id, patient_id, instrument_code, instrument_version, "
                "answers, extra_answers, total, flags, prorated, source, completed_at, "
                "created_at) VALUES (:id, :id, 'PHQ-9', '1', '[0,0,0,0,0,0,0,0,0]', '{}', 0, "
                "'[]', :no, 'clinician', :at, :at)"), {"id": patient_id, "at": created,
                                                       "no": False})
    upgrade(revision="0010")
    with db.engine.connect() as connection:
        patients = connection.execute(sa.text("SELECT fhir_id FROM patient")).scalars().all()
        responses = connection.execute(sa.text("SELECT fhir_id FROM response")).scalars().all()
    ids = [str(value) for value in patients + responses]
    assert len(set(ids)) == 4 and all(len(value.replace("-", "")) == 32 for value in ids)
    downgrade(revision="0008")
    with db.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM response")).scalar() == 2
        columns = {c["name"] for c in sa.inspect(connection).get_columns("patient")}
    assert "fhir_id" not in columns
def test_0009_carries_episodes_over_on_the_clinic_calendar_and_back(empty_app):
    """Each patient's episode start becomes a date in the clinic's zone (New York here), ended
    on the discharge date; a reactivated patient keeps an earlier episode from the day they
    were added. Acknowledged alerts become "acknowledged". The downgrade puts the start back."""
    upgrade(revision="0001")
    with db.engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO clinic (id, name, timezone, crisis_text, created_at) "
            "VALUES (1, 'Old clinic', 'America/New_York', 'x', :at)"),
            {"at": "2026-01-01 00:00:00+00:00"})
        for pid, created in ((1, "2026-01-10 15:00:00+00:00"), (2, "2026-01-05 03:00:00+00:00")):
            connection.execute(sa.text(
                "INSERT INTO patient (id, clinic_id, display_name, reference, status, "
                "created_at) VALUES (:id, 1, 'P', :ref, 'active', :at)"),
                {"id": pid, "ref": f"OLD-{pid}", "at": created})
    upgrade(revision="0008")
    with db.engine.begin() as connection:
        # Patient 2 was reactivated on 1 Feb 02:00 UTC (31 Jan in New York), then discharged.
        connection.execute(sa.text(
            "UPDATE patient SET episode_started_at = :start, status = 'discharged', "
            "discharged_at = :end WHERE id = 2"),
            {"start": "2026-02-01 02:00:00+00:00", "end": "2026-03-01 12:00:00+00:00"})
        for aid, acknowledged in ((1, None), (2, "2026-03-02 09:00:00+00:00")):
            connection.execute(sa.text(
                "INSERT INTO alert (id, clinic_id, patient_id, kind, detail, created_at, "
                "acknowledged_at) VALUES (:id, 1, 1, 'missed_questionnaires', '{}', :at, :ack)"),
                {"id": aid, "at": "2026-03-01 09:00:00+00:00", "ack": acknowledged})
    upgrade(revision="0009")
    with db.engine.connect() as connection:
        episodes = connection.execute(sa.text(
            "SELECT patient_id, starts_on, ends_on, reason FROM episode "
            "ORDER BY patient_id, starts_on")).all()
        resolutions = connection.execute(sa.text(
            "SELECT id, resolution FROM alert ORDER BY id")).all()
    as_text = [(p, str(s), e and str(e), r is not None) for p, s, e, r in episodes]
    assert as_text == [(1, "2026-01-10", None, False),
                       (2, "2026-01-04", "2026-01-30", True),
                       (2, "2026-01-31", "2026-03-01", False)]
    assert [tuple(r) for r in resolutions] == [(1, None), (2, "acknowledged")]
    downgrade(revision="0008")
    with db.engine.connect() as connection:
        start = connection.execute(sa.text(
            "SELECT episode_started_at FROM patient WHERE id = 2")).scalar()
    if not isinstance(start, str):  # PostgreSQL: an aware datetime in the session's zone
        start = str(start.astimezone(UTC))
    assert start.startswith("2026-01-31 05:00:00")


def test_0016_makes_references_unique_without_case_or_spaces_and_keeps_duplicates(empty_app):
    """Existing references are stripped; a later patient whose reference repeats an earlier one
    up to case is renamed "(duplicate <id>)", never merged; names get their search key. The
    new constraint then refuses "ref-7" beside "REF-7"; the downgrade keeps every row."""
    upgrade(revision="0015")
    created = "2025-03-01 10:00:00+00:00"
    rows = [(1, 1, "Zoë Ång", "REF-7"), (2, 1, "Other", " ref-7 "), (3, 2, "Elsewhere", "ref-7"),
            (4, 1, "Long", "L" * 40), (5, 1, "Longer", "l" * 40)]
    with db.engine.begin() as connection:
        for clinic_id in (1, 2):
            connection.execute(sa.text(
                "INSERT INTO clinic (id, name, timezone, crisis_text, created_at) "
                "VALUES (:id, :name, 'Europe/London', 'x', :at)"),
                {"id": clinic_id, "name": f"Clinic {clinic_id}", "at": created})
        for patient_id, clinic_id, name, reference in rows:
            connection.execute(sa.text(
                "INSERT INTO patient (id, clinic_id, display_name, reference, status, "
                "created_at, fhir_id) VALUES (:id, :clinic, :name, :ref, 'active', :at, :fhir)"),
                {"id": patient_id, "clinic": clinic_id, "name": name, "ref": reference,
                 "at": created, "fhir": f"00000000-0000-0000-0000-00000000000{patient_id}"})
    upgrade(revision="0016")
    with db.engine.connect() as connection:
        found = connection.execute(sa.text(
            "SELECT id, reference, reference_key, name_key FROM patient ORDER BY id")).all()
    assert [tuple(row) for row in found] == [
        (1, "REF-7", "ref-7", "zoe ang"),
        (2, "ref-7 (duplicate 2)", "ref-7 (duplicate 2)", "other"),
        (3, "ref-7", "ref-7", "elsewhere"),  # another clinic: no clash
        (4, "L" * 40, "l" * 40, "long"),
        (5, "l" * 26 + " (duplicate 5)", "l" * 26 + " (duplicate 5)", "longer")]
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO patient (clinic_id, display_name, reference, reference_key, name_key, "
            "status, created_at, fhir_id) VALUES (1, 'x', 'Ref-7', 'ref-7', 'x', 'active', :at, "
            "'00000000-0000-0000-0000-000000000009')"),
            {"at": created})
    downgrade(revision="0015")
    with db.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM patient")).scalar() == 5
        columns = {c["name"] for c in sa.inspect(connection).get_columns("patient")}
    assert not {"reference_key", "name_key"} & columns


def test_0017_adds_the_outbox_with_its_unique_key_and_takes_it_away_again(empty_app):
    upgrade(revision="0016")
    assert {"outbox_message", "delivery_attempt"} & table_names() == set()
    upgrade(revision="0017")
    inspector = sa.inspect(db.engine)
    assert {"outbox_message", "delivery_attempt"} <= table_names()
    assert [c["column_names"] for c in inspector.get_unique_constraints("outbox_message")] == [
        ["idempotency_key"]]
    assert {i["name"]: i["column_names"] for i in inspector.get_indexes("outbox_message")}[
        "ix_outbox_message_state_next_attempt_at"] == ["state", "next_attempt_at"]
    with db.engine.begin() as connection:  # the state check holds on both databases
        connection.execute(sa.text(
            "INSERT INTO clinic (name, timezone, link_expiry_days, reminder_after_days, "
            "crisis_text, mfa_required_for_clinicians, created_at) "
            "VALUES ('C', 'UTC', 4, 2, 'Call.', false, CURRENT_TIMESTAMP)"))
    row = ("INSERT INTO outbox_message (clinic_id, kind, channel, recipient, subject, template,"
           " context, idempotency_key, state, attempts, next_attempt_at, created_at) VALUES "
           "(1, 'alert_mail', 'email', 'a@b.test', 'S', 'alert', '{}', :key, :state, 0, "
           "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
    with db.engine.begin() as connection:
        connection.execute(sa.text(row), {"key": "alert:1:user:1", "state": "pending"})
    for key, state in (("alert:1:user:1", "pending"), ("alert:1:user:2", "lost")):
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            connection.execute(sa.text(row), {"key": key, "state": state})
    downgrade(revision="0016")
    assert {"outbox_message", "delivery_attempt"} & table_names() == set()


def test_0018_scheduler_runs_accepts_one_row_per_task_and_slot(empty_app):
    """The scheduler's exactly-once rests on this UNIQUE key; the downgrade drops the table."""
    upgrade(revision="0018")
    insert = sa.text(
        "INSERT INTO scheduler_runs (task, slot, worker, started_at, lease_until, outcome, "
        "attempts) VALUES (:task, :slot, 'w', :slot, :slot, 'running', 1)")
    noon, one = "2026-12-03 12:00:00+00:00", "2026-12-03 13:00:00+00:00"
    with db.engine.begin() as connection:
        connection.execute(insert, {"task": "measures.send-due", "slot": noon})
        connection.execute(insert, {"task": "measures.send-due", "slot": one})
        connection.execute(insert, {"task": "programs.check-sessions", "slot": noon})
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
        connection.execute(insert, {"task": "measures.send-due", "slot": noon})
    downgrade(revision="0017")
    assert "scheduler_runs" not in table_names()
    upgrade(revision="0018")
    assert "scheduler_runs" in table_names()


def test_0019_adds_report_batches_one_item_per_patient_and_drops_them(empty_app):
    upgrade(revision="0018")
    assert not {"report_batch", "report_batch_item"} & table_names()
    upgrade(revision="0019")
    at = "2026-12-03 18:00:00+00:00"
    with db.engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO clinic (id, name, timezone, crisis_text, created_at) "
            "VALUES (1, 'Clinic', 'Europe/London', 'x', :at)"), {"at": at})
        connection.execute(sa.text(
            "INSERT INTO patient (id, clinic_id, display_name, reference, reference_key, "
            "name_key, status, created_at, fhir_id) VALUES (1, 1, 'P', 'R-1', 'r-1', 'p', "
            "'active', :at, '00000000-0000-0000-0000-000000000001')"), {"at": at})
        connection.execute(sa.text(
            "INSERT INTO report_batch (id, clinic_id, created_at, state, total, done, failed) "
            "VALUES (1, 1, :at, 'running', 1, 0, 0)"), {"at": at})
        connection.execute(sa.text(
            "INSERT INTO report_batch_item (batch_id, patient_id, state, attempts) "
            "VALUES (1, 1, 'pending', 0)"))
    for bad in ("INSERT INTO report_batch_item (batch_id, patient_id, state, attempts) "
                "VALUES (1, 1, 'pending', 0)",  # a patient twice in one batch
                "UPDATE report_batch_item SET state = 'lost'"):
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            connection.execute(sa.text(bad))
    downgrade(revision="0018")
    assert not {"report_batch", "report_batch_item"} & table_names()
    with db.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM patient")).scalar() == 1
