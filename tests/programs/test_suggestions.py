"""Suggestions come from the logs; a clinician approves or declines each, nothing changes alone."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from factories import (
    AssignmentFactory,
    ClinicFactory,
    PatientFactory,
    SessionFactory,
    UserFactory,
    starter_templates,
)

from clinic.extensions import db
from clinic.programs import progress_review, services
from clinic.programs.models import Assignment, AssignmentEvent


@pytest.fixture
def world(app):
    clinic = ClinicFactory()
    therapist = UserFactory(clinic=clinic, email="t@clinic.test")
    patient = PatientFactory(clinic=clinic, primary=therapist)
    template_id = starter_templates(clinic)["Barbell basics"]
    today = services.clinic_today(patient.id)
    # Started a week ago: one entry a day (the patient's rule) leaves room for six sessions.
    assignment = AssignmentFactory(actor=therapist, patient=patient, template=template_id,
                                   start_date=today - timedelta(days=7))
    # The clinician sets a starting load for the first exercise (a squat), by hand.
    services.change_target(therapist, assignment.id, 0, {"load_kg": Decimal("40")},
                           "Starting load agreed in session.")
    return {"therapist": therapist, "assignment_id": assignment.id, "today": today}


def log_top_of_range(world, key, rpe=5):
    assignment = db.session.get(Assignment, world["assignment_id"])
    level = assignment.current_level
    sets = {}
    for index, item in enumerate(level["exercises"]):
        load = Decimal(item["load_kg"]) if item.get("load_kg") else None
        sets[index] = [{"reps": item["reps_max"], "load_kg": load, "seconds": None}
                       for _ in range(item["sets"])]
    world["logged"] = world.get("logged", 0) + 1  # the next day, up to today
    day = world["today"] - timedelta(days=6 - world["logged"])
    SessionFactory(assignment=assignment, performed_on=day, duration_minutes=40,
                   rpe=rpe, submission_key=key, sets=sets)


def squat_suggestion(world):
    db.session.expire_all()
    assignment = db.session.get(Assignment, world["assignment_id"])
    return next((s for s in progress_review.suggestions(assignment) if s.index == 0), None)


def test_two_sessions_at_the_top_of_the_range_suggest_more_load(world):
    log_top_of_range(world, "a")
    assert squat_suggestion(world) is None  # one session is not enough
    log_top_of_range(world, "b")
    suggestion = squat_suggestion(world)
    assert suggestion.suggestion.kind in ("increase_load", "extend_range")
    assert suggestion.reason  # a sentence the clinician reads


def test_nothing_changes_until_a_clinician_acts(world):
    log_top_of_range(world, "a")
    log_top_of_range(world, "b")
    assert squat_suggestion(world) is not None
    db.session.expire_all()
    assignment = db.session.get(Assignment, world["assignment_id"])
    assert assignment.current_level["exercises"][0]["load_kg"] == "40"


def test_a_declined_suggestion_is_an_event_and_needs_fresh_sessions_to_return(
        world, client, auth):
    log_top_of_range(world, "a")
    log_top_of_range(world, "b")
    kind = squat_suggestion(world).suggestion.kind
    auth.login("t@clinic.test")
    aid = world["assignment_id"]
    response = auth.post(f"/programs/assignments/{aid}/suggestions/0/decline",
                         {"kind": kind, "reason": "Knee niggle: hold for now."},
                         token_page=f"/programs/assignments/{aid}")
    assert response.status_code == 303
    assert squat_suggestion(world) is None
    event = db.session.scalar(sa.select(AssignmentEvent).where(
        AssignmentEvent.kind == "suggestion_declined"))
    assert (event.detail["index"], event.detail["suggestion"], event.reason) == (
        0, kind, "Knee niggle: hold for now.")
    log_top_of_range(world, "c")
    assert squat_suggestion(world) is None  # one new session is not enough
    log_top_of_range(world, "d")
    assert squat_suggestion(world) is not None


def test_hard_sessions_block_progression(world):
    log_top_of_range(world, "a", rpe=8)
    log_top_of_range(world, "b", rpe=8)
    assert squat_suggestion(world).suggestion.kind == "hold"
