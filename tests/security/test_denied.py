"""A refusal tells nothing: every denied request of the route-access table answers its status
(404 out of scope, 403 for a role, the login page for nobody) with 0 canaries in the body or
headers; and ids swapped into form bodies (hidden fields, selects) are refused like ids in URLs.

The world of tests/test_route_access.py is given canary values in every PHI field of its
patient P and in the names of clinic A's own records; clinic B gets canary records of its own
for the form-body swaps. (The JSON API's bodies are tested with the API.)
"""

import re
import uuid
from datetime import date

import pytest
from conftest import csrf_token
from factories import (
    AssignmentFactory,
    ExerciseFactory,
    InvitationFactory,
    PatientFactory,
    SessionFactory,
    TemplateFactory,
)
from helpers import count
from html_forms import form_of
from test_route_access import (
    ALLOWED,
    EXPECTED,
    OPENED_LINK,
    RULE_CASES,
    access_of,
    build_url,
    build_world,
    is_login_redirect,
)

from clinic.catalogue.models import Exercise, ProgramTemplate
from clinic.extensions import db
from clinic.measures.models import Response
from clinic.patients.models import CareTeamMember, Patient
from clinic.programs import services as programs
from clinic.programs.models import Assignment, SessionLog

CLINIC_B = ("admin_b",)


def give_canaries(world):
    """Canary values in P's PHI fields and in clinic A's named records; returns them."""
    mark = uuid.uuid4().hex[:10]
    patient = world.patient
    phi = {"name": f"Quillon Canarywood{mark}", "reference": f"CNR{mark}",
           "email": f"canary.{mark}@example.org", "note": f"Canary note {mark}",
           "where": f"canary knee {mark}"}
    patient.display_name, patient.reference = phi["name"], phi["reference"]
    patient.email, patient.date_of_birth = phi["email"], date(1983, 7, 29)
    logged = db.session.get(SessionLog, world.session_id)
    logged.note, logged.pain_where = phi["note"], phi["where"]
    clinic_a = {"template": f"Canary program {mark}", "exercise": f"Canary step {mark}",
                "user": f"Canary Clinician {mark}", "user_email": f"canary.user.{mark}@a.test"}
    db.session.get(ProgramTemplate, world.template_id).name = clinic_a["template"]
    db.session.get(Exercise, world.exercise_id).name = clinic_a["exercise"]
    world.therapist2.name, world.therapist2.email = clinic_a["user"], clinic_a["user_email"]
    db.session.commit()
    return phi, clinic_a


def leaks(response, canaries):
    text = response.get_data(as_text=True) + " ".join(f"{k}: {v}" for k, v in response.headers)
    return [c for c in canaries if c in text]


DENIED_ACTORS = ("anonymous", "therapist2", "admin_b", "trainer", "therapist")


@pytest.mark.parametrize("actor", DENIED_ACTORS)
def test_every_denied_request_answers_its_status_and_holds_no_canary(app, client, auth, actor):
    world = build_world()
    phi, clinic_a = give_canaries(world)
    # An actor's own name is on their own pages; clinic A's names are secrets to clinic B only.
    canaries = list(phi.values()) + (list(clinic_a.values()) if actor in CLINIC_B else [])
    if actor != "anonymous":
        login_email = world.therapist2.email if actor == "therapist2" else getattr(
            world, actor).email
        assert auth.login(login_email).status_code == 303

    checked, problems = 0, []
    for endpoint, method in RULE_CASES:
        access = access_of(endpoint, method)
        if actor == "anonymous":
            if access == "public":
                continue
            # The API (and its docs, which also take a login) answer 401 JSON, not the login page.
            expected = 401 if access in ("api", "api_or_clinician") else "login"
        else:
            expected = EXPECTED[access][actor]
            if expected is ALLOWED:
                continue
        url = build_url(app, endpoint, world)
        if endpoint in OPENED_LINK:
            client.get(OPENED_LINK[endpoint].format(world=world))
        if method == "GET":
            response = client.get(url)
        else:
            page = "/login" if actor == "anonymous" else "/account/password"
            response = client.post(url, data={"csrf_token": csrf_token(client, page)})
        where = f"{method} {url} as {actor}"
        if expected == "login":
            if not is_login_redirect(response):
                problems.append(f"{where}: {response.status_code}, not the login page")
        elif response.status_code != expected:
            problems.append(f"{where}: {response.status_code}, not {expected}")
        if leaked := leaks(response, canaries):
            problems.append(f"{where}: the body or headers hold {leaked}")
        checked += 1

    assert problems == []
    assert checked >= 10, checked  # each of these actors is refused somewhere


