"""Everyday correctness of the clinician pages (issue 16, item 7), each over real HTTP: times in
the clinic's zone with the zone named, a confirmation step before the destructive buttons,
level names, the way into a search, template states, empty sections, case- and accent-blind
search and references. (Lockout, unlock and reused codes: tests/auth; CSV cells:
tests/reports/test_csv_and_fhir.py; 360 px and wrapping: tests/e2e/test_onboarding.py.)"""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from factories import (
    AssignmentFactory,
    ClinicFactory,
    InvitationFactory,
    PatientFactory,
    ResponseFactory,
    TemplateFactory,
    UserFactory,
    starter_templates,
)
from helpers import audit_events, see_commits
from reports.helpers import pdf_text, squeezed

from clinic.alerts.models import Alert
from clinic.extensions import db
from clinic.measures.models import Invitation
from clinic.patients.models import Patient
from clinic.programs.models import Assignment
from clinic.timefmt import format_in_zone

ZONE = "Pacific/Auckland"  # far from UTC: a UTC time or day shown by mistake is seen


@pytest.fixture
def therapist(app):
    return UserFactory(clinic=ClinicFactory(timezone=ZONE), email="theo@clinic.test")


def page_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


def forms_posting_to(body, action):
    return re.findall(rf'<form method="post" action="{re.escape(action)}"', body)


def test_times_on_the_patient_page_are_on_the_clinic_clock_with_the_zone_named(
    client, auth, therapist
):
    patient = PatientFactory(clinic=therapist.clinic, primary=therapist)
    ResponseFactory(actor=therapist, patient=patient, answers=(1,) * 8 + (2,))  # a risk alert
    invitation = InvitationFactory(actor=therapist, patient=patient)
    auth.login(therapist.email)
    body = page_of(client, f"/patients/{patient.id}")
    zone = therapist.clinic.zone
    alert = db.session.scalar(sa.select(Alert))
    assert format_in_zone(alert.created_at, zone) in body  # e.g. "4 Dec 2026 09:15 NZDT"
    assert format_in_zone(invitation.created_at, zone) in body
    assert re.search(r"\d \w{3} \d{4} \d\d:\d\d NZ[DS]T", body)
    assert " UTC" not in body
    assert f'<th scope="col">Date ({ZONE})</th>' in body  # the score table's dates
    assert f'<th scope="col">Made ({ZONE})</th>' in body
    assert (
        re.search(r"\d{4}-\d\d-\d\d", re.sub(r'(value|href|src|datetime)="[^"]*"', "", body))
        is None
    )  # no bare ISO days left


