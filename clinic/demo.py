"""``flask seed-demo``: a demo clinic to try LiftClinic with. Fictional people only."""

import os
from datetime import date, timedelta

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from clinic.audit.services import record
from clinic.auth.models import Clinic, Role, User
from clinic.auth.passwords import hash_password
from clinic.catalogue.models import ProgramTemplate
from clinic.catalogue.services import install_starters, sync_builtin_exercises
from clinic.database import utcnow, write_transaction
from clinic.extensions import db
from clinic.measures.instruments import get_instrument
from clinic.measures.models import Invitation, MeasureSchedule
from clinic.measures.scoring import score
from clinic.measures.services import store_response
from clinic.patients.models import ACTIVE, DISCHARGED, CareTeamMember, Episode, Patient
from clinic.programs.models import Assignment, SessionLog, SetLog
from clinic.programs.services import snapshot_of as program_snapshot
from clinic.tokens import PROGRAM, QUESTIONNAIRE, mint_link, new_salt

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


# Weekly PHQ-9 and GAD-7 totals over the last weeks, oldest first, as answer vectors built by
# _answers_for. Fictional trajectories: improving, stuck, deteriorating with a risk answer.
DEMO_HISTORY = {
    "LC-1001": {"PHQ-9": [17, 16, 14, 13, 11, 9, 8, 7], "GAD-7": [13, 12, 12, 10, 9, 8, 7, 6]},
    "LC-1002": {"PHQ-9": [12, 13, 12, 11, 12, 12], "GAD-7": [9, 9, 10, 9, 8, 9]},
    "LC-1003": {"PHQ-9": [9, 10, 12, 14, 16], "GAD-7": [6, 7, 9, 10, 12]},
    "LC-1005": {"PHQ-9": [21, 19, 18, 15, 14, 12, 10, 9, 8], "GAD-7": [16, 15, 13, 12]},
    "LC-1007": {"PHQ-9": [14, 12, 11, 9], "GAD-7": [11, 10, 8, 8]},
}
RISK_ON_LAST = {"LC-1003"}  # the last PHQ-9 answers item 9 with "Several days"


def _answers_for(instrument, total, risk=False):
    """A plausible answer vector with the given total (spread evenly, item 9 kept for risk)."""
    items = len(instrument.items)
    top = max(o.value for o in instrument.items[0].options)
    answers = [0] * items
    scored_items = items - 1 if instrument.code == "PHQ-9" else items
    for i in range(total):
        answers[i % scored_items] += 1
    answers = [min(a, top) for a in answers]
    if risk:
        answers[8] = 1
        answers[0] = max(answers[0] - 1, 0)
    return answers


def _seed_measures(clinic, patient, history, risk_last):
    weeks = max(len(v) for v in history.values())
    now = utcnow()
    patient.episodes[-1].start = (now - timedelta(weeks=weeks, days=3)).astimezone(
        clinic.zone).date()
    first_due = now - timedelta(weeks=weeks, hours=-10)
    for code in history:
        db.session.add(MeasureSchedule(patient_id=patient.id, instrument_code=code, every_weeks=1,
                                       weekday=first_due.weekday(), starts_on=first_due.date()))
    for week in range(weeks):
        when = now - timedelta(weeks=weeks - week, hours=-10)
        codes = [c for c, totals in history.items() if week >= weeks - len(totals)]
        link = mint_link(QUESTIONNAIRE)
        invitation = Invitation(
            patient_id=patient.id, instruments=codes, kind="scheduled", due_on=when.date(),
            token_salt=link.salt, token_hash=link.token_hash,
            created_at=when - timedelta(hours=2), expires_at=when + timedelta(days=3),
            completed_at=when)
        db.session.add(invitation)
        db.session.flush()
        for code in codes:
            totals = history[code]
            total = totals[week - (weeks - len(totals))]
            instrument = get_instrument(code)
            risk = risk_last and code == "PHQ-9" and week == weeks - 1
            result = score(instrument, _answers_for(instrument, total, risk))
            store_response(patient, instrument, result, source="link", completed_at=when,
                            invitation=invitation)


