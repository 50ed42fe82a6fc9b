"""``flask create-user``: bootstrap a clinic and its first accounts from the command line."""

import sqlalchemy as sa
from conftest import AuthActions
from factories import ClinicFactory
from helpers import rows

from clinic.audit.models import AuditEvent
from clinic.auth.models import Clinic, Role, User
from clinic.auth.passwords import verify_password
from clinic.extensions import db

PASSWORD = "a-long-enough-password"


def create_user(
    runner,
    email="first@newclinic.example",
    name="Fran First",
    role="admin",
    clinic="New Clinic",
    password=PASSWORD,
):
    return runner.invoke(
        args=[
            "create-user",
            "--email",
            email,
            "--name",
            name,
            "--role",
            role,
            "--clinic",
            clinic,
            "--password",
            password,
        ]
    )


def test_create_user_creates_the_clinic_and_the_user(app, runner):
    result = create_user(runner)

    assert result.exit_code == 0, result.output
    assert "Created admin first@newclinic.example in clinic 'New Clinic'." in result.output
    [clinic] = rows(Clinic)
    assert clinic.name == "New Clinic"
    [user] = rows(User)
    assert (user.email, user.name, user.role, user.active) == (
        "first@newclinic.example",
        "Fran First",
        Role.ADMIN,
        True,
    )
    assert user.clinic_id == clinic.id
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, PASSWORD)
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["clinic_create", "user_create"]
    # The account works on the real login page.
    browser = AuthActions(app.test_client())
    assert browser.login("first@newclinic.example", PASSWORD).status_code == 303


def test_create_user_adds_to_an_existing_clinic(runner):
    existing = ClinicFactory(name="Existing Clinic")

    result = create_user(runner, clinic="Existing Clinic", role="therapist")

    assert result.exit_code == 0, result.output
    assert len(rows(Clinic)) == 1
    [user] = rows(User)
    assert user.clinic_id == existing.id
    assert user.role == Role.THERAPIST


def test_create_user_stores_the_email_lower_case(runner):
    result = create_user(runner, email="Fran.First@NewClinic.Example")

    assert result.exit_code == 0, result.output
    assert [u.email for u in rows(User)] == ["fran.first@newclinic.example"]


def test_a_second_run_with_the_same_email_fails_clearly(runner):
    assert create_user(runner).exit_code == 0

    result = create_user(
        runner, email="FIRST@newclinic.example", name="Someone Else", clinic="Another Clinic"
    )

    assert result.exit_code != 0
    assert "Another account already uses this email address." in result.output
    assert "Traceback" not in result.output
    assert [u.name for u in rows(User)] == ["Fran First"]
    assert [c.name for c in rows(Clinic)] == ["New Clinic"]  # nothing half-created


def test_a_short_password_fails_and_creates_nothing(runner):
    result = create_user(runner, password="short")

    assert result.exit_code != 0
    assert "Use at least 12 characters" in result.output
    assert rows(User) == []
    assert rows(Clinic) == []


def test_an_unknown_role_fails_and_creates_nothing(runner):
    result = create_user(runner, role="superuser")

    assert result.exit_code != 0
    assert "superuser" in result.output
    assert "therapist" in result.output  # the valid choices are named
    assert rows(User) == []
    assert rows(Clinic) == []
