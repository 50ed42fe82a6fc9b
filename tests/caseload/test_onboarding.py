"""Adding a patient in one form (issue 16, item 6): details, episode start, the default
schedule (each a tick) and a starter program, in one transaction."""

import re
from datetime import timedelta

import sqlalchemy as sa
from factories import TemplateFactory, UserFactory
from helpers import audit_events, count, see_commits
from patients.test_caseload import FormFields

from clinic.catalogue import services as catalogue
from clinic.extensions import db
from clinic.measures.models import MeasureSchedule
from clinic.patients.models import Patient
from clinic.programs.models import Assignment

DETAILS = {"display_name": "Ada Quinn", "reference": "ON-1", "email": "", "date_of_birth": ""}


def ticked(body):
    """The schedule boxes ticked on the page, in page order."""
    return re.findall(
        r'<input checked id="schedules-\d" name="schedules" type="checkbox" '
        r'value="([^"]+)"',
        body,
    )


def test_the_form_offers_the_default_schedule_ticked_and_the_programs(client, auth):
    therapist = UserFactory()
    template = TemplateFactory(actor=therapist, name="Gentle start")
    auth.login(therapist.email)
    body = client.get("/patients/new").get_data(as_text=True)
    assert ticked(body) == ["PHQ-9", "GAD-7", "WHO-5", "RSES"]
    for words in (
        "PHQ-9: Patient Health Questionnaire (PHQ-9), every week",
        "GAD-7: ",
        "WHO-5: WHO-5 Well-Being Index, every 2 weeks",
        "), every 4 weeks",
    ):
        assert words in body
    assert f'<option value="{template.id}">Gentle start</option>' in body
    assert '<option selected value="0">No program for now</option>' in body
    today = therapist.clinic.today()
    assert FormFields(body).values["weekday"] == str(today.weekday())


def test_one_post_adds_the_patient_schedules_and_program_all_audited(client, auth):
    therapist = UserFactory()
    template = TemplateFactory(actor=therapist)
    auth.login(therapist.email)
    today = therapist.clinic.today()
    response = auth.post(
        "/patients/new",
        {
            **DETAILS,
            "episode_start": (today - timedelta(days=30)).isoformat(),
            "schedules": ["PHQ-9", "GAD-7", "WHO-5", "RSES"],
            "weekday": "2",
            "template_id": str(template.id),
        },
        token_page="/patients/new",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    see_commits()
    patient = db.session.scalar(sa.select(Patient))
    assert patient.episodes[0].start == today - timedelta(days=30)
    schedules = db.session.scalars(sa.select(MeasureSchedule).order_by(MeasureSchedule.id)).all()
    # A back-dated referral starts the schedules today, not in the past (no overdue links).
    assert [(s.instrument_code, s.every_weeks, s.weekday, s.starts_on) for s in schedules] == [
        ("PHQ-9", 1, 2, today),
        ("GAD-7", 1, 2, today),
        ("WHO-5", 2, 2, today),
        ("RSES", 4, 2, today),
    ]
    [assignment] = db.session.scalars(sa.select(Assignment)).all()
    assert (assignment.patient_id, assignment.template_id, assignment.start_date) == (
        patient.id,
        template.id,
        today,
    )
    assert len(audit_events("patient_create")) == 1
    assert len(audit_events("schedule_save", patient_id=patient.id)) == 4
    assert len(audit_events("program_assign", patient_id=patient.id)) == 1


def test_unticked_schedules_and_no_program_are_left_out(client, auth):
    therapist = UserFactory()
    auth.login(therapist.email)
    today = therapist.clinic.today()
    response = auth.post(
        "/patients/new",
        {**DETAILS, "schedules": ["RSES"], "weekday": "0", "template_id": "0"},
        token_page="/patients/new",
    )
    assert response.status_code == 303
    see_commits()
    [schedule] = db.session.scalars(sa.select(MeasureSchedule)).all()
    assert (schedule.instrument_code, schedule.every_weeks, schedule.starts_on) == (
        "RSES",
        4,
        today,
    )
    assert count(Assignment) == 0


def test_a_failure_in_the_last_part_writes_nothing_and_keeps_every_answer(client, auth):
    therapist = UserFactory()
    template = TemplateFactory(actor=therapist, name="Soon archived")
    auth.login(therapist.email)
    page = client.get("/patients/new").get_data(as_text=True)
    assert "Soon archived" in page
    catalogue.update_template(therapist, template.id, archived=True)  # meanwhile, elsewhere
    events_before = count_events()

    response = auth.post(
        "/patients/new",
        {
            **DETAILS,
            "email": "ada@example.org",
            "schedules": ["PHQ-9", "WHO-5"],
            "weekday": "4",
            "template_id": str(template.id),
        },
        token_page="/patients/new",
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This program is archived." in body
    see_commits()
    assert count(Patient) == 0 and count(MeasureSchedule) == 0 and count(Assignment) == 0
    assert count_events() == events_before  # not even the patient's audit row
    kept = FormFields(body).values
    assert (kept["display_name"], kept["reference"], kept["email"], kept["weekday"]) == (
        "Ada Quinn",
        "ON-1",
        "ada@example.org",
        "4",
    )
    assert ticked(body) == ["PHQ-9", "WHO-5"]


def test_a_taken_reference_comes_back_on_the_form(client, auth):
    therapist = UserFactory()
    auth.login(therapist.email)
    assert (
        auth.post(
            "/patients/new",
            {**DETAILS, "schedules": ["PHQ-9"], "weekday": "1"},
            token_page="/patients/new",
        ).status_code
        == 303
    )
    again = auth.post(
        "/patients/new",
        {**DETAILS, "display_name": "Other", "schedules": ["GAD-7"], "weekday": "1"},
        token_page="/patients/new",
    )
    body = again.get_data(as_text=True)
    assert again.status_code == 422 and "already has this reference" in body
    assert ticked(body) == ["GAD-7"]
    see_commits()
    assert count(Patient) == 1 and count(MeasureSchedule) == 1


def count_events():
    from clinic.audit.models import AuditEvent

    return count(AuditEvent)
