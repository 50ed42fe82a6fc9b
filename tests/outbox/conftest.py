"""The outbox tests' small world: a clinic, a patient and a care team of three (one inactive),
a colleague off the team, and an SMTP sink on 127.0.0.1 when a test asks for ``sink``."""

import pytest
from factories import ClinicFactory, PatientFactory, UserFactory

from clinic.auth.models import Role

NAME = "Zebedee Quill"
REFERENCE = "ZQ-4242"
PATIENT_EMAIL = "zebedee@example.org"


@pytest.fixture
def config_overrides(request):
    if "sink" in request.fixturenames:
        return {"SMTP_URL": request.getfixturevalue("sink").url}
    return {}


@pytest.fixture
def clinic(app):
    return ClinicFactory(name="Riverside Clinic", timezone="Europe/Berlin")


@pytest.fixture
def therapist(clinic):
    return UserFactory(clinic=clinic, role=Role.THERAPIST, email="ther@riverside.test")


@pytest.fixture
def trainer(clinic):
    return UserFactory(clinic=clinic, role=Role.TRAINER, email="trainer@riverside.test")


@pytest.fixture
def former(clinic):
    return UserFactory(clinic=clinic, role=Role.THERAPIST, email="former@riverside.test",
                       active=False)


@pytest.fixture
def bystander(clinic):
    return UserFactory(clinic=clinic, role=Role.THERAPIST, email="bystander@riverside.test")


@pytest.fixture
def admin(clinic):
    return UserFactory(clinic=clinic, role=Role.ADMIN, email="admin@riverside.test")


@pytest.fixture
def patient(clinic, therapist, trainer, former, bystander):
    return PatientFactory(clinic=clinic, primary=therapist, team=[trainer, former],
                          display_name=NAME, reference=REFERENCE, email=PATIENT_EMAIL)
