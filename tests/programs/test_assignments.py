"""Assigning graded programs to patients, changing them, the program link, supervised sessions,
and who may do any of it, through the real pages.

Each test drives the app as browsers would: a clinician logged in with real CSRF tokens, and a
patient's phone as a separate client that opens the program link. Every effect and every
refusal is checked in the database after the request.
"""

import copy
import re
import secrets
from datetime import timedelta
from decimal import Decimal

import pytest
from conftest import csrf_token
from factories import (
    AssignmentFactory,
    ClinicFactory,
    PatientFactory,
    TemplateFactory,
    UserFactory,
    builtin,
    level,
    level_row,
    session_entry,
)
from helpers import audit, flat, fresh, rows, svg_of, try_link, unescaped
from html_forms import form_of

from clinic import tokens
from clinic.auth.models import Role
from clinic.database import utcnow
from clinic.errors import ServiceError
from clinic.extensions import db
from clinic.programs import services, strength
from clinic.programs.models import Assignment, AssignmentEvent, SessionLog, SetLog
from clinic.timefmt import format_day

SVG = "{http://www.w3.org/2000/svg}"
LINK = re.compile(r'value="http://clinic\.test/p/([A-Za-z0-9_-]{43})"')
JUMP = "That is more than a 10% jump in load: tick the box to confirm."

# Helpers ---------------------------------------------------------------------------------------


def events(assignment_id):
    return [(e.kind, e.by_id, e.reason, e.detail)
            for e in rows(AssignmentEvent, AssignmentEvent.assignment_id == assignment_id)]


def key():
    return secrets.token_hex(8)


def token_on_page(response):
    match = LINK.search(response.get_data(as_text=True))
    assert match, "no program link on the page"
    return match.group(1)


def program_state(assignment_id):
    a = fresh(Assignment, assignment_id)
    return (a.status, a.level_position, a.token_hash, a.link_revoked_at,
            copy.deepcopy(a.snapshot), len(a.events))


# Fixtures --------------------------------------------------------------------------------------


@pytest.fixture
def world(app):
    """A clinic with its care team, a patient, and a two-level program made through the services.

    Level 1: goblet squat 2 x 6-10 (kg, key), push-up 2 x 8-12, plank 2 x 20-30 s.
    Level 2: barbell back squat 3 x 5-8 (kg, key).
    """
    clinic = ClinicFactory(name="Riverside")
    other = ClinicFactory(name="Hilltop")
    people = {
        "therapist": UserFactory(clinic=clinic, role=Role.THERAPIST, email="tess@a.test",
                                 name="Tess Therapist"),
        "trainer": UserFactory(clinic=clinic, role=Role.TRAINER, email="tom@a.test",
                               name="Tom Trainer"),
        "admin": UserFactory(clinic=clinic, role=Role.ADMIN, email="ada@a.test", name="Ada"),
        "outsider": UserFactory(clinic=clinic, role=Role.THERAPIST, email="otto@a.test",
                                name="Otto Outsider"),
        "foreign_admin": UserFactory(clinic=other, role=Role.ADMIN, email="bea@b.test",
                                     name="Bea Elsewhere"),
    }
    therapist = people["therapist"]
    patient = PatientFactory(clinic=clinic, primary=therapist, team=[people["trainer"]],
                             display_name="Robin Reed")
    spare = PatientFactory(clinic=clinic, primary=therapist, display_name="Sam Spare")
    squat, push, plank = builtin("goblet_squat"), builtin("push_up"), builtin("plank")
    back_squat = builtin("barbell_back_squat")
    template = TemplateFactory(actor=therapist, name="Strength basics",
                               description="Home, then the gym.", levels=[
        level(level_row(squat, reps_min=6, reps_max=10, load_kind="kg"),
              level_row(push, rest_seconds=60, is_key=False),
              level_row(plank, reps_min=20, reps_max=30, rest_seconds=60, is_key=False),
              name="Home with weights", min_weeks=3, criteria="Steady weeks."),
        level(level_row(back_squat, sets=3, reps_min=5, reps_max=8, load_kind="kg",
                        rest_seconds=120),
              name="Gym", min_weeks=8)])
    today = services.clinic_today(patient.id)
    last_monday = today - timedelta(days=today.weekday() + 7)
    db.session.commit()
    return {"clinic": clinic, "other": other, "patient": patient, "spare": spare,
            "template": template, "today": today, "start": last_monday, "squat": squat,
            "push": push, "plank": plank, "back_squat": back_squat, **people}