# Ids swapped into form bodies ---------------------------------------------------------------


@pytest.fixture
def swap_world(app):
    """The world, a second clinic-A patient P2 with a link and a logged session, and clinic B's
    own template and exercise (canary names)."""
    world = build_world()
    mark = uuid.uuid4().hex[:10]
    p2 = PatientFactory(clinic=world.patient.clinic, primary=world.therapist,
                        display_name=f"Second Canary {mark}")
    invitation_p2 = InvitationFactory(actor=world.therapist, patient=p2)
    today = programs.clinic_today(p2.id)
    b_template = TemplateFactory(actor=world.admin_b, name=f"Canary B program {mark}",
                                 description="B.", levels=[])
    b_exercise = ExerciseFactory(actor=world.admin_b, name=f"Canary B step {mark}",
                                 equipment="box", cues=["Stand tall.", "", ""])
    world.admin_b.name = f"Canary B admin {mark}"
    db.session.commit()
    return {"world": world, "p2": p2, "invitation_p2": invitation_p2, "today": today,
            "b_template": b_template, "b_exercise": b_exercise,
            "canaries": [p2.display_name, b_template.name, b_exercise.name, world.admin_b.name,
                         world.admin_b.email]}


def test_another_clinics_exercise_in_a_level_row_is_refused(app, client, auth, swap_world):
    world, b_exercise = swap_world["world"], swap_world["b_exercise"]
    auth.login(world.admin.email)
    url = f"/programs/templates/{world.template_id}/levels/{world.level_id}"
    values = form_of(client.get(url)).values
    assert values["row0-exercise_id"]

    swapped = client.post(url, data={**values, "row0-exercise_id": str(b_exercise.id)})
    assert swapped.status_code == 422
    assert leaks(swapped, swap_world["canaries"]) == []
    db.session.commit()
    level = db.session.get(ProgramTemplate, world.template_id).levels[0]
    assert b_exercise.id not in {row.exercise_id for row in level.exercises}
    # The same form, unswapped, is accepted: the id alone was refused.
    assert client.post(url, data=values).status_code == 303


def test_another_clinics_template_in_the_assign_form_is_refused(app, client, auth, swap_world):
    world, p2 = swap_world["world"], swap_world["p2"]
    auth.login(world.therapist.email)
    data = {"start_date": swap_world["today"].isoformat(),
            "csrf_token": csrf_token(client, f"/patients/{p2.id}")}

    swapped = client.post(f"/programs/patients/{p2.id}/assign",
                          data={**data, "template_id": str(swap_world["b_template"].id)})
    assert swapped.status_code in (404, 422)
    assert leaks(swapped, swap_world["canaries"][1:]) == []
    assert count(Assignment, Assignment.patient_id == p2.id) == 0
    fair = client.post(f"/programs/patients/{p2.id}/assign",
                       data={**data, "template_id": str(world.template_id)})
    assert fair.status_code == 303
    assert count(Assignment, Assignment.patient_id == p2.id) == 1