# Programs: (reference, starter name, weeks ago started, sessions as (days ago, status, rpe,
# mood before, mood after)); fictional.
DEMO_PROGRAMS = [
    ("LC-1001", "Home foundations", 5, [(33, "done", 4, 3, 5), (30, "done", 4, 4, 6),
                                        (26, "partial", 3, 2, 4), (23, "done", 5, 4, 6),
                                        (19, "skipped", None, None, None), (16, "done", 5, 5, 7),
                                        (12, "done", 5, 5, 7), (9, "done", 6, 5, 7),
                                        (5, "done", 5, 6, 7), (2, "done", 5, 6, 8)]),
    ("LC-1005", "Home to gym", 3, [(20, "done", 4, 3, 5), (17, "done", 5, 4, 6),
                                   (13, "partial", 4, 3, 5), (6, "done", 6, 5, 6)]),
]


def _seed_programs(clinic, patients_by_reference, therapist):
    sync_builtin_exercises()
    db.session.flush()
    install_starters(clinic.id)
    db.session.flush()
    today = utcnow().date()
    for reference, name, weeks_ago, sessions in DEMO_PROGRAMS:
        patient = patients_by_reference.get(reference)
        if patient is None or db.session.scalar(
                sa.select(Assignment.id).where(Assignment.patient_id == patient.id)):
            continue
        template = db.session.scalar(sa.select(ProgramTemplate).where(
            ProgramTemplate.clinic_id == clinic.id, ProgramTemplate.name == name))
        link = mint_link(PROGRAM)
        assignment = Assignment(
            patient_id=patient.id, template_id=template.id, template_version=template.version,
            name=template.name, snapshot=program_snapshot(template, clinic.id),
            start_date=today - timedelta(weeks=weeks_ago), status="active",
            assigned_by_id=therapist.id, token_salt=link.salt, token_hash=link.token_hash,
            created_at=utcnow() - timedelta(weeks=weeks_ago))
        db.session.add(assignment)
        db.session.flush()
        level = assignment.snapshot["levels"][0]
        for days_ago, status, rpe, before, after in sessions:
            log = SessionLog(
                assignment_id=assignment.id, level_position=0,
                performed_on=today - timedelta(days=days_ago), status=status,
                skip_reason="fatigue" if status == "skipped" else None, rpe=rpe,
                mood_before=before, mood_after=after, pain=0 if status != "skipped" else None,
                duration_minutes=35 if status != "skipped" else None, source="patient",
                submission_key=new_salt(), created_at=utcnow() - timedelta(days=days_ago))
            if status != "skipped":
                for item in level["exercises"]:
                    sets = 1 if status == "partial" else item["sets"]
                    for number in range(1, sets + 1):
                        log.sets.append(SetLog(
                            exercise_id=item["exercise_id"], set_number=number,
                            reps=item["reps_max"] if item["measure"] != "hold_seconds" else None,
                            seconds=item["reps_min"] if item["measure"] == "hold_seconds"
                            else None,
                            target_sets=item["sets"], target_reps_min=item["reps_min"],
                            target_reps_max=item["reps_max"],
                            target_load=item.get("load_target") or ""))
            db.session.add(log)


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
        today = clinic.today()
        episode = Episode(start=today)
        if status == DISCHARGED:
            patient.discharged_at = utcnow() - timedelta(days=30)
            episode.end = patient.discharged_at.astimezone(clinic.zone).date()
            episode.start = episode.end - timedelta(weeks=8)
        patient.episodes.append(episode)
        patient.care_team.append(CareTeamMember(user=users[primary], is_primary=True))
        for email in others:
            patient.care_team.append(CareTeamMember(user=users[email]))
        db.session.add(patient)
        db.session.flush()
        record("patient_create", actor_kind="system", clinic_id=clinic.id, obj=patient,
               patient_id=patient.id)
        if reference in DEMO_HISTORY:
            _seed_measures(clinic, patient, DEMO_HISTORY[reference], reference in RISK_ON_LAST)
        created += 1
    patients = {p.reference: p for p in db.session.scalars(
        sa.select(Patient).where(Patient.clinic_id == clinic.id))}
    _seed_programs(clinic, patients, users["therapist@demo.test"])
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
    click.echo("(Admins use two-step login: admin@demo.test sets up an authenticator app at "
               "the first login.)")