@pytest.fixture
def clinician(auth, world):
    auth.login(world["therapist"].email)
    return auth


@pytest.fixture
def assignment(world):
    """The patient's program, assigned last Monday through the service."""
    return AssignmentFactory(actor=world["therapist"], patient=world["patient"],
                             template=world["template"], start_date=world["start"])


@pytest.fixture
def phone(app):
    """The patient's phone: a browser of its own, with no clinician login."""
    return app.test_client()


def session_form(world, day, **overrides):
    """A supervised session with every set at the bottom of the range, 20 kg on the squat."""
    data = {"performed_on": day.isoformat(), "path": "sets", "submission_key": key(),
            "ex0-set1-reps": "6", "ex0-set1-load": "20", "ex0-set2-reps": "6",
            "ex0-set2-load": "20", "ex1-set1-reps": "8", "ex1-set2-reps": "8",
            "ex2-set1-seconds": "20", "ex2-set2-seconds": "20", "duration_minutes": "40",
            "rpe": "5", "mood_before": "4", "mood_after": "6", "pain": "0",
            "pain_where": "", "note": "Steady today."}
    data.update(overrides)
    return data


# Assigning -------------------------------------------------------------------------------------


def test_assign_makes_a_snapshot_with_the_template_version(client, clinician, world):
    patient, template, therapist = world["patient"], world["template"], world["therapist"]
    assert template.version == 4
    page = client.get(f"/patients/{patient.id}")
    offered = form_of(page)
    assert offered.options["template_id"] == [str(template.id)]
    assert "Training program" in unescaped(page)

    response = clinician.post(f"/programs/patients/{patient.id}/assign", {
        "template_id": str(template.id), "start_date": world["start"].isoformat()},
        token_page=f"/patients/{patient.id}")
    assert response.status_code == 303
    [made] = rows(Assignment)
    assert response.headers["Location"] == f"/programs/assignments/{made.id}"
    assert (made.patient_id, made.template_id, made.template_version, made.name,
            made.level_position, made.status, made.start_date, made.assigned_by_id,
            made.link_revoked_at) == (patient.id, template.id, 4, "Strength basics", 0,
                                      "active", world["start"], therapist.id, None)
    snapshot = made.snapshot
    assert snapshot["template"] == {"id": template.id, "name": "Strength basics", "version": 4}
    assert [(lv["name"], lv["min_weeks"], lv["sessions_per_week"], lv["criteria"])
            for lv in snapshot["levels"]] == [("Home with weights", 3, 2, "Steady weeks."),
                                              ("Gym", 8, 2, "")]
    assert [(e["exercise_id"], e["name"], e["measure"], e["sets"], e["reps_min"],
             e["reps_max"], e["load_kind"], e["load_kg"], e["rest_seconds"], e["is_key"])
            for e in snapshot["levels"][0]["exercises"]] == [
        (world["squat"].id, "Goblet squat", "load_reps", 2, 6, 10, "kg", None, 90, True),
        (world["push"].id, "Push-up", "bodyweight_reps", 2, 8, 12, "bodyweight", None, 60,
         False),
        (world["plank"].id, "Plank", "hold_seconds", 2, 20, 30, "bodyweight", None, 60, False)]
    assert snapshot["levels"][0]["exercises"][0]["easier"] == {
        "exercise_id": builtin("bodyweight_squat").id, "name": "Bodyweight squat"}
    assert events(made.id) == [("assigned", therapist.id, "",
                                {"level": 0, "template_version": 4})]
    assert audit("program_assign") == [(therapist.id, made.id, patient.id,
                                        {"template": template.id, "version": 4})]
    # The stored token is only a hash of the link the clinician sees.
    program = client.get(response.headers["Location"])
    assert program.status_code == 200
    assert tokens.token_hash(token_on_page(program)) == made.token_hash
    assert "from template version 4" in flat(unescaped(program))

    patient_page = flat(unescaped(client.get(f"/patients/{patient.id}")))
    assert "<strong>Strength basics</strong></a> (active) · Level 1: Home with weights" in \
        patient_page
    assert "template_id" not in form_of(client.get(f"/patients/{patient.id}")).options