def test_another_clinics_user_in_the_care_team_form_is_refused(app, client, auth, swap_world):
    world = swap_world["world"]
    auth.login(world.therapist.email)
    token = csrf_token(client, f"/patients/{world.patient.id}")
    url = f"/patients/{world.patient.id}/care-team"

    # The button posts and goes back to the patient page, which says why (a flash message).
    swapped = client.post(url, data={"user_id": str(world.admin_b.id), "csrf_token": token})
    assert swapped.status_code == 303
    shown = client.get(swapped.headers["Location"])
    assert "Choose an active therapist or trainer of this clinic." in shown.get_data(
        as_text=True)
    assert leaks(shown, [world.admin_b.name, world.admin_b.email]) == []
    assert count(CareTeamMember, CareTeamMember.user_id == world.admin_b.id) == 0
    fair = client.post(url, data={"user_id": str(world.therapist2.id), "csrf_token": token})
    assert fair.status_code == 303
    assert count(CareTeamMember, CareTeamMember.user_id == world.therapist2.id) == 1


def test_another_clinics_user_as_primary_clinician_is_refused(app, client, auth, swap_world):
    world = swap_world["world"]
    auth.login(world.admin.email)
    name = "Canary New Patient " + uuid.uuid4().hex[:8]
    data = {"display_name": name, "reference": "CNR-NEW", "email": "", "date_of_birth": "",
            "csrf_token": csrf_token(client, "/patients/new")}

    swapped = client.post("/patients/new", data={**data, "primary_clinician":
                                                 str(world.admin_b.id)})
    assert swapped.status_code == 422
    assert leaks(swapped, [world.admin_b.name, world.admin_b.email]) == []
    assert count(Patient, Patient.display_name == name) == 0
    fair = client.post("/patients/new", data={**data, "primary_clinician":
                                              str(world.therapist.id)})
    assert fair.status_code == 303


def test_another_patients_invitation_in_the_hidden_field_is_refused(app, swap_world):
    world, other = swap_world["world"], swap_world["invitation_p2"]
    browser = app.test_client()
    assert browser.get(f"/q/{world.token}").status_code == 303
    page = browser.get("/q/")
    values = form_of(page).values
    assert values["invitation"] == str(world.invitation_id)
    answers = {f"PHQ-9:{n}": "1" for n in range(1, 10)}

    swapped = browser.post("/q/", data={**values, **answers, "invitation": str(other.id)})
    assert swapped.status_code == 409
    assert leaks(swapped, [swap_world["p2"].display_name]) == []
    assert count(Response, Response.invitation_id.in_([other.id, world.invitation_id])) == 0
    fair = browser.post("/q/", data={**values, **answers})
    assert fair.status_code == 303
    assert count(Response, Response.invitation_id == other.id) == 0


def test_another_patients_session_through_a_program_link_is_refused(app, swap_world):
    world, p2 = swap_world["world"], swap_world["p2"]
    assignment = AssignmentFactory(actor=world.therapist, patient=p2,
                                   template=world.template_id, start_date=swap_world["today"])
    theirs = SessionFactory(
        assignment=assignment, performed_on=swap_world["today"], status="skipped",
        skip_reason="fatigue", duration_minutes=None, rpe=None, mood_before=None,
        mood_after=None, pain=None, note="Canary P2 note", submission_key="p2", sets={})
    browser = app.test_client()
    assert browser.get(f"/p/{world.program_token}").status_code == 303
    own = browser.get(f"/p/sessions/{world.session_id}")
    assert own.status_code == 200
    values = form_of(own).values

    for response in (browser.get(f"/p/sessions/{theirs.id}"),
                     browser.post(f"/p/sessions/{theirs.id}", data={**values, "note": "x"})):
        assert response.status_code == 404
        assert leaks(response, ["Canary P2 note", p2.display_name]) == []
    db.session.commit()
    assert db.session.get(SessionLog, theirs.id).note == "Canary P2 note"
    assert re.search(r"Page not found|not found", browser.get(
        f"/p/sessions/{theirs.id}").get_data(as_text=True), re.I)
