"""Migration 0019: the report batch tables come and go, on both databases (in the style of
tests/test_migrations.py, whose fixtures it uses)."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from test_migrations import empty_app, empty_database_url, table_names  # noqa: F401

from clinic.extensions import db


def test_0019_adds_report_batches_one_item_per_patient_and_drops_them(empty_app):  # noqa: F811
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