def test_editing_the_template_later_leaves_the_snapshot_alone(client, clinician, world,
                                                              assignment):
    template = world["template"]
    before = copy.deepcopy(fresh(Assignment, assignment.id).snapshot)
    url = f"/programs/templates/{template.id}"
    level_url = f"{url}/levels/{template.levels[0].id}"
    edited = clinician.post(level_url, {
        "name": "Renamed level", "min_weeks": "1", "sessions_per_week": "3", "criteria": "",
        "row0-exercise_id": str(world["push"].id), "row0-sets": "5", "row0-reps_min": "3",
        "row0-reps_max": "4", "row0-load_kind": "rpe", "row0-load_target": "7",
        "row0-rest_seconds": "30"}, token_page=level_url)
    assert edited.status_code == 303
    assert clinician.post(url, {"name": "Strength basics v2", "description": "New."},
                          token_page=url).status_code == 303
    assert clinician.post(f"{url}/levels", token_page=url).status_code == 303
    assert fresh(type(template), template.id).version == 7

    after = fresh(Assignment, assignment.id)
    assert after.snapshot == before
    assert (after.template_version, after.name) == (4, "Strength basics")
    page = flat(unescaped(client.get(f"/programs/assignments/{assignment.id}")))
    assert "Home with weights" in page
    assert "Goblet squat" in page and "2 \N{MULTIPLICATION SIGN} 6\N{EN DASH}10" in page
    assert "Renamed level" not in page
    assert "level 1 of 2" in page


def test_a_patient_has_one_current_program(client, clinician, world, assignment):
    patient, template = world["patient"], world["template"]
    data = {"template_id": str(template.id), "start_date": world["today"].isoformat()}
    refused = clinician.post(f"/programs/patients/{patient.id}/assign", data)
    assert refused.status_code == 422
    assert "The patient already has a program: complete it first." in unescaped(refused)
    assert form_of(refused).values["start_date"] == world["today"].isoformat()
    assert [a.id for a in rows(Assignment)] == [assignment.id]

    # Paused is still current.
    services.set_status(world["therapist"], assignment.id, "paused")
    assert clinician.post(f"/programs/patients/{patient.id}/assign", data).status_code == 422
    assert len(rows(Assignment)) == 1

    # Once it is completed, a new program can start.
    services.set_status(world["therapist"], assignment.id, "completed")
    again = clinician.post(f"/programs/patients/{patient.id}/assign", data)
    assert again.status_code == 303
    assert [a.status for a in rows(Assignment)] == ["completed", "active"]


def test_a_discharged_patient_cannot_be_assigned(client, clinician, world):
    patient = world["patient"]
    patient.status, patient.discharged_at = "discharged", utcnow()
    db.session.commit()
    page = client.get(f"/patients/{patient.id}")
    assert "template_id" not in form_of(page).options  # no assign form offered
    refused = clinician.post(f"/programs/patients/{patient.id}/assign", {
        "template_id": str(world["template"].id), "start_date": world["today"].isoformat()})
    assert refused.status_code == 422
    assert "<li>This patient is discharged: reactivate them first.</li>" in unescaped(refused)
    assert rows(Assignment) == []
    assert audit("program_assign") == []


# Level and target changes ----------------------------------------------------------------------


def test_a_level_change_needs_a_reason_and_leaves_an_event(client, clinician, world,
                                                           assignment):
    url = f"/programs/assignments/{assignment.id}/level"
    page_url = f"/programs/assignments/{assignment.id}"
    form = form_of(client.get(page_url))
    assert form.options["level"] == ["0", "1"]

    no_reason = clinician.post(url, {"level": "1", "reason": "  "}, token_page=page_url)
    assert no_reason.status_code == 303
    assert "Say why the level changes." in unescaped(client.get(page_url))
    assert fresh(Assignment, assignment.id).level_position == 0
    assert [e[0] for e in events(assignment.id)] == ["assigned"]

    # The service holds the rule too, whatever page calls it.
    with pytest.raises(ServiceError, match=r"^Say why the level changes\.$"):
        services.change_level(world["therapist"], assignment.id, 1, "   ")
    assert fresh(Assignment, assignment.id).level_position == 0

    out_of_range = clinician.post(url, {"level": "2", "reason": "Try"}, token_page=page_url)
    assert out_of_range.status_code == 303
    assert "Choose a level of this program." in unescaped(client.get(page_url))
    assert fresh(Assignment, assignment.id).level_position == 0

    started = utcnow()
    moved = clinician.post(url, {"level": "1", "reason": "Confident with the dumbbells."},
                           token_page=page_url)
    assert moved.status_code == 303
    assert fresh(Assignment, assignment.id).level_position == 1
    [change] = rows(AssignmentEvent, AssignmentEvent.kind == "level_change")
    assert (change.assignment_id, change.by_id, change.reason, change.detail) == (
        assignment.id, world["therapist"].id, "Confident with the dumbbells.",
        {"old": 0, "new": 1})
    assert started <= change.at <= utcnow()
    assert audit("program_level_change") == [(world["therapist"].id, assignment.id,
                                              world["patient"].id, {"old": 0, "new": 1})]
    page = flat(unescaped(client.get(page_url)))
    assert "level 2 of 2: <strong>Gym</strong>" in page
    assert "level change by Tess Therapist: Confident with the dumbbells." in page


