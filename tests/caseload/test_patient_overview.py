"""The patient page reads one ``patient_overview``: what it holds, who may open it, and a page
whose number of queries does not grow with the patient's history."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from factories import ClinicFactory, PatientFactory, UserFactory

from clinic.alerts.services import acknowledge_alert, alerts_of
from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.caseload.services import patient_overview
from clinic.database import utcnow
from clinic.errors import NotFound
from clinic.extensions import db
from clinic.measures import services as measures


@pytest.fixture
def clinic(app):
    return ClinicFactory()


@pytest.fixture
def therapist(clinic):
    return UserFactory(clinic=clinic, role=Role.THERAPIST, email="theo@clinic.test")


@pytest.fixture
def colleague(clinic):
    return UserFactory(clinic=clinic, role=Role.THERAPIST, email="cara@clinic.test")


@pytest.fixture
def patient(clinic, therapist, colleague):
    return PatientFactory(clinic=clinic, primary=therapist, team=[colleague],
                          episode_start=utcnow() - timedelta(days=90))


def paper_forms(patient, clinicians, count, *, first_day=60):
    """``count`` PHQ-9 paper forms a week apart, entered in turn by ``clinicians``; every other
    one answers the risk item, and the first risk alert is acknowledged."""
    start = datetime.now(UTC) - timedelta(days=first_day)
    for n in range(count):
        risk = n % 2
        measures.record_clinician_response(
            clinicians[n % len(clinicians)], patient.id, "PHQ-9", [1] * 8 + [risk],
            start + timedelta(days=7 * n))
    db.session.commit()
    first_risk = next(r for r in measures.current_responses(patient.id) if r.flags)
    [alert] = alerts_of(response=first_risk)
    acknowledge_alert(clinicians[-1], alert.id, "Called the patient.")


def test_the_overview_holds_what_the_page_shows(therapist, colleague, patient):
    paper_forms(patient, [therapist, colleague], 4)
    measures.save_schedule(therapist, patient.id, measures.ScheduleInput(
        "GAD-7", 1, 0, utcnow().date()))
    link = measures.create_adhoc_invitation(therapist, patient.id, ["PHQ-9"])

    overview = patient_overview(therapist, patient.id)

    assert overview.patient.id == patient.id
    assert overview.can_manage is True
    assert overview.care_team_candidates == []  # both clinicians are on the team
    assert [a.kind for a in overview.alerts] == ["risk_item", "risk_item"]
    assert overview.open_alert_count == 1
    [summary] = overview.summaries
    assert summary.instrument.code == "PHQ-9"
    assert [r.total for r in summary.responses] == [8, 9, 8, 9]
    assert (summary.baseline.total, summary.latest.total) == (8, 9)
    assert [s.instrument_code for s in overview.schedules] == ["GAD-7"]
    assert [i.id for i in overview.invitations] == [link.id]
    assert (overview.assignments, overview.current_program, overview.program_progress) == (
        [], None, None)
    assert overview.today == patient.clinic.today()
    db.session.commit()
    views = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "patient_view")).all()
    assert [(e.actor_id, e.patient_id) for e in views] == [(therapist.id, patient.id)]


def test_a_colleague_not_on_the_team_gets_not_found(clinic, patient):
    outsider = UserFactory(clinic=clinic, role=Role.THERAPIST, email="olly@clinic.test")
    for patient_id in (patient.id, patient.id + 999):
        with pytest.raises(NotFound):
            patient_overview(outsider, patient_id)


def page_statements(client, patient_id):
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        response = client.get(f"/patients/{patient_id}")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)
    assert response.status_code == 200
    return statements


def test_the_page_takes_as_many_queries_for_a_long_history_as_for_a_short_one(
        client, auth, clinic, therapist, colleague):
    short, long = (PatientFactory(clinic=clinic, primary=therapist, team=[colleague],
                                  episode_start=utcnow() - timedelta(days=200))
                   for _ in range(2))
    paper_forms(short, [therapist, colleague], 2)
    paper_forms(long, [therapist, colleague], 12, first_day=100)
    auth.login(therapist.email)
    client.get(f"/patients/{short.id}")  # warm-up: what happens once per login session
    few = page_statements(client, short.id)
    many = page_statements(client, long.id)
    assert len(many) == len(few), "\n".join(many)
