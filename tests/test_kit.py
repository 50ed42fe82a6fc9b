"""The shared test kit builds honest worlds: each factory's defaults give the smallest valid
record, made by the service that owns its rules (snapshot, version, alerts, audit rows)."""

import pytest
from factories import (
    AssignmentFactory,
    ExerciseFactory,
    InvitationFactory,
    PatientFactory,
    ResponseFactory,
    SessionFactory,
    TemplateFactory,
    UserFactory,
    builtin,
    builtin_library,
    level,
    level_row,
    link_token,
    program_token,
    starter_templates,
)
from helpers import audit_events, count, open_link, rows

from clinic.alerts.models import Alert
from clinic.catalogue.models import Exercise, ProgramTemplate


def test_an_assignment_by_default_is_one_clinicians_one_level_program(app):
    assignment = AssignmentFactory()
    [level_] = assignment.snapshot["levels"]
    [item] = level_["exercises"]
    assert (item["sets"], item["reps_min"], item["reps_max"], item["load_kind"]) == (
        2, 8, 12, "bodyweight")
    assert assignment.patient.care_team[0].user_id == assignment.assigned_by_id
    assert count(Exercise, Exercise.clinic_id.is_(None)) == 0  # no library unless asked for
    assert [e.object_id for e in audit_events("program_assign")] == [assignment.id]
    # create, then save the level: the version the snapshot was taken from
    assert assignment.template_version == 2


def test_a_template_saves_each_level_through_the_editor_service(app):
    therapist = UserFactory()
    squat = ExerciseFactory(actor=therapist, name="Box squat")
    template = TemplateFactory(actor=therapist, levels=[
        level(level_row(squat), name="One"),
        level(level_row(squat, sets=3, is_key=False), name="Two", min_weeks=4)])
    assert [(lv.name, lv.min_weeks, [e.sets for e in lv.exercises])
            for lv in rows(ProgramTemplate)[0].levels] == [("One", 2, [2]), ("Two", 4, [3])]
    assert template.version == 4  # create, save, add, save
    assert TemplateFactory(actor=therapist, levels=[]).levels[0].exercises == []


def test_a_session_and_a_program_link_work_for_the_patient(app):
    session = SessionFactory(rpe=6)
    assert (session.source, session.rpe, len(session.sets)) == ("patient", 6, 1)
    page = open_link(app.test_client(), program_token(session.assignment))
    assert page.status_code == 200


def test_a_response_raises_its_alerts_and_an_invitation_opens(app):
    therapist = UserFactory()
    patient = PatientFactory(clinic=therapist.clinic, primary=therapist)
    response = ResponseFactory(actor=therapist, patient=patient, answers=[0] * 8 + [1])
    assert [(a.kind, a.response_id) for a in rows(Alert)] == [("risk_item", response.id)]
    invitation = InvitationFactory(actor=therapist, patient=patient, codes=["GAD-7"])
    assert open_link(app.test_client(), link_token(invitation), "q").status_code == 200


def test_the_library_and_starters_are_installed_once(app):
    therapist = UserFactory()
    assert builtin_library() > 0
    assert builtin_library() == 0
    assert builtin("goblet_squat").clinic_id is None
    names = starter_templates(therapist.clinic)
    assert starter_templates(therapist.clinic) == names


def test_service_factories_have_no_unsaved_build(app):
    with pytest.raises(TypeError, match="through a service"):
        AssignmentFactory.build()