def _set_load(world, assignment, load):
    services.change_target(world["therapist"], assignment.id, 0, {"load_kg": Decimal(load)},
                           "Starting load")


def test_a_load_jump_over_10_percent_needs_the_confirm_box(client, clinician, world,
                                                           assignment):
    _set_load(world, assignment, "40")
    url = f"/programs/assignments/{assignment.id}/targets/0"
    shown = form_of(client.get(url)).values
    assert (shown["sets"], shown["reps_min"], shown["reps_max"], shown["load_kg"]) == (
        "2", "6", "10", "40")
    data = {"sets": "2", "reps_min": "6", "reps_max": "10", "load_kg": "45",
            "reason": "Moving well."}

    refused = clinician.post(url, data, token_page=url)
    assert refused.status_code == 422
    assert f'<p class="error-message">{JUMP}</p>' in unescaped(refused)
    kept = form_of(refused)
    assert {k: kept.values[k] for k in data} == data
    assert "confirm_jump" not in kept.checked
    item = fresh(Assignment, assignment.id).snapshot["levels"][0]["exercises"][0]
    assert item["load_kg"] == "40"
    assert [e[0] for e in events(assignment.id)] == ["assigned", "target_change"]

    saved = clinician.post(url, {**data, "confirm_jump": "y"}, token_page=url)
    assert saved.status_code == 303
    item = fresh(Assignment, assignment.id).snapshot["levels"][0]["exercises"][0]
    assert (item["sets"], item["reps_min"], item["reps_max"], item["load_kg"]) == (
        2, 6, 10, "45")
    last = rows(AssignmentEvent, AssignmentEvent.kind == "target_change")[-1]
    assert (last.by_id, last.reason, last.detail) == (world["therapist"].id, "Moving well.", {
        "exercise": "Goblet squat", "index": 0,
        "old": {"sets": 2, "reps_min": 6, "reps_max": 10, "load_kg": "40"},
        "new": {"sets": 2, "reps_min": 6, "reps_max": 10, "load_kg": "45"}})
    assert audit("program_target_change")[-1] == (world["therapist"].id, assignment.id,
                                                  world["patient"].id, {"index": 0})

    # Exactly 10% is within the rule: no box needed.
    ten = clinician.post(url, {**data, "load_kg": "49.5"}, token_page=url)
    assert ten.status_code == 303
    item = fresh(Assignment, assignment.id).snapshot["levels"][0]["exercises"][0]
    assert item["load_kg"] == "49.5"


@pytest.mark.parametrize(("load", "message"), [
    ("-5", "Enter a load between 0 and 500 kg."),
    ("500.5", "Enter a load between 0 and 500 kg."),
    ("9999", "Enter a load between 0 and 500 kg."),
    ("abc", "Enter a load in kg, like 12.5."),
    ("nan", "Enter a load between 0 and 500 kg."),
    ("12.345", "Use at most two decimals."),
])
def test_absurd_loads_are_refused_at_the_field(client, clinician, world, assignment, load,
                                               message):
    _set_load(world, assignment, "40")
    url = f"/programs/assignments/{assignment.id}/targets/0"
    before = program_state(assignment.id)
    data = {"sets": "2", "reps_min": "6", "reps_max": "10", "load_kg": load,
            "reason": "Typed reason.", "confirm_jump": "y"}
    refused = clinician.post(url, data, token_page=url)
    assert refused.status_code == 422
    assert f'<p class="error-message" id="load_kg-error"><span>{message}</span>' in \
        unescaped(refused)
    kept = form_of(refused)
    assert kept.values["load_kg"] == load
    assert kept.values["reason"] == "Typed reason."
    assert program_state(assignment.id) == before


