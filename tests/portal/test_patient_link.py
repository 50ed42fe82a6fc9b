"""The patient's one link: the program link, or a patient link a clinician issues without a
program. It shows the questionnaire waiting for the patient and leads to it (no token in any
URL after the first hop); every change of a link is followed by a check of every link and every
browser session the patient had.
"""

import re

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
from helpers import answers, fresh, rows, text

from clinic.alerts.models import Alert
from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.measures import services as measures
from clinic.measures.models import Invitation, Response
from clinic.patients import services as patients
from clinic.portal import services as patient_links
from clinic.portal.models import PatientLink
from clinic.programs import services as programs

NAME = "Wilhelmina Sprocket"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PART = re.compile(r'name="part" value="([^"]+)"')
PHQ9 = [1, 1, 1, 1, 1, 1, 1, 1, 0]
GAD7 = [1, 1, 1, 1, 1, 1, 1]


@pytest.fixture
def therapist(app):
    clinic = ClinicFactory(name="Millbrook Clinic")
    return UserFactory(clinic=clinic, role=Role.THERAPIST, email="t@millbrook.test")


@pytest.fixture
def patient(therapist):
    return PatientFactory(clinic=therapist.clinic, primary=therapist, display_name=NAME)


def home_token(link):
    return patient_links.patient_link_url(link).rsplit("/", 1)[1]


def csrf(page):
    return CSRF.search(text(page)).group(1)


def open_home(browser, token):
    first = browser.get(f"/p/{token}")
    assert first.status_code == 303 and first.headers["Location"] == "/p/"
    return browser.get("/p/")


def start(browser, page):
    """Press "Answer the questionnaire" on the patient's own page."""
    response = browser.post("/p/questionnaire", data={"csrf_token": csrf(page)})
    assert response.status_code == 303 and response.headers["Location"] == "/q/"
    return browser.get("/q/")


def send_part(browser, page, values):
    code = PART.search(text(page)).group(1)
    return browser.post(
        "/q/",
        data={
            "csrf_token": csrf(page),
            "invitation": re.search(r'name="invitation" value="(\d+)"', text(page)).group(1),
            "part": code,
            **answers(code, values),
        },
    )


# One link without a program -------------------------------------------------------------------


def test_a_patient_without_a_program_gets_one_link_from_the_patient_page(
    app, client, auth, therapist, patient
):
    AuthActions(client).login(therapist.email)
    page = client.get(f"/patients/{patient.id}")
    assert "Make the patient&#39;s link" in text(page)
    made = client.post(f"/patients/{patient.id}/link", data={"csrf_token": csrf(page)})
    assert made.status_code == 303
    link = patient_links.current_patient_link(patient.id)
    token = home_token(link)
    shown = client.get(f"/patients/{patient.id}")
    assert f"/p/{token}" in text(shown)
    assert [e.action for e in rows(AuditEvent, AuditEvent.action == "patient_link_issue")] == [
        "patient_link_issue"
    ]

    phone = app.test_client()
    home = open_home(phone, token)
    assert home.status_code == 200
    assert "Nothing to answer right now" in text(home)
    assert NAME not in text(home)

    # The clinician asks for a questionnaire: the same link now leads to it.
    invitation = InvitationFactory(actor=therapist, patient=patient.id, codes=("PHQ-9",))
    home = phone.get("/p/")
    assert "A questionnaire is waiting for you" in text(home)
    questionnaire = start(phone, home)
    assert token not in text(questionnaire) and link_token(invitation) not in text(questionnaire)
    sent = send_part(phone, questionnaire, PHQ9)
    assert (sent.status_code, sent.headers["Location"]) == (303, "/q/done")
    done = phone.get("/q/done")
    assert 'href="/p/"' in text(done)  # back to the patient's page
    assert [r.total for r in rows(Response, Response.patient_id == patient.id)] == [8]
    assert "Nothing to answer right now" in text(phone.get("/p/"))
    # The link sent by mail is the questionnaire's own and answers "already done".
    assert app.test_client().get(f"/q/{link_token(invitation)}").status_code == 303


def test_the_program_page_leads_to_the_waiting_questionnaire(app, therapist, patient):
    assignment = AssignmentFactory(actor=therapist, patient=patient)
    phone = app.test_client()
    page = open_home(phone, program_token(assignment))
    assert "A questionnaire is waiting" not in text(page)
    invitation = InvitationFactory(actor=therapist, patient=patient.id, codes=("GAD-7", "PHQ-9"))
    page = phone.get("/p/")
    assert "A questionnaire is waiting for you" in text(page)
    part1 = start(phone, page)
    assert "Part 1 of 2" in text(part1)
    assert send_part(phone, part1, PHQ9).headers["Location"] == "/q/"
    # Stopped after part 1: the program page says so and takes them back to part 2.
    again = phone.get("/p/")
    assert "Carry on with the questionnaire" in text(again)
    part2 = start(phone, again)
    assert "Part 2 of 2" in text(part2)
    assert send_part(phone, part2, GAD7).headers["Location"] == "/q/done"
    assert fresh(Invitation, invitation.id).completed_at is not None
    assert "A questionnaire is waiting" not in text(phone.get("/p/"))


def test_with_nothing_waiting_the_button_goes_back_to_the_page(app, therapist, patient):
    link = patient_links.issue_patient_link(therapist, patient.id)
    invitation = InvitationFactory(actor=therapist, patient=patient.id, codes=("PHQ-9",))
    phone = app.test_client()
    page = open_home(phone, home_token(link))
    measures.revoke_invitation(therapist, patient.id, invitation.id)  # stopped meanwhile
    response = phone.post("/p/questionnaire", data={"csrf_token": csrf(page)})
    assert (response.status_code, response.headers["Location"]) == (303, "/p/")


