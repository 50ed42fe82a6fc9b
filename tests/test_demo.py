"""`flask seed-demo` builds the demo clinic once, and its accounts can log in."""

import sqlalchemy as sa

from clinic.auth.models import Role, User
from clinic.extensions import db
from clinic.patients.models import CareTeamMember, Patient


def counts():
    return (db.session.scalar(sa.select(sa.func.count(User.id))),
            db.session.scalar(sa.select(sa.func.count(Patient.id))),
            db.session.scalar(sa.select(sa.func.count(CareTeamMember.id))))


def test_seed_demo_is_idempotent(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.test" in first.output
    assert "liftclinic-demo" in first.output
    after_first = counts()
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    db.session.rollback()
    assert counts() == after_first
    users, patients, _members = after_first
    assert users == 4
    assert 10 <= patients <= 15


def test_demo_clinic_has_every_role_and_varied_care_teams(runner):
    runner.invoke(args=["seed-demo"])
    roles = sorted(db.session.scalars(sa.select(User.role)))
    assert roles == sorted([Role.ADMIN, Role.THERAPIST, Role.THERAPIST, Role.TRAINER])
    statuses = set(db.session.scalars(sa.select(Patient.status)))
    assert statuses == {"active", "discharged"}
    primaries = set(db.session.scalars(
        sa.select(CareTeamMember.user_id).where(CareTeamMember.is_primary.is_(True))
    ))
    assert len(primaries) >= 3  # patients are spread over several clinicians


def test_demo_accounts_log_in_with_the_documented_password(runner, client, auth):
    runner.invoke(args=["seed-demo"])
    for email in ("admin@demo.test", "therapist@demo.test", "therapist2@demo.test",
                  "trainer@demo.test"):
        response = auth.login(email, "liftclinic-demo")
        assert response.status_code == 303, email
        auth.logout()


def test_demo_password_can_be_set_from_the_environment(runner, auth, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-password")
    result = runner.invoke(args=["seed-demo"])
    assert "liftclinic-demo" not in result.output
    assert auth.login("therapist@demo.test", "another-demo-password").status_code == 303
