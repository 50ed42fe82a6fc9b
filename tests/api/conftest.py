"""Two clinics, their clinicians, patients and program records, and bearer tokens for them.

Records are made by the real services, as in the route access table; tokens by the token
service's own hashing (creating them through ``POST /api/v1/tokens`` is tested on its own).
"""

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from factories import TEST_PASSWORD, ClinicFactory, PatientFactory, UserFactory

from clinic.alerts.services import alerts_of
from clinic.auth.api_tokens import ApiToken
from clinic.auth.models import Role
from clinic.catalogue import services as catalogue
from clinic.catalogue.models import Exercise
from clinic.database import utcnow, write_transaction
from clinic.extensions import db
from clinic.measures import services as measures
from clinic.programs import services as programs


def make_token(user, *, expires_in=timedelta(days=30), revoked=False):
    """A token row as the service writes one (only the SHA-256 stored); returns the token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(ApiToken(user_id=user.id, token_hash=hashlib.sha256(token.encode()).hexdigest(),
                            created_at=now - timedelta(days=1), expires_at=now + expires_in,
                            revoked_at=now if revoked else None))
    db.session.commit()
    return token


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def basic(email, password=TEST_PASSWORD):
    raw = base64.b64encode(f"{email}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@dataclass
class World:
    admin: object
    therapist: object
    trainer: object
    therapist2: object
    admin_b: object
    therapist_b: object
    patient: object
    patient_b: object
    response_id: int
    alert_id: int
    builtin_id: int
    own_exercise_id: int
    template_id: int
    level_id: int
    template_b_id: int
    own_exercise_b_id: int
    assignment_id: int
    assignment_b_id: int
    invitation_id: int
    schedule_id: int
    member_id: int

    def token(self, who):
        return make_token(getattr(self, who))

    def headers(self, who):
        return bearer(self.token(who))


def _program(admin, patient, therapist, exercises):
    template = catalogue.create_template(admin, f"Program of {admin.clinic.name}", "Home.")
    [level] = template.levels
    row = {"sets": 2, "reps_min": 8, "reps_max": 12, "load_kind": "bodyweight",
           "load_target": "", "rest_seconds": 90, "is_key": True}
    catalogue.save_level(admin, template.id, level.id,
                         {"name": "Getting started", "min_weeks": 2, "sessions_per_week": 2,
                          "criteria": ""},
                         [{"exercise_id": e.id, **row} for e in exercises])
    return template, level


def build_world():
    clinic_a, clinic_b = ClinicFactory(name="Clinic A"), ClinicFactory(name="Clinic B")
    admin = UserFactory(clinic=clinic_a, role=Role.ADMIN, email="admin@a.test")
    therapist = UserFactory(clinic=clinic_a, role=Role.THERAPIST, email="therapist@a.test")
    trainer = UserFactory(clinic=clinic_a, role=Role.TRAINER, email="trainer@a.test")
    therapist2 = UserFactory(clinic=clinic_a, role=Role.THERAPIST, email="therapist2@a.test")
    admin_b = UserFactory(clinic=clinic_b, role=Role.ADMIN, email="admin@b.test")
    therapist_b = UserFactory(clinic=clinic_b, role=Role.THERAPIST, email="therapist@b.test")
    patient = PatientFactory(clinic=clinic_a, primary=therapist, team=[trainer],
                             display_name="Alex A", reference="A-1")
    patient_b = PatientFactory(clinic=clinic_b, primary=therapist_b, display_name="Bea B",
                               reference="B-1")
    response = measures.record_clinician_response(
        therapist, patient.id, "PHQ-9", [1, 1, 1, 1, 1, 1, 1, 1, 1],
        datetime.now(UTC) - timedelta(hours=1))
    [alert] = alerts_of(response=response)

    write_transaction(catalogue.sync_builtin_exercises)()
    builtin = db.session.scalar(sa.select(Exercise).where(Exercise.clinic_id.is_(None),
                                                          Exercise.slug == "sit_to_stand"))
    own = catalogue.create_exercise(admin, {
        "name": "Step-up onto a low box", "pattern": "squat", "setting": "home",
        "equipment": "low box", "measure": "bodyweight_reps", "ladder_step": 2,
        "cues": ["Step up with your whole foot on the box."], "easier_tip": None})
    own_b = catalogue.create_exercise(admin_b, {
        "name": "Clinic B wall sit", "pattern": "squat", "setting": "home",
        "equipment": "wall", "measure": "hold_seconds", "ladder_step": 3,
        "cues": ["Back flat on the wall."], "easier_tip": None})
    template, level = _program(admin, patient, therapist, [builtin, own])
    template_b, _level_b = _program(admin_b, patient_b, therapist_b, [builtin, own_b])
    today = programs.clinic_today(patient.id)
    assignment = programs.assign_program(therapist, patient.id, template.id, today)
    assignment_b = programs.assign_program(therapist_b, patient_b.id, template_b.id, today)
    invitation = measures.create_adhoc_invitation(therapist, patient.id, ["GAD-7"])
    schedule = measures.save_schedule(therapist, patient.id, measures.ScheduleInput(
        "WHO-5", 1, 0, today))
    member = next(m for m in patient.care_team if m.user_id == trainer.id)
    return World(admin, therapist, trainer, therapist2, admin_b, therapist_b, patient, patient_b,
                 response.id, alert.id, builtin.id, own.id, template.id, level.id,
                 template_b.id, own_b.id, assignment.id, assignment_b.id, invitation.id,
                 schedule.id, member.id)


@pytest.fixture
def world(app):
    return build_world()