def test_a_program_takes_the_patient_link_over(app, therapist, patient):
    link = patient_links.issue_patient_link(therapist, patient.id)
    token = home_token(link)
    phone = app.test_client()
    open_home(phone, token)
    assignment = AssignmentFactory(actor=therapist, patient=patient)
    assert program_token(assignment) == token  # the address the patient keeps is unchanged
    assert fresh(PatientLink, link.id).end_reason == "program"
    # The phone that had the page open follows; the link opened anew is the program.
    followed = phone.get("/p/")
    assert followed.status_code == 303 and followed.headers["Location"] == "/p/"
    assert "Log this session" in text(phone.get("/p/"))
    assert "Log this session" in text(open_home(app.test_client(), token))


def test_a_patient_with_a_program_gets_no_second_link(therapist, patient):
    AssignmentFactory(actor=therapist, patient=patient)
    with pytest.raises(Exception, match="program link is their link"):
        patient_links.issue_patient_link(therapist, patient.id)
    assert rows(PatientLink) == []


def test_another_clinics_clinician_cannot_issue_or_stop_the_link(app, client, therapist, patient):
    other = UserFactory(clinic=ClinicFactory(), role=Role.THERAPIST, email="o@else.test")
    AuthActions(client).login(other.email)
    page = client.get("/patients")
    for path in (f"/patients/{patient.id}/link", f"/patients/{patient.id}/link/revoke"):
        assert client.post(path, data={"csrf_token": csrf(page)}).status_code == 404
    assert rows(PatientLink) == []


# Every link and every session after every change -----------------------------------------------


def program_world(app, therapist, patient):
    assignment = AssignmentFactory(actor=therapist, patient=patient)
    invitation = InvitationFactory(actor=therapist, patient=patient.id, codes=("PHQ-9",))
    return _sessions(app, program_token(assignment), invitation, assignment=assignment)


def home_world(app, therapist, patient):
    link = patient_links.issue_patient_link(therapist, patient.id)
    invitation = InvitationFactory(actor=therapist, patient=patient.id, codes=("PHQ-9",))
    return _sessions(app, home_token(link), invitation)


def _sessions(app, home, invitation, assignment=None):
    """Three phones: one opened the patient's link, one the questionnaire link from a mail,
    one went from the patient's link to the questionnaire."""
    on_home, by_mail, via_home = app.test_client(), app.test_client(), app.test_client()
    open_home(on_home, home)
    assert by_mail.get(f"/q/{link_token(invitation)}").status_code == 303
    start(via_home, open_home(via_home, home))
    return {
        "home": home,
        "mail": link_token(invitation),
        "invitation": invitation,
        "assignment": assignment,
        "on_home": on_home,
        "by_mail": by_mail,
        "via_home": via_home,
    }


def works(world, app):
    """Which of the patient's links and sessions still work: {name: True/False}."""
    seen = {}
    opened = app.test_client().get(f"/p/{world['home']}")
    seen["home link"] = opened.status_code == 303
    opened = app.test_client().get(f"/q/{world['mail']}")
    seen["mail link"] = opened.status_code == 303
    for name, path in (("on_home", "/p/"), ("by_mail", "/q/"), ("via_home", "/q/")):
        page = world[name].get(path)
        assert page.status_code in (200, 410), (name, page.status_code)
        seen[name] = page.status_code == 200
        if page.status_code == 410:  # a calm page: no clinic, no patient
            assert "no longer active" in text(page) or "expired" in text(page)
            assert "Millbrook" not in text(page) and NAME not in text(page)
    return seen


ALL = {"home link": True, "mail link": True, "on_home": True, "by_mail": True, "via_home": True}
NONE = dict.fromkeys(ALL, False)
HOME_DOWN = {**ALL, "home link": False, "on_home": False, "via_home": False}
MAIL_DOWN = {**ALL, "mail link": False, "by_mail": False, "via_home": False}


@pytest.mark.parametrize(
    ("world", "change", "expected"),
    [
        ("program", "rotate program link", HOME_DOWN),
        ("program", "revoke program link", HOME_DOWN),
        ("program", "revoke questionnaire link", MAIL_DOWN),
        ("program", "discharge", NONE),
        ("home", "replace patient link", HOME_DOWN),
        ("home", "revoke patient link", HOME_DOWN),
        ("home", "revoke questionnaire link", MAIL_DOWN),
        ("home", "discharge", NONE),
    ],
)
def test_every_link_and_session_after_a_change(app, therapist, patient, world, change, expected):
    made = (program_world if world == "program" else home_world)(app, therapist, patient)
    assert works(made, app) == ALL
    if change == "rotate program link":
        programs.rotate_link(therapist, made["assignment"].id)
        new_token = program_token(fresh(type(made["assignment"]), made["assignment"].id))
    elif change == "revoke program link":
        programs.revoke_link(therapist, made["assignment"].id)
    elif change == "revoke questionnaire link":
        measures.revoke_invitation(therapist, patient.id, made["invitation"].id)
    elif change == "discharge":
        patients.set_discharged(therapist, patient.id, True)
    elif change == "replace patient link":
        new_token = home_token(patient_links.issue_patient_link(therapist, patient.id))
    elif change == "revoke patient link":
        patient_links.revoke_patient_link(therapist, patient.id)
    assert works(made, app) == expected
    if change in ("rotate program link", "replace patient link"):  # the new link works
        assert open_home(app.test_client(), new_token).status_code == 200
    if change == "discharge":
        assert patient_links.current_patient_link(patient.id) is None
    assert rows(Response) == [] and rows(Alert) == []