def test_a_target_range_out_of_order_is_refused(client, clinician, world, assignment):
    url = f"/programs/assignments/{assignment.id}/targets/1"
    before = program_state(assignment.id)
    refused = clinician.post(url, {"sets": "2", "reps_min": "12", "reps_max": "8",
                                   "load_kg": "", "reason": "Try"}, token_page=url)
    assert refused.status_code == 422
    assert "The lower end of the range must not be above the upper end." in unescaped(refused)
    assert program_state(assignment.id) == before
    assert client.get(f"/programs/assignments/{assignment.id}/targets/3").status_code == 404


# Status and the program link -------------------------------------------------------------------


def test_pause_resume_complete_each_leave_an_event(client, clinician, world, assignment,
                                                   phone):
    base = f"/programs/assignments/{assignment.id}"
    therapist = world["therapist"].id
    token = token_on_page(client.get(base))
    assert try_link(phone, token).status_code == 200

    assert clinician.post(f"{base}/status/paused", token_page=base).status_code == 303
    assert fresh(Assignment, assignment.id).status == "paused"
    paused_page = try_link(phone, token)
    assert paused_page.status_code == 200  # the link still opens while paused
    assert clinician.post(f"{base}/status/paused", token_page=base).status_code == 303
    assert "A program that is paused cannot become paused." in unescaped(client.get(base))

    assert clinician.post(f"{base}/status/active", token_page=base).status_code == 303
    assert fresh(Assignment, assignment.id).status == "active"
    assert clinician.post(f"{base}/status/completed", token_page=base).status_code == 303
    done = fresh(Assignment, assignment.id)
    assert done.status == "completed"
    assert done.link_revoked_at is not None
    assert events(assignment.id)[1:] == [
        ("pause", therapist, "", {"old": "active"}),
        ("resume", therapist, "", {"old": "paused"}),
        ("complete", therapist, "", {"old": "active"}),
    ]
    for action in ("program_pause", "program_resume", "program_complete"):
        assert audit(action) == [(therapist, assignment.id, world["patient"].id, {})]

    # Completed: the link stops, with the calm page; no way back to active.
    finished = phone.get("/p/")
    assert finished.status_code == 410
    assert "This program is finished" in unescaped(finished)
    reopened = try_link(phone, token)
    assert reopened.status_code == 410
    assert clinician.post(f"{base}/status/active", token_page=base).status_code == 303
    assert "A program that is completed cannot become active." in unescaped(client.get(base))
    assert clinician.post(f"{base}/link/rotate", token_page=base).status_code == 303
    assert "This program is completed." in unescaped(client.get(base))
    assert fresh(Assignment, assignment.id).status == "completed"
    assert try_link(phone, token).status_code == 410


def test_rotating_the_link_retires_the_old_one(client, clinician, world, assignment, app):
    base = f"/programs/assignments/{assignment.id}"
    old = token_on_page(client.get(base))
    old_hash = fresh(Assignment, assignment.id).token_hash

    assert clinician.post(f"{base}/link/rotate", token_page=base).status_code == 303
    page = client.get(base)
    assert "New link made; the old one no longer works." in unescaped(page)
    new = token_on_page(page)
    assert new != old
    current = fresh(Assignment, assignment.id)
    assert current.token_hash == tokens.token_hash(new) != old_hash
    assert [e[:2] for e in events(assignment.id)] == [
        ("assigned", world["therapist"].id), ("link_rotate", world["therapist"].id)]
    assert audit("program_link_rotate") == [(world["therapist"].id, assignment.id,
                                             world["patient"].id, {})]

    stale = app.test_client().get(f"/p/{old}")
    assert stale.status_code == 410  # the calm page, the same as for any made-up token
    assert "This link is no longer active" in unescaped(stale)
    working = try_link(app.test_client(), new)
    assert working.status_code == 200
    assert "Home with weights" in unescaped(working)


def test_a_phone_that_opened_the_old_link_is_cut_off_by_a_rotation(client, clinician, world,
                                                                   assignment, phone):
    """"The old one no longer works": a browser that opened it before must not keep the program."""
    base = f"/programs/assignments/{assignment.id}"
    old = token_on_page(client.get(base))
    assert try_link(phone, old).status_code == 200
    assert clinician.post(f"{base}/link/rotate", token_page=base).status_code == 303

    after = phone.get("/p/")
    assert after.status_code == 410
    assert "This link is no longer active" in unescaped(after)


