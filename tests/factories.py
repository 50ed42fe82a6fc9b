"""factory-boy factories bound to the Flask-SQLAlchemy session (rows are flushed, not committed)."""

import functools
import itertools

import factory
from factory.alchemy import SQLAlchemyModelFactory
from flask import current_app, has_app_context

from clinic.auth.models import Clinic, Role, User
from clinic.auth.passwords import hash_password
from clinic.extensions import db
from clinic.patients.models import CareTeamMember, Patient

TEST_PASSWORD = "correct horse battery staple"


def test_password_hash():
    """One real Argon2id hash per run and password profile: hashing is deliberately slow, and a
    hash of another profile would be upgraded (rehashed) at every login."""
    profile = (current_app.config.get("PASSWORD_HASH_PROFILE", "standard")
               if has_app_context() else "standard")
    return _password_hash_for(profile)


@functools.cache
def _password_hash_for(profile):
    return hash_password(TEST_PASSWORD)  # with the current app's profile, which is ``profile``


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class ClinicFactory(BaseFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")


class UserFactory(BaseFactory):
    class Meta:
        model = User

    clinic = factory.SubFactory(ClinicFactory)
    email = factory.Sequence(lambda n: f"clinician{n}@clinic.test")
    name = factory.Sequence(lambda n: f"Clinician {n}")
    role = Role.THERAPIST
    password_hash = factory.LazyFunction(test_password_hash)


_references = itertools.count(1000)


class PatientFactory(BaseFactory):
    """A patient; pass ``primary=user`` (and ``team=[...]``) to build the care team."""

    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    display_name = factory.Sequence(lambda n: f"Patient {n}")
    reference = factory.LazyFunction(lambda: f"REF-{next(_references)}")
    status = "active"

    @factory.post_generation
    def primary(self, create, user, **kwargs):
        if user is not None:
            self.care_team.append(CareTeamMember(user=user, is_primary=True))
            db.session.commit()

    @factory.post_generation
    def team(self, create, users, **kwargs):
        for user in users or ():
            self.care_team.append(CareTeamMember(user=user, is_primary=False))
        if users:
            db.session.commit()
