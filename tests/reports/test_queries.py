"""Gathering a report's data takes the same number of queries whatever the history's size."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from factories import ResponseFactory, SessionFactory

from clinic.extensions import db
from clinic.programs import services as programs
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
        ResponseFactory(actor=record.therapist, patient=patient, answers=[1] * 8 + [0],
                        completed_at=now - timedelta(days=days))
    today = programs.clinic_today(patient.id)
    for n in range(5):  # days the record has no entry on (one patient entry a day)
        SessionFactory(assignment=record.assignment_id, performed_on=today - timedelta(days=n),
                       rpe=5, submission_key=f"more-{n}",
                       sets={1: [{"reps": 9, "load_kg": None, "seconds": None}]})
    db.session.commit()
    assert len(_count_queries(patient)) == len(before)
    # care team, responses, alerts, assignments, their events (with authors), sessions, their
    # sets (with exercises): see assemble.gather
    assert len(before) == 7, before