def test_revoking_the_link_answers_a_calm_410(client, clinician, world, assignment, phone):
    base = f"/programs/assignments/{assignment.id}"
    token = token_on_page(client.get(base))
    assert try_link(phone, token).status_code == 200

    assert clinician.post(f"{base}/link/revoke", token_page=base).status_code == 303
    assert fresh(Assignment, assignment.id).link_revoked_at is not None
    assert events(assignment.id)[-1][:2] == ("link_revoke", world["therapist"].id)
    assert audit("program_link_revoke") == [(world["therapist"].id, assignment.id,
                                             world["patient"].id, {})]
    page = unescaped(client.get(base))
    assert "The link is stopped." in page
    assert "http://clinic.test/p/" not in page

    for response in (phone.get("/p/"), try_link(phone, token)):
        assert response.status_code == 410
        body = unescaped(response)
        assert "This link is no longer active" in body
        assert "ask your clinician for your current link." in body
        assert "Riverside" not in body  # a link that no longer works shows no clinic data
        assert "/login" not in body and "Log in" not in body  # the patient's calm layout
        assert "Home with weights" not in body
    # Nothing can be logged through it.
    posted = phone.post("/p/", data={"path": "as_prescribed",
                                     "performed_on": world["today"].isoformat(),
                                     "submission_key": key(),
                                     "csrf_token": csrf_token(phone, "/login")})
    assert posted.status_code == 410
    assert rows(SessionLog) == []

    # A new link works again.
    assert clinician.post(f"{base}/link/rotate", token_page=base).status_code == 303
    assert try_link(phone, token_on_page(client.get(base))).status_code == 200


# Supervised sessions ---------------------------------------------------------------------------


def test_a_supervised_session_is_logged_as_the_clinicians(client, clinician, world, assignment):
    url = f"/programs/assignments/{assignment.id}/sessions/new"
    page = client.get(url)
    assert page.status_code == 200
    assert "Marked as entered by you." in unescaped(page)
    day = world["today"] - timedelta(days=1)
    data = session_form(world, day)
    response = clinician.post(url, data)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/programs/assignments/{assignment.id}"
    [logged] = rows(SessionLog)
    assert (logged.assignment_id, logged.source, logged.entered_by_id, logged.performed_on,
            logged.status, logged.rpe, logged.duration_minutes, logged.mood_before,
            logged.mood_after, logged.pain, logged.note, logged.level_position) == (
        assignment.id, "clinician", world["therapist"].id, day, "done", 5, 40, 4, 6, 0,
        "Steady today.", 0)
    assert [(s.exercise_id, s.set_number, s.reps, s.load_kg, s.seconds, s.target_sets,
             s.target_reps_min, s.target_reps_max) for s in rows(SetLog)] == [
        (world["squat"].id, 1, 6, Decimal("20"), None, 2, 6, 10),
        (world["squat"].id, 2, 6, Decimal("20"), None, 2, 6, 10),
        (world["push"].id, 1, 8, None, None, 2, 8, 12),
        (world["push"].id, 2, 8, None, None, 2, 8, 12),
        (world["plank"].id, 1, None, None, 20, 2, 20, 30),
        (world["plank"].id, 2, None, None, 20, 2, 20, 30)]
    assert audit("session_log") == [(world["therapist"].id, logged.id, world["patient"].id,
                                     {"source": "clinician"})]
    assert "clinician: Tess Therapist" in unescaped(client.get(f"/programs/assignments/"
                                                          f"{assignment.id}"))

    # The same form sent twice is stored once.
    assert clinician.post(url, data).status_code == 303
    assert len(rows(SessionLog)) == 1


@pytest.mark.parametrize(("field", "value", "message"), [
    ("performed_on", "tomorrow", "The date cannot be in the future."),
    ("rpe", "11", "How hard: use a number from 0 to 10."),
    ("ex1-set2-reps", "-3", "Reps: use a number from 0 to 200."),
    ("ex0-set1-load", "501", "Enter a load between 0 and 500 kg."),
])
def test_a_bad_supervised_session_is_refused_and_kept(client, clinician, world, assignment,
                                                      field, value, message):
    if value == "tomorrow":
        value = (world["today"] + timedelta(days=1)).isoformat()
    url = f"/programs/assignments/{assignment.id}/sessions/new"
    data = session_form(world, world["today"], **{field: value})
    refused = clinician.post(url, data)
    assert refused.status_code == 422
    body = unescaped(refused)
    assert f'<p class="error-message" id="{field}-error">{message}</p>' in body
    assert "Everything else you entered is kept." in body
    kept = form_of(refused).values
    for name, typed in data.items():
        if name != "submission_key":
            assert kept[name] == typed, name
    assert rows(SessionLog) == []
    assert rows(SetLog) == []