def test_the_report_names_the_zone_over_its_dates_and_weeks(client, auth, therapist):
    templates = starter_templates(therapist.clinic, therapist)
    patient = PatientFactory(
        clinic=therapist.clinic,
        primary=therapist,
        episode_start=datetime.now(UTC) - timedelta(days=30),
    )
    AssignmentFactory(
        actor=therapist,
        patient=patient,
        template=templates["Home foundations"],
        start_date=therapist.clinic.today() - timedelta(days=14),
    )
    auth.login(therapist.email)
    response = auth.post(
        f"/patients/{patient.id}/reports/pdf", token_page=f"/patients/{patient.id}/reports"
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    flat = squeezed(text)  # a narrow column header wraps
    assert squeezed(f"Weeks from ({ZONE})") in flat  # the week records
    assert squeezed(f"Date ({ZONE})") in flat  # the level history
    assert f"Dates are in the clinic's time zone, {ZONE}." in text
    assert "Getting familiar" in text and "0 Getting familiar" not in text


def test_discharge_asks_first_and_works_without_javascript(client, auth, therapist):
    patient = PatientFactory(clinic=therapist.clinic, primary=therapist, display_name="Dee")
    auth.login(therapist.email)
    page = page_of(client, f"/patients/{patient.id}")
    assert not forms_posting_to(page, f"/patients/{patient.id}/discharge")  # no one-click
    assert f'href="/patients/{patient.id}/discharge"' in page
    confirm = page_of(client, f"/patients/{patient.id}/discharge")
    assert "<h1>Discharge Dee?</h1>" in confirm
    assert len(forms_posting_to(confirm, f"/patients/{patient.id}/discharge")) == 1
    see_commits()
    assert db.session.get(Patient, patient.id).status == "active"  # asking changed nothing
    response = auth.post(
        f"/patients/{patient.id}/discharge", token_page=f"/patients/{patient.id}/discharge"
    )
    assert response.status_code == 303
    see_commits()
    assert db.session.get(Patient, patient.id).status == "discharged"
    assert len(audit_events("patient_discharge")) == 1
    # Discharged: the question no longer arises.
    assert client.get(f"/patients/{patient.id}/discharge").status_code == 303


def test_stopping_a_questionnaire_link_asks_first(client, auth, therapist):
    invitation = InvitationFactory(actor=therapist)
    auth.login(therapist.email)
    base = f"/patients/{invitation.patient_id}/invitations/{invitation.id}"
    page = page_of(client, base)
    assert not forms_posting_to(page, f"{base}/revoke")
    confirm = page_of(client, f"{base}/revoke")
    assert "Stop this questionnaire link?" in confirm
    assert len(forms_posting_to(confirm, f"{base}/revoke")) == 1
    assert f'<a href="{base}">Cancel</a>' in confirm
    see_commits()
    assert db.session.get(Invitation, invitation.id).revoked_at is None
    assert auth.post(f"{base}/revoke", token_page=f"{base}/revoke").status_code == 303
    see_commits()
    assert db.session.get(Invitation, invitation.id).revoked_at is not None


@pytest.mark.parametrize("kind", ["rotate", "revoke"])
def test_replacing_or_stopping_the_program_link_asks_first(client, auth, therapist, kind):
    assignment = AssignmentFactory(actor=therapist)
    salt = assignment.token_salt
    auth.login(therapist.email)
    base = f"/programs/assignments/{assignment.id}"
    page = page_of(client, base)
    assert not forms_posting_to(page, f"{base}/link/{kind}")
    assert f'href="{base}/link/{kind}"' in page
    confirm = page_of(client, f"{base}/link/{kind}")
    title = "Make a new program link?" if kind == "rotate" else "Stop the program link?"
    assert f"<h1>{title}</h1>" in confirm
    assert len(forms_posting_to(confirm, f"{base}/link/{kind}")) == 1
    see_commits()
    stored = db.session.get(Assignment, assignment.id)
    assert (stored.token_salt, stored.link_revoked_at) == (salt, None)  # asking changed nothing
    assert auth.post(f"{base}/link/{kind}", token_page=f"{base}/link/{kind}").status_code == 303
    see_commits()
    stored = db.session.get(Assignment, assignment.id)
    if kind == "rotate":
        assert stored.token_salt != salt
    else:
        assert stored.link_revoked_at is not None


def test_level_names_are_shown_without_the_stored_number(client, auth, therapist):
    templates = starter_templates(therapist.clinic, therapist)
    assignment = AssignmentFactory(actor=therapist, template=templates["Home foundations"])
    auth.login(therapist.email)
    patient_page = page_of(client, f"/patients/{assignment.patient_id}")
    assert "Level 1: Getting familiar" in patient_page
    program_page = page_of(client, f"/programs/assignments/{assignment.id}")
    assert "<strong>Getting familiar</strong>" in program_page
    catalogue_page = page_of(client, f"/programs/templates/{templates['Home foundations']}")
    assert "Level 1: Getting familiar" in catalogue_page
    for body in (patient_page, program_page, catalogue_page):
        assert "0 Getting familiar" not in body


def test_search_all_patients_is_a_search_over_every_status(client, auth, therapist):
    PatientFactory(
        clinic=therapist.clinic,
        primary=therapist,
        display_name="Old Friend",
        status="discharged",
        discharged_at=datetime.now(UTC),
    )
    auth.login(therapist.email)
    dashboard = page_of(client, "/")
    form = re.search(
        r'<form method="get" action="/patients"[^>]*role="search".*?</form>', dashboard, re.S
    ).group(0)
    assert 'name="status" value="all"' in form and 'name="q"' in form
    assert "Search all patients" in form
    found = page_of(client, "/patients?status=all&q=old+friend")
    assert "Old Friend" in found


def test_a_program_no_one_follows_is_not_in_use(client, auth, therapist):
    templates = starter_templates(therapist.clinic, therapist)
    auth.login(therapist.email)
    listing = page_of(client, "/programs/templates")
    assert "in use" not in listing
    assert listing.count("not assigned") == len(templates)
    AssignmentFactory(actor=therapist, template=templates["Home foundations"])
    listing = page_of(client, "/programs/templates")
    assert "followed by 1 patient" in listing
    assert listing.count("not assigned") == len(templates) - 1


def test_empty_sections_say_what_would_appear_there(client, auth, therapist):
    auth.login(therapist.email)
    assert "No patients here yet. The patients you add" in page_of(client, "/patients")
    patient = PatientFactory(clinic=therapist.clinic, primary=therapist)
    body = page_of(client, f"/patients/{patient.id}")
    for words in (
        "No alerts. A risk answer",
        "No questionnaires answered yet. Scores",
        "No program. A program assigned from the catalogue would show here",
        "No schedules. Questionnaires sent on a weekday",
        "No links yet. Each questionnaire link",
    ):
        assert words in body, words


def test_the_summary_comes_before_the_record_and_the_forms_after_it(client, auth, therapist):
    patient = PatientFactory(clinic=therapist.clinic, primary=therapist)
    TemplateFactory(actor=therapist)  # something to assign: the assign form shows
    ResponseFactory(actor=therapist, patient=patient, answers=(2,) * 8 + (0,))
    auth.login(therapist.email)
    body = page_of(client, f"/patients/{patient.id}")
    order = [
        body.index(marker)
        for marker in (
            'id="summary-heading"',
            'id="alerts-heading"',
            'id="measures-heading"',
            'id="program-heading"',
            'id="schedules-heading"',
            'id="links-heading"',
            'id="details-heading"',
            'id="team-heading"',
            'id="actions-heading"',
        )
    ]
    assert order == sorted(order)
    summary = body[order[0] : order[1]]
    assert "Active" in summary and "PHQ-9</a> 16 (moderately severe)" in summary
    record, actions = body[order[1] : order[-1]], body[order[-1] :]
    # The forms that add to the record are among the actions, not in the record.
    for action in (
        f"/patients/{patient.id}/schedules",
        f"/patients/{patient.id}/invitations",
        f"/programs/patients/{patient.id}/assign",
        f"/patients/{patient.id}/episode",
    ):
        assert f'action="{action}' not in record and f'action="{action}' in actions, action


def test_search_ignores_case_and_accents(client, auth, therapist):
    for name, reference in (("Zoë Ångström", "REF-7"), ("Zed", "other-1")):
        PatientFactory(
            clinic=therapist.clinic, primary=therapist, display_name=name, reference=reference
        )
    auth.login(therapist.email)
    for query in ("zoe", "ZOË", "angstrom", "ÅNGSTRÖM", "zoe ang", "ref-7", "Ref-7"):
        found = page_of(client, f"/patients?q={query}")
        assert "Zoë Ångström" in found and "Zed" not in found, query


@pytest.mark.parametrize("typed", ["ref-7", " REF-7 ", "Ref-7"])
def test_references_are_unique_ignoring_case_and_surrounding_spaces(client, auth, therapist, typed):
    PatientFactory(clinic=therapist.clinic, primary=therapist, reference="REF-7")
    elsewhere = UserFactory()  # another clinic may use the same reference
    PatientFactory(clinic=elsewhere.clinic, primary=elsewhere, reference="ref-7")
    auth.login(therapist.email)
    response = auth.post(
        "/patients/new", {"display_name": "Second", "reference": typed}, token_page="/patients/new"
    )
    assert response.status_code == 422
    assert "already has this reference" in response.get_data(as_text=True)
    see_commits()
    assert db.session.scalar(sa.select(sa.func.count(Patient.id))) == 2
    # The database holds the rule too, whoever writes (two saves racing, a script).
    with pytest.raises(sa.exc.IntegrityError):
        PatientFactory(clinic=therapist.clinic, reference=typed)
    db.session.rollback()


def test_the_alert_pages_are_on_the_clinic_clock_with_the_zone_named(client, auth, therapist):
    """The inbox and an alert's page: raised and acknowledged on the clinic's clock, the zone
    named, no UTC and no bare ISO day left."""
    patient = PatientFactory(clinic=therapist.clinic, primary=therapist)
    ResponseFactory(actor=therapist, patient=patient, answers=(1,) * 8 + (2,))  # a risk alert
    alert = db.session.scalar(sa.select(Alert))
    auth.login(therapist.email)
    zone = therapist.clinic.zone
    acknowledged = auth.post(f"/alerts/{alert.id}", {"note": "Called, safe."},
                             token_page=f"/alerts/{alert.id}")
    assert acknowledged.status_code == 303
    db.session.refresh(alert)
    detail = page_of(client, f"/alerts/{alert.id}")
    inbox = page_of(client, "/alerts?show=all")
    assert format_in_zone(alert.created_at, zone) in detail
    assert format_in_zone(alert.acknowledged_at, zone) in detail
    for body in (detail, inbox):
        assert " UTC" not in body
        visible = re.sub(r'(value|href|src|datetime)="[^"]*"', "", body)
        assert re.search(r"\d{4}-\d\d-\d\d", visible) is None
