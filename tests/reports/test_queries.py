"""Gathering a report's data takes the same number of queries whatever the history's size."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from clinic.extensions import db
from clinic.measures import services as measures
from clinic.programs import services as programs
from clinic.programs.entry import SessionEntry
from clinic.reports import assemble


def _count_queries(patient):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("BEGIN"):  # SQLite's own BEGIN (clinic.database)
            statements.append(statement)

    tz = ZoneInfo(patient.clinic.timezone)
    period = assemble.default_period(patient, programs.clinic_today(patient.id), tz)
    db.session.expire_all()
    db.session.refresh(patient)  # the caller has the patient loaded (scope check)
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assemble.gather(patient, period, tz)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return statements


def test_the_number_of_queries_does_not_grow_with_the_history(app, record):
    patient = record.patient
    before = _count_queries(patient)
    now = datetime.now(UTC)
    for days in range(2, 12):
        measures.record_clinician_response(record.therapist, patient.id, "PHQ-9",
                                           [1] * 8 + [0], now - timedelta(days=days))
    today = programs.clinic_today(patient.id)
    for n in range(6):
        programs.log_session(record.assignment_id, SessionEntry(
            performed_on=today - timedelta(days=n), status="done", low_energy=False,
            skip_reason=None, duration_minutes=30, rpe=5, mood_before=5, mood_after=6, pain=0,
            pain_where=None, note=None, submission_key=f"more-{n}",
            sets={1: [{"reps": 9, "load_kg": None, "seconds": None}]}), source="patient")
    db.session.commit()
    assert len(_count_queries(patient)) == len(before)
    # care team, responses, alerts, assignments, their events (with authors), sessions, their
    # sets (with exercises): see assemble.gather
    assert len(before) == 7, before