def test_the_session_service_refuses_a_future_date_itself(world, assignment):
    tomorrow = world["today"] + timedelta(days=1)
    with pytest.raises(ServiceError, match=r"^The date cannot be in the future\.$") as refused:
        services.log_session(assignment.id, services_entry(world, tomorrow),
                             source="clinician", actor=world["therapist"])
    assert refused.value.field == "performed_on"
    assert rows(SessionLog) == []


def test_a_trainer_on_the_care_team_logs_a_supervised_session(client, auth, world, assignment):
    auth.login(world["trainer"].email)
    url = f"/programs/assignments/{assignment.id}/sessions/new"
    assert client.get(url).status_code == 200
    response = auth.post(url, session_form(world, world["today"]))
    assert response.status_code == 303
    [logged] = rows(SessionLog)
    assert (logged.source, logged.entered_by_id) == ("clinician", world["trainer"].id)
    assert "clinician: Tom Trainer" in unescaped(client.get(f"/programs/assignments/"
                                                       f"{assignment.id}"))


# Who may see and change a program --------------------------------------------------------------


@pytest.mark.parametrize("who", ["outsider", "foreign_admin"])
def test_out_of_scope_clinicians_get_404_on_every_program_route(client, auth, world,
                                                                assignment, who):
    # A session, so the strength chart exists for those in scope.
    services.log_session(assignment.id, services_entry(world), source="clinician",
                         actor=world["therapist"])
    base = f"/programs/assignments/{assignment.id}"
    chart = f"{base}/strength/{world['squat'].id}.svg"
    auth.login(world["admin"].email)  # the clinic's own admin sees it: the routes are real
    assert client.get(base).status_code == 200
    assert client.get(chart).status_code == 200
    auth.logout()

    before = program_state(assignment.id)
    sessions_before = len(rows(SessionLog))
    auth.login(world[who].email)
    routes = [
        ("GET", base, None),
        ("POST", f"{base}/level", {"level": "1", "reason": "Because."}),
        ("GET", f"{base}/targets/0", None),
        ("POST", f"{base}/targets/0", {"sets": "3", "reps_min": "6", "reps_max": "10",
                                       "load_kg": "10", "reason": "Because."}),
        ("POST", f"{base}/status/paused", {}),
        ("POST", f"{base}/status/completed", {}),
        ("POST", f"{base}/link/rotate", {}),
        ("POST", f"{base}/link/revoke", {}),
        ("GET", f"{base}/sessions/new", None),
        ("POST", f"{base}/sessions/new", session_form(world, world["today"])),
        ("GET", chart, None),
        ("POST", f"/programs/patients/{world['spare'].id}/assign", {
            "template_id": str(world["template"].id),
            "start_date": world["today"].isoformat()}),
        ("POST", f"/programs/patients/{world['patient'].id}/assign", {
            "template_id": str(world["template"].id),
            "start_date": world["today"].isoformat()}),
    ]
    for method, url, data in routes:
        response = client.get(url) if method == "GET" else auth.post(url, data)
        assert response.status_code == 404, (method, url, response.status_code)
    assert program_state(assignment.id) == before
    assert len(rows(SessionLog)) == sessions_before
    assert len(rows(Assignment)) == 1


def test_out_of_scope_clinicians_cannot_paused_program_resume(client, auth, world, assignment):
    services.set_status(world["therapist"], assignment.id, "paused")
    before = program_state(assignment.id)
    auth.login(world["outsider"].email)
    response = auth.post(f"/programs/assignments/{assignment.id}/status/active")
    assert response.status_code == 404
    assert program_state(assignment.id) == before


def services_entry(world, day=None, *, reps=6, load="20", rpe=5):
    """A session with every set as given (the service's input, as the form parser makes it)."""
    load_kg = Decimal(load) if load is not None else None
    return session_entry(
        day or world["today"], duration_minutes=40, rpe=rpe, mood_before=4, pain=None,
        sets={0: [{"reps": reps, "load_kg": load_kg, "seconds": None}] * 2,
              1: [{"reps": 12, "load_kg": None, "seconds": None}] * 2,
              2: [{"reps": None, "load_kg": None, "seconds": 30}] * 2})


# The assignment page: adherence, suggestions, strength trend -----------------------------------


