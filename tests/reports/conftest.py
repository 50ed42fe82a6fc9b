"""A patient with a full record for the report tests, made by the real services.

Clinic "Harbour Clinic": the therapist Robin Ash (primary) and the trainer Tom Lift on the
care team, a therapist off the team and another clinic's admin. The patient's episode began 35
days ago; PHQ-9 (one with the risk item, acknowledged), GAD-7 and RSES responses; a two-level
program with a loaded and a bodyweight exercise, five sessions over three weeks (one partial,
one skipped) with mood ratings, and a level change.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from factories import (
    AssignmentFactory,
    ClinicFactory,
    ExerciseFactory,
    PatientFactory,
    ResponseFactory,
    SessionFactory,
    TemplateFactory,
    UserFactory,
    builtin,
    level,
    level_row,
)

from clinic.alerts import services as alerts
from clinic.auth.models import Role
from clinic.extensions import db
from clinic.programs import services as programs


@dataclass
class Record:
    clinic: object
    therapist: object
    trainer: object
    outsider: object
    other_admin: object
    admin: object
    patient: object
    assignment_id: int
    responses: dict


PHQ9 = {27: [3, 3, 2, 2, 2, 1, 1, 1, 0], 13: [2, 2, 1, 1, 1, 1, 0, 0, 1],
        1: [1, 1, 1, 1, 0, 0, 0, 0, 0]}
GAD7 = {27: [2, 1, 1, 1, 1, 1, 1], 1: [1, 1, 1, 1, 1, 1, 0]}
RSES = {13: [2, 1, 2, 2, 1, 1, 2, 1, 1, 2]}


def make_record(*, name="Alex Example", therapist_name="Robin Ash", texts=None):
    """Build the record; ``texts`` replaces free text (names, notes, reasons) by payloads."""
    texts = texts or {}
    now = datetime.now(UTC)
    clinic = ClinicFactory(name=texts.get("clinic", "Harbour Clinic"))
    therapist = UserFactory(clinic=clinic, name=therapist_name, email="robin@harbour.test")
    trainer = UserFactory(clinic=clinic, name=texts.get("trainer", "Tom Lift"),
                          role=Role.TRAINER, email="tom@harbour.test")
    outsider = UserFactory(clinic=clinic, name="Kim Birch", email="kim@harbour.test")
    admin = UserFactory(clinic=clinic, name="Ada Admin", role=Role.ADMIN,
                        email="ada@harbour.test")
    other_admin = UserFactory(clinic=ClinicFactory(name="Other Clinic"), role=Role.ADMIN,
                              email="admin@other.test")
    patient = PatientFactory(clinic=clinic, display_name=name, reference="HC-42",
                             primary=therapist, team=[trainer],
                             episode_start=now - timedelta(days=35))
    db.session.commit()

    responses = {}
    for code, series in (("PHQ-9", PHQ9), ("GAD-7", GAD7), ("RSES", RSES)):
        for days_ago, answers in series.items():
            responses[(code, days_ago)] = ResponseFactory(
                actor=therapist, patient=patient, code=code, answers=answers,
                completed_at=now - timedelta(days=days_ago))
    [risk] = alerts.alerts_of(response=responses[("PHQ-9", 13)])
    alerts.acknowledge_alert(therapist, risk.id,
                             texts.get("alert_note", "Called Alex; safety plan reviewed."))

    own = ExerciseFactory(actor=therapist, name=texts.get("exercise", "Box step-up"),
                          cues=["Whole foot on the box."])
    rows = [level_row(builtin("dumbbell_floor_press"), load_kind="kg"),
            level_row(own, is_key=False)]
    template = TemplateFactory(
        actor=therapist, name=texts.get("program", "Harbour strength"),
        description="Two levels.", levels=[
            level(*rows, name=texts.get("level", "Foundations"), min_weeks=1),
            level(*rows, name="Building", min_weeks=1)])
    today = programs.clinic_today(patient.id)
    start = today - timedelta(days=21 + today.weekday())
    assignment = AssignmentFactory(actor=therapist, patient=patient, template=template,
                                   start_date=start)

    def log(offset, status, sets, mood, key, **extra):
        SessionFactory(assignment=assignment, performed_on=start + timedelta(days=offset),
                       status=status, skip_reason=extra.get("skip_reason"),
                       duration_minutes=40, rpe=6, mood_before=mood[0], mood_after=mood[1],
                       note=texts.get("session_note", "Felt steady."), submission_key=key,
                       sets=sets)

    def kg(reps, load):
        return {"reps": reps, "load_kg": Decimal(load), "seconds": None}

    def bw(reps):
        return {"reps": reps, "load_kg": None, "seconds": None}

    log(0, "done", {0: [kg(10, "12.5")] * 2, 1: [bw(10)] * 2}, (4, 6), "s1")
    log(3, "partial", {1: [bw(8)]}, (3, 5), "s2")
    log(8, "done", {0: [kg(8, "15")] * 2, 1: [bw(12)] * 2}, (5, 7), "s3")
    log(11, "skipped", {}, (None, None), "s4", skip_reason="low_mood")
    log(16, "done", {0: [kg(10, "15")] * 2, 1: [bw(12)] * 2}, (5, 6), "s5")
    programs.change_level(therapist, assignment.id, 1,
                          texts.get("level_reason", "Ready for more: all sets at the top."))
    db.session.commit()
    return Record(clinic, therapist, trainer, outsider, other_admin, admin, patient,
                  assignment.id, responses)


@pytest.fixture
def record(app):
    return make_record()
