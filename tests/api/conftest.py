"""Two clinics, their clinicians, patients and program records, and bearer tokens for them.

Records are made by the real services, as in the route access table; tokens by the token
service's own hashing (creating them through ``POST /api/v1/tokens`` is tested on its own).
"""

import base64
from dataclasses import dataclass

import pytest
from factories import (
    TEST_PASSWORD,
    AssignmentFactory,
    ClinicFactory,
    ExerciseFactory,
    InvitationFactory,
    PatientFactory,
    ResponseFactory,
    TemplateFactory,
    UserFactory,
    builtin,
    level,
    level_row,
)
from helpers import hashed, make_token  # noqa: F401  (the API tests import it from here)

from clinic.alerts.services import alerts_of
from clinic.auth.models import Role
from clinic.measures import services as measures
from clinic.programs import services as programs


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
    response = ResponseFactory(actor=therapist, patient=patient, answers=[1] * 9)
    [alert] = alerts_of(response=response)

    builtin_exercise = builtin("sit_to_stand")
    own = ExerciseFactory(actor=admin, name="Step-up onto a low box")
    own_b = ExerciseFactory(actor=admin_b, name="Clinic B wall sit", equipment="wall",
                            measure="hold_seconds", ladder_step=3,
                            cues=["Back flat on the wall."])
    template = TemplateFactory(actor=admin, name="Program of Clinic A", description="Home.",
                               levels=[level(level_row(builtin_exercise), level_row(own))])
    [first_level] = template.levels
    template_b = TemplateFactory(actor=admin_b, name="Program of Clinic B", description="Home.",
                                 levels=[level(level_row(builtin_exercise), level_row(own_b))])
    today = programs.clinic_today(patient.id)
    assignment = AssignmentFactory(actor=therapist, patient=patient, template=template,
                                   start_date=today)
    assignment_b = AssignmentFactory(actor=therapist_b, patient=patient_b, template=template_b,
                                     start_date=today)
    invitation = InvitationFactory(actor=therapist, patient=patient, codes=["GAD-7"])
    schedule = measures.save_schedule(therapist, patient.id, measures.ScheduleInput(
        "WHO-5", 1, 0, today))
    member = next(m for m in patient.care_team if m.user_id == trainer.id)
    return World(admin, therapist, trainer, therapist2, admin_b, therapist_b, patient, patient_b,
                 response.id, alert.id, builtin_exercise.id, own.id, template.id, first_level.id,
                 template_b.id, own_b.id, assignment.id, assignment_b.id, invitation.id,
                 schedule.id, member.id)


@pytest.fixture
def world(app):
    return build_world()