def test_the_program_page_suggests_a_load_increase_and_approving_it_changes_the_snapshot(
        client, clinician, world, assignment):
    _set_load(world, assignment, "40")
    base = f"/programs/assignments/{assignment.id}"
    tuesday, thursday = world["start"] + timedelta(days=1), world["start"] + timedelta(days=3)
    for day in (tuesday, thursday):
        response = clinician.post(f"{base}/sessions/new", session_form(
            world, day, **{"ex0-set1-reps": "10", "ex0-set2-reps": "10", "ex0-set1-load": "40",
                           "ex0-set2-load": "40", "ex1-set1-reps": "12", "ex1-set2-reps": "12",
                           "ex2-set1-seconds": "30", "ex2-set2-seconds": "30"}))
        assert response.status_code == 303

    page = client.get(base)
    assert page.status_code == 200
    body = flat(unescaped(page))
    # Adherence: last week 2 of 2 planned, the week in progress not counted yet.
    assert "<strong>100%</strong> over the last 4 complete weeks · 2 sessions so far" in body
    assert (f"<tr><td>{format_day(world['start'])}</td><td>2</td><td>2</td><td>0</td>"
            f"<td>100%</td><td>400</td></tr>") in body
    # Suggestions: the squat's load goes up 2-10%, rounded to the 2.5 kg step.
    reason = ("Both working sets reached 10 reps at 40 kg or more in each of the last 2 "
              "sessions: raise the load from 40 kg to 42.5 kg (+6.3%) and start again at 6 "
              "reps.")
    assert f"<strong>Goblet squat</strong>: {reason}" in body
    assert f'href="{base}/targets/0">Review and approve' in body
    # Strength trend: the weekly best estimated 1RM, and best reps/seconds at the ladder step.
    e1rm = strength.epley(Decimal("40"), 10)
    assert e1rm == Decimal("53.33")
    assert f"<td>{format_day(world['start'])}</td><td>{e1rm}</td><td>+0.0%</td>" in body
    assert "Goblet squat <span class=\"muted\">kg (estimated 1RM)</span>" in body
    assert "Push-up <span class=\"muted\">best reps, ladder step 4</span>" in body
    assert "Plank <span class=\"muted\">best seconds, ladder step 3</span>" in body
    assert f'src="{base}/strength/{world["squat"].id}.svg?view=' in body

    # Approve: the form comes filled with the suggestion.
    target = client.get(f"{base}/targets/0")
    assert target.status_code == 200
    assert f"<strong>Suggested:</strong> {reason}" in flat(unescaped(target))
    filled = form_of(target).values
    assert (filled["sets"], filled["reps_min"], filled["reps_max"], filled["load_kg"],
            filled["reason"]) == ("2", "6", "10", "42.5", reason)
    approved = clinician.post(f"{base}/targets/0", {
        k: filled[k] for k in ("sets", "reps_min", "reps_max", "load_kg", "reason")},
        token_page=f"{base}/targets/0")
    assert approved.status_code == 303
    item = fresh(Assignment, assignment.id).snapshot["levels"][0]["exercises"][0]
    assert (item["sets"], item["reps_min"], item["reps_max"], item["load_kg"]) == (
        2, 6, 10, "42.5")
    change = rows(AssignmentEvent, AssignmentEvent.kind == "target_change")[-1]
    assert (change.by_id, change.reason, change.detail["old"]["load_kg"],
            change.detail["new"]["load_kg"]) == (world["therapist"].id, reason, "40", "42.5")
    # The evidence was used: no squat suggestion until two new sessions at 42.5 kg.
    after = flat(unescaped(client.get(base)))
    assert "<strong>Goblet squat</strong>:" not in after
    assert "42.5 kg" in after
    # Sets logged earlier keep the target they were done against.
    assert {s.target_load for s in rows(SetLog, SetLog.exercise_id == world["squat"].id)} == {
        "40"}


def test_the_strength_chart_is_an_svg(client, clinician, world, assignment):
    _set_load(world, assignment, "40")
    services.log_session(assignment.id, services_entry(world, world["start"], reps=8,
                                                       load="40"),
                         source="clinician", actor=world["therapist"])
    base = f"/programs/assignments/{assignment.id}"
    for exercise in ("squat", "push", "plank"):
        response = client.get(f"{base}/strength/{world[exercise].id}.svg")
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        root = svg_of(response)
        assert root.tag == f"{SVG}svg"
        assert root.find(f"{SVG}title") is not None
    title = svg_of(client.get(f"{base}/strength/{world['squat'].id}.svg")).find(
        f"{SVG}title").text
    assert title == "Goblet squat: weekly best"
    # An exercise with no logged sets has no chart.
    assert client.get(f"{base}/strength/{world['back_squat'].id}.svg").status_code == 404
