"""Discharge ends the patient's links (issue 14, item 6), through real HTTP.

A clinician discharges in their browser; the patient's phone had the questionnaire link and the
program link open with the forms filled. After discharge both answer the calm "no longer active"
page, store nothing and raise no alert; reactivation brings neither back (the clinician makes
new links).
"""

import pytest
from conftest import AuthActions
from factories import (
    AssignmentFactory,
    ClinicFactory,
    InvitationFactory,
    PatientFactory,
    UserFactory,
    link_token,
    program_token,
)
from helpers import answers, fresh, open_link, rows, text, try_link
from html_forms import form_of

from clinic.alerts.models import Alert
from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.measures import services as measures
from clinic.measures.models import Invitation, Response
from clinic.programs.models import Assignment, AssignmentEvent, SessionLog

PHQ9_RISK = [2, 2, 2, 2, 2, 2, 2, 2, 1]  # item 9 above 0: a risk alert if stored


@pytest.fixture
def therapist(app):
    clinic = ClinicFactory(name="Fenwick Clinic")
    return UserFactory(clinic=clinic, role=Role.THERAPIST, email="ther@fenwick.test")


@pytest.fixture
def patient(therapist):
    return PatientFactory(clinic=therapist.clinic, primary=therapist)


@pytest.fixture
def links(therapist, patient):
    """An open questionnaire link and a program link of the patient."""
    invitation = InvitationFactory(actor=therapist, patient=patient.id, codes=("PHQ-9",))
    assignment = AssignmentFactory(actor=therapist, patient=patient)
    return {"invitation_id": invitation.id, "q_token": link_token(invitation),
            "assignment_id": assignment.id, "p_token": program_token(assignment)}


@pytest.fixture
def clinician(app, therapist):
    browser = app.test_client()
    actions = AuthActions(browser)
    assert actions.login(therapist.email).status_code == 303
    return actions


def nothing_stored(patient_id, assignment_id):
    assert rows(Response, Response.patient_id == patient_id) == []
    assert rows(SessionLog, SessionLog.assignment_id == assignment_id) == []
    assert rows(Alert, Alert.patient_id == patient_id) == []


def test_discharge_kills_open_links_nothing_is_stored_and_reactivation_revives_none(
        app, clinician, patient, links):
    phone = app.test_client()
    questionnaire = open_link(phone, links["q_token"], "q")
    assert questionnaire.status_code == 200
    q_form = form_of(questionnaire).values | answers("PHQ-9", PHQ9_RISK)
    program = open_link(phone, links["p_token"], "p")
    assert program.status_code == 200
    p_form = form_of(program).values | {"path": "as_prescribed"}

    assert clinician.post(f"/patients/{patient.id}/discharge").status_code == 303

    late = phone.post("/q/", data=q_form)
    assert late.status_code == 410
    assert "This link is no longer active" in text(late)
    late = phone.post("/p/", data=p_form)
    assert late.status_code == 410
    assert "This link is no longer active" in text(late)
    nothing_stored(patient.id, links["assignment_id"])
    assert fresh(Invitation, links["invitation_id"]).revoked_at is not None
    assert fresh(Assignment, links["assignment_id"]).link_revoked_at is not None

    # Reactivation makes no new links and revives none: the old ones stay dead, opened anew.
    assert clinician.post(f"/patients/{patient.id}/reactivate").status_code == 303
    again = app.test_client()
    assert try_link(again, links["q_token"], "q").status_code == 410
    assert try_link(again, links["p_token"], "p").status_code == 410
    assert phone.post("/q/", data=q_form).status_code == 410  # the forms left open
    assert phone.post("/p/", data=p_form).status_code == 410
    nothing_stored(patient.id, links["assignment_id"])
    assert len(rows(Invitation, Invitation.patient_id == patient.id)) == 1
    assert fresh(Assignment, links["assignment_id"]).link_revoked_at is not None


def test_each_ended_link_is_audited_in_the_discharge(clinician, therapist, patient, links):
    done = InvitationFactory(actor=therapist, patient=patient.id, codes=("GAD-7",))
    revoked_before = InvitationFactory(actor=therapist, patient=patient.id, codes=("GAD-7",))
    assert clinician.post(
        f"/patients/{patient.id}/invitations/{revoked_before.id}/revoke").status_code == 303
    measures.submit_link_answers(done.id, {"GAD-7": [0] * 7}, {})

    assert clinician.post(f"/patients/{patient.id}/discharge").status_code == 303

    events = rows(AuditEvent, AuditEvent.patient_id == patient.id,
                  AuditEvent.action.in_(("patient_discharge", "invitation_revoke",
                                         "program_link_revoke")), order=AuditEvent.id)
    discharge_events = [e for e in events if e.action != "invitation_revoke"
                        or e.object_id != revoked_before.id]
    assert [(e.action, e.object_id, e.detail.get("reason"), e.actor_id)
            for e in discharge_events] == [
        ("patient_discharge", patient.id, None, therapist.id),
        ("invitation_revoke", links["invitation_id"], "discharge", therapist.id),
        ("program_link_revoke", links["assignment_id"], "discharge", therapist.id)]
    # One transaction: the same request id on all three.
    assert len({e.request_id for e in discharge_events}) == 1
    assert fresh(Invitation, done.id).revoked_at is None  # a completed link stays completed
    [event] = rows(AssignmentEvent, AssignmentEvent.assignment_id == links["assignment_id"],
                   AssignmentEvent.kind == "link_revoke")
    assert event.reason == "discharge"
    # Discharging again ends nothing more.
    assert clinician.post(f"/patients/{patient.id}/discharge").status_code == 303
    assert len(rows(AuditEvent, AuditEvent.action == "program_link_revoke")) == 1
