"""``flask seed-demo``: a demo clinic to try LiftClinic with. Fictional people only."""

import os
from datetime import date, timedelta

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from clinic.audit.services import record
from clinic.auth.models import Clinic, Role, User
from clinic.auth.passwords import hash_password
from clinic.database import utcnow, write_transaction
from clinic.extensions import db
from clinic.patients.models import ACTIVE, DISCHARGED, CareTeamMember, Patient

DEMO_CLINIC = "Demo Clinic"
DEFAULT_DEMO_PASSWORD = "liftclinic-demo"  # noqa: S105 (public demo accounts, documented)

DEMO_USERS = [
    ("admin@demo.test", "Ada Admin", Role.ADMIN),
    ("therapist@demo.test", "Theo Therapist", Role.THERAPIST),
    ("therapist2@demo.test", "Rina Rao", Role.THERAPIST),
    ("trainer@demo.test", "Tom Trainer", Role.TRAINER),
]

# reference, display name, primary, other team members, status, year of birth
DEMO_PATIENTS = [
    ("LC-1001", "Sam Okafor", "therapist@demo.test", ["trainer@demo.test"], ACTIVE, 1988),
    ("LC-1002", "Jo Lindqvist", "therapist@demo.test", [], ACTIVE, 1995),
    ("LC-1003", "Priya Natarajan", "therapist@demo.test", ["trainer@demo.test"], ACTIVE, 1979),
    ("LC-1004", "Marek Nowak", "therapist@demo.test", [], DISCHARGED, 1969),
    ("LC-1005", "Aisha Bello", "therapist2@demo.test", ["trainer@demo.test"], ACTIVE, 2001),
    ("LC-1006", "Liam Byrne", "therapist2@demo.test", [], ACTIVE, 1992),
    ("LC-1007", "Chen Wei", "therapist2@demo.test", ["therapist@demo.test"], ACTIVE, 1984),
    ("LC-1008", "Noor Haddad", "therapist2@demo.test", [], DISCHARGED, 1975),
    ("LC-1009", "Eva Kowalski", "trainer@demo.test", ["therapist@demo.test"], ACTIVE, 1998),
    ("LC-1010", "Kofi Mensah", "trainer@demo.test", [], ACTIVE, 1990),
    ("LC-1011", "Rosa Alvarez", "therapist@demo.test", ["therapist2@demo.test"], ACTIVE, 1966),
    ("LC-1012", "Ben Carter", "therapist2@demo.test", ["trainer@demo.test"], ACTIVE, 2003),
]


@write_transaction
def seed_demo(password):
    """Create what is missing of the demo clinic; rows that exist are left as they are."""
    clinic = db.session.scalar(sa.select(Clinic).where(Clinic.name == DEMO_CLINIC))
    if clinic is None:
        clinic = Clinic(name=DEMO_CLINIC)
        db.session.add(clinic)
        db.session.flush()
    password_hash = None
    users = {}
    created = 0
    for email, name, role in DEMO_USERS:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            password_hash = password_hash or hash_password(password)
            user = User(clinic=clinic, email=email, name=name, role=role,
                        password_hash=password_hash)
            db.session.add(user)
            db.session.flush()
            record("user_create", actor_kind="system", clinic_id=clinic.id, obj=user, role=role)
            created += 1
        users[email] = user
    for reference, name, primary, others, status, year in DEMO_PATIENTS:
        exists = db.session.scalar(
            sa.select(Patient.id).where(Patient.clinic_id == clinic.id,
                                        Patient.reference == reference)
        )
        if exists:
            continue
        patient = Patient(clinic_id=clinic.id, reference=reference, display_name=name,
                          status=status, date_of_birth=date(year, 1 + year % 12, 1 + year % 27),
                          created_by_id=users[primary].id)
        if status == DISCHARGED:
            patient.discharged_at = utcnow() - timedelta(days=30)
        patient.care_team.append(CareTeamMember(user=users[primary], is_primary=True))
        for email in others:
            patient.care_team.append(CareTeamMember(user=users[email]))
        db.session.add(patient)
        db.session.flush()
        record("patient_create", actor_kind="system", clinic_id=clinic.id, obj=patient,
               patient_id=patient.id)
        created += 1
    return created


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Create (idempotently) the demo clinic, its four accounts and a dozen patients."""
    password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
    created = seed_demo(password)
    click.echo(f"Demo clinic ready ({created} new rows). Log in as one of:")
    for email, _name, role in DEMO_USERS:
        click.echo(f"  {email:<24} {role.label}")
    click.echo("Password: " + ("$DEMO_PASSWORD" if os.environ.get("DEMO_PASSWORD")
                               else DEFAULT_DEMO_PASSWORD))
