"""The route access table: every endpoint of the app, who may reach it, and what others get.

Every rule of ``app.url_map`` must have a row in ``ACCESS``; a new route without one fails
``test_every_endpoint_has_an_access_class`` by name. Each (endpoint, method) is then one test
that runs every actor through the real app: real login, real CSRF token, real database, and a
fresh copy of the world for each actor (so one actor's allowed POST cannot change what the next
one meets). The world is built once per test process by the real services and copied back
row for row before each actor (``WorldCopy``); a failure names the endpoint, method and actor.
"""

import re
import traceback
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from conftest import AuthActions, csrf_token, empty_all_tables
from factories import ClinicFactory, PatientFactory, UserFactory
from flask import url_for
from helpers import hashed

from clinic.alerts.services import alerts_of
from clinic.app import create_app
from clinic.audit.models import AuditEvent
from clinic.auth.models import ApiToken, Role
from clinic.catalogue import services as catalogue
from clinic.catalogue.models import Exercise
from clinic.database import utcnow, write_transaction
from clinic.extensions import db, limiter
from clinic.measures import services as measures
from clinic.outbox.models import OutboxMessage
from clinic.patients.models import CareTeamMember
from clinic.programs import services as programs
from clinic.programs.entry import SessionEntry

ACCESS = {
    "health.healthz": "public",
    "favicon": "public",
    "auth.login": "public",
    "auth.logout": "clinician",
    "auth.change_password": "clinician",
    # A clinician's own API tokens: the list is anyone's own; revoking one is its owner's
    # (the world's token is the therapist's), anyone else's id is a 404.
    "auth.api_tokens": "clinician",
    "auth.revoke_api_token": "own_token",
    # Two-step login: the second step of a login is reached with a pending login only (anyone
    # else is sent back to /login with a 303); resetting someone's needs their clinic's admin.
    "mfa.verify": "public",
    "mfa.login_setup": "public",
    "mfa.account": "clinician",
    "mfa.account_setup": "clinician",
    "mfa.recovery_codes": "clinician",
    "mfa.reset": "clinic_user",
    "users.index": "admin",
    "users.create": "admin",
    "users.edit": "clinic_user",
    "users.deactivate": "clinic_user",
    "users.reactivate": "clinic_user",
    "users.reset_password": "clinic_user",
    "users.unlock": "clinic_user",
    "users.revoke_api_token": "clinic_user",
    "users.clinic_settings": "admin",  # always the admin's own clinic
    "caseload.dashboard": "clinician",
    "caseload.patient": "patient",
    "patients.index": "clinician",
    "caseload.add_patient": "patient_create",
    "patients.edit": "patient",
    "patients.discharge": "patient_manage",
    "patients.confirm_discharge": "patient_manage",
    "patients.reactivate": "patient_manage",
    "patients.issue_link": "patient",
    "patients.revoke_link": "patient",
    "patients.episode": "patient",
    "patients.episode_start": "patient_manage",
    "patients.new_episode": "patient_manage",
    "patients.add_member": "patient_manage",
    "patients.remove_member": "patient_manage",
    "patients.make_primary": "patient_manage",
    "measures.save_schedule": "patient",
    "measures.stop_schedule": "patient",
    "measures.create_invitation": "patient",
    "measures.invitation": "patient",
    "measures.revoke_invitation": "patient",
    # Which totals the patient sees on their own page: a therapist's or admin's decision.
    "measures.release_scores": "patient_not_trainer",
    "measures.withdraw_scores": "patient_not_trainer",
    "measures.confirm_revoke_invitation": "patient",
    # Item-level answers and their entry are not for clinical trainers (minimum necessary).
    "measures.enter_response": "patient_not_trainer",
    "measures.response": "patient_not_trainer",
    "measures.correct_response": "patient_not_trainer",
    "measures.chart": "patient",
    "alerts.index": "clinician",
    # An alert is seen by whoever may see its patient; the world's is a risk alert, which a
    # clinical trainer sees (with "tell the therapist") but does not acknowledge.
    "alerts.detail": {"GET": "patient", "POST": "patient_not_trainer"},
    # Acknowledging several: the page of any clinician; each ticked alert is checked on its own
    # (tests/alerts/test_inbox.py: a foreign id is a 404, a trainer's risk alert a 403).
    "alerts.acknowledge_many": "clinician",
    # Programs: the exercise library and the template list are clinic-wide pages of any
    # clinician; one template or clinic exercise is the clinic's (another clinic gets 404);
    # assignments are the patient's, scoped like every patient record.
    "catalogue.exercises": "clinician",
    "catalogue.retire_exercise": "clinic_object",
    "catalogue.restore_exercise": "clinic_object",
    "catalogue.templates": "clinician",
    "catalogue.add_starters": "clinician",
    "catalogue.template": "clinic_object",
    "catalogue.add_level": "clinic_object",
    "catalogue.level": "clinic_object",
    "catalogue.remove_level": "clinic_object",
    "catalogue.clone_template": "clinic_object",
    "catalogue.archive_template": "clinic_object",
    "catalogue.restore_template": "clinic_object",
    "programs.assign": "patient",
    "programs.assignment": "patient",
    "programs.change_level": "patient",
    "programs.target": "patient",
    "programs.decline_suggestion": "patient",
    "programs.equipment": "patient",
    "programs.review_hold": "patient",
    "programs.set_status": "patient",
    "programs.rotate_link": "patient",
    "programs.revoke_link": "patient",
    "programs.confirm_rotate_link": "patient",
    "programs.confirm_revoke_link": "patient",
    "programs.log_session": "patient",
    "programs.strength_chart": "patient",
    "portal.open_link": "public",
    "portal.questionnaire": "public",
    "portal.done": "public",
    "portal.open_program": "public",
    "portal.program": "public",
    "portal.edit_session": "public",
    "portal.progress": "public",
    "portal.start_questionnaire": "public",
    "portal.remove_session": "public",
    "portal.program_worker": "public",
    # The JSON API takes bearer tokens only ("api": anonymous and a login cookie alike get
    # 401 JSON); per-role and per-scope checks of the API live in tests/api/. Its docs pages
    # take a bearer token or a clinician's login ("api_or_clinician": anonymous gets 401 JSON).
    "api_tokens.create_token": "api",
    "api_tokens.list_tokens": "api",
    "api_tokens.revoke_token": "api",
    "api_tokens.revoke_current_token": "api",
    "api_patients.list_patients": "api",
    "api_patients.create_patient": "api",
    "api_patients.get_patient": "api",
    "api_patients.update_patient": "api",
    "api_measures.create_invitation": "api",
    "api_measures.list_responses": "api",
    "api_measures.get_outcomes": "api",
    "api_measures.create_response": "api",
    "api_alerts.list_alerts": "api",
    "api_alerts.acknowledge_alert": "api",
    "api_catalogue.list_exercises": "api",
    "api_catalogue.create_exercise": "api",
    "api_catalogue.update_exercise": "api",
    "api_catalogue.list_templates": "api",
    "api_catalogue.create_template": "api",
    "api_catalogue.get_template": "api",
    "api_catalogue.update_template": "api",
    "api_catalogue.add_level": "api",
    "api_catalogue.save_level": "api",
    "api_programs.assign_program": "api",
    "api_programs.get_assignment": "api",
    "api_programs.change_level": "api",
    "api_programs.list_sessions": "api",
    "api_programs.log_session": "api",
    "api_reports.report_pdf": "api",
    "api_reports.fhir_bundle": "api",
    "api_patients.discharge_patient": "api",
    "api_patients.reactivate_patient": "api",
    "api_patients.list_episodes": "api",
    "api_patients.start_episode": "api",
    "api_patients.add_care_team_member": "api",
    "api_patients.remove_care_team_member": "api",
    "api_patients.make_primary": "api",
    "api_measures.revoke_invitation": "api",
    "api_measures.correct_response": "api",
    "api_measures.list_schedules": "api",
    "api_measures.save_schedule": "api",
    "api_measures.stop_schedule": "api",
    "api_catalogue.clone_template": "api",
    "api_programs.set_status": "api",
    "api_programs.rotate_link": "api",
    "api_programs.revoke_link": "api",
    "api_programs.change_target": "api",
    "api_programs.list_suggestions": "api",
    "api_programs.decline_suggestion": "api",
    "api_programs.set_equipment": "api",
    "api_programs.review_hold": "api",
    "api_catalogue.remove_level": "api",
    "api_catalogue.add_starters": "api",
    "api_measures.list_invitations": "api",
    "api_docs.openapi_json": "api_or_clinician",
    "api_docs.docs": "api_or_clinician",
    "audit.index": "admin",
    "audit.export": "admin",
    # Outgoing mail: the clinic admin's page; a retry names one of the clinic's messages.
    "outbox.index": "admin",
    "outbox.retry": "clinic_admin_object",
    # Reports and exports: a patient's are scoped like every patient record; the clinic-wide
    # pseudonymised export is the clinic admin's (always their own clinic).
    "reports.export_page": "patient",
    "reports.export_pdf": "patient",
    "reports.export_responses": "patient_not_trainer",
    "reports.export_sessions": "patient",
    "reports.export_fhir": "patient_not_trainer",
    "reports.clinic_page": "admin",
    "reports.export_clinic": "admin",
    # The outcome summary: anyone of the clinic; the service limits the rows to their scope
    # (an admin the clinic, anyone else their caseload: tests/reports/test_outcome_summary.py).
    "reports.outcome_summary_page": "clinician",
    "reports.export_outcome_summary": "clinician",
    # The help pages (the guide and the clinical and training references): any clinician.
    "help.index": "clinician",
    "help.page": "clinician",
    "help.guide_image": "clinician",
}

# Query arguments a route needs to do its work (not access-related).
QUERY = {"measures.enter_response": {"instrument": "PHQ-9"}}

# URL arguments whose value differs per endpoint: {endpoint: {argument: World attribute}}.
ARGUMENTS = {"portal.open_program": {"token": "program_token"}}

# Pages that show the patient link opened in this browser session: {endpoint: link path}.
OPENED_LINK = {"portal.questionnaire": "/q/{world.token}",
               "portal.program": "/p/{world.program_token}",
               "portal.edit_session": "/p/{world.program_token}",
               "portal.progress": "/p/{world.program_token}",
               "portal.start_questionnaire": "/p/{world.program_token}",
               "portal.remove_session": "/p/{world.program_token}"}

# The world's API token (the therapist's): a live bearer token of the right shape.
API_TOKEN = "route-access-token-" + "0" * 24

ACTORS = ("anonymous", "admin", "therapist", "trainer", "therapist2", "admin_b")
ALLOWED = None  # marker: the actor may use the route

# What each actor gets, per access class: ALLOWED or the exact status of the refusal.
# (anonymous is handled apart: every non-public route sends them to the login page.)
EXPECTED = {
    "public": dict.fromkeys(ACTORS, ALLOWED),
    "clinician": dict.fromkeys(ACTORS[1:], ALLOWED),
    # A bearer token or a login: every clinician; anonymous gets the API's 401 JSON.
    "api_or_clinician": dict.fromkeys(ACTORS[1:], ALLOWED),
    "admin": {"admin": ALLOWED, "admin_b": ALLOWED,
              "therapist": 403, "trainer": 403, "therapist2": 403},
    "patient": {"admin": ALLOWED, "therapist": ALLOWED, "trainer": ALLOWED,
                "therapist2": 404, "admin_b": 404},
    # Item-level questionnaire answers, paper forms, corrections, answer exports, symptom and
    # risk alerts: a clinical trainer on the care team is refused (403), off it 404 as ever.
    "patient_not_trainer": {"admin": ALLOWED, "therapist": ALLOWED, "trainer": 403,
                            "therapist2": 404, "admin_b": 404},
    "patient_manage": {"admin": ALLOWED, "therapist": ALLOWED, "trainer": 403,
                       "therapist2": 404, "admin_b": 404},
    "patient_create": {"admin": ALLOWED, "therapist": ALLOWED, "therapist2": ALLOWED,
                       "admin_b": ALLOWED, "trainer": 403},
    "clinic_user": {"admin": ALLOWED, "therapist": 403, "trainer": 403, "therapist2": 403,
                    "admin_b": 404},
    # A row of the clinic only its admin acts on (an outgoing message): another clinic's admin
    # gets 404, as for any row of another clinic.
    "clinic_admin_object": {"admin": ALLOWED, "therapist": 403, "trainer": 403,
                            "therapist2": 403, "admin_b": 404},
    # A row of the clinic itself (a program template, a clinic's own exercise): any clinician
    # of that clinic, care team or not; another clinic's users get 404.
    "clinic_object": {"admin": ALLOWED, "therapist": ALLOWED, "trainer": ALLOWED,
                      "therapist2": ALLOWED, "admin_b": 404},
    "own_token": {"therapist": ALLOWED, "admin": 404, "trainer": 404, "therapist2": 404,
                  "admin_b": 404},
    # The JSON API: a login cookie authenticates nothing there (bearer tokens only).
    "api": dict.fromkeys(ACTORS, 401),
}


def access_of(endpoint, method):
    """The access class of ``endpoint`` for ``method`` (a row may give one per method)."""
    access = ACCESS[endpoint]
    return access[method] if isinstance(access, dict) else access


def _rules_of_the_app():
    """(endpoint, method) of every rule, read from a throwaway app at collection time."""
    app = create_app({"ENV_NAME": "testing", "TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SECRET_KEY": "collection-only-secret-key-0123456789abcdef",
                      "RATELIMIT_STORAGE_URI": "memory://"})
    cases = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            cases.append((rule.endpoint, method))
    return cases


RULE_CASES = _rules_of_the_app()


@dataclass(frozen=True)
class Row:
    """A row of the copied world by id (and e-mail, for people): it outlives the session."""

    id: int
    email: str | None = None


@dataclass
class World:
    admin: object
    therapist: object
    trainer: object
    therapist2: object
    admin_b: object
    patient: object
    trainer_member: object
    schedule_id: int
    invitation_id: int
    token: str
    response_id: int
    alert_id: int
    exercise_id: int
    template_id: int
    level_id: int
    assignment_id: int
    program_token: str
    session_id: int
    api_token_id: int
    message_id: int


def build_world():
    """Two clinics, the six actors, patient P with a care team, P's measures records, and
    clinic A's program records with P's program and a session P logged through the link.

    The records are made by the real services, as a clinician (or the patient) would make them.
    """
    clinic_a, clinic_b = ClinicFactory(name="Clinic A"), ClinicFactory(name="Clinic B")
    admin = UserFactory(clinic=clinic_a, role=Role.ADMIN, email="admin@a.test")
    therapist = UserFactory(clinic=clinic_a, role=Role.THERAPIST, email="therapist@a.test")
    trainer = UserFactory(clinic=clinic_a, role=Role.TRAINER, email="trainer@a.test")
    therapist2 = UserFactory(clinic=clinic_a, role=Role.THERAPIST, email="therapist2@a.test")
    admin_b = UserFactory(clinic=clinic_b, role=Role.ADMIN, email="admin@b.test")
    patient = PatientFactory(clinic=clinic_a, primary=therapist, team=[trainer])
    member = next(m for m in patient.care_team if m.user_id == trainer.id)
    assert isinstance(member, CareTeamMember) and not member.is_primary

    schedule = measures.save_schedule(therapist, patient.id, measures.ScheduleInput(
        "PHQ-9", 1, 0, date.today()))
    invitation = measures.create_adhoc_invitation(therapist, patient.id, ["PHQ-9"])
    # A paper PHQ-9 with item 9 (thoughts of self-harm) answered: a response and a risk alert.
    response = measures.record_clinician_response(
        therapist, patient.id, "PHQ-9", [1, 1, 1, 1, 1, 1, 1, 1, 1],
        datetime.now(UTC) - timedelta(hours=1))
    [alert] = alerts_of(response=response)

    # Programs: the built-in library, clinic A's own exercise, a template of clinic A whose
    # level holds a built-in exercise and the clinic's own, P's assignment of it, and a session
    # P logged by link today (with sets of both exercises, so both have a strength chart).
    write_transaction(catalogue.sync_builtin_exercises)()
    own = catalogue.create_exercise(admin, {
        "name": "Step-up onto a low box", "pattern": "squat", "setting": "home",
        "equipment": "low box", "measure": "bodyweight_reps", "ladder_step": 2,
        "cues": ["Step up with your whole foot on the box.", "", ""], "easier_tip": None})
    built_in = db.session.scalar(sa.select(Exercise).where(Exercise.clinic_id.is_(None),
                                                           Exercise.slug == "sit_to_stand"))
    template = catalogue.create_template(admin, "Clinic A program", "Home strength.")
    [level] = template.levels
    row = {"sets": 2, "reps_min": 8, "reps_max": 12, "load_kind": "bodyweight",
           "load_target": "", "rest_seconds": 90, "is_key": True}
    catalogue.save_level(admin, template.id, level.id,
                         {"name": "Getting started", "min_weeks": 2, "sessions_per_week": 2,
                          "criteria": ""},
                         [{"exercise_id": built_in.id, **row}, {"exercise_id": own.id, **row}])
    today = programs.clinic_today(patient.id)
    assignment = programs.assign_program(therapist, patient.id, template.id, today)
    logged = programs.log_session(assignment.id, SessionEntry(
        performed_on=today, status="done", low_energy=False, skip_reason=None,
        duration_minutes=30, rpe=5, mood_before=5, mood_after=6, pain=0, pain_where=None,
        note=None, submission_key="world",
        sets={0: [{"reps": 10, "load_kg": None, "seconds": None}] * 2,
              1: [{"reps": 9, "load_kg": None, "seconds": None}] * 2}), source="patient")
    api_token = ApiToken(user_id=therapist.id, token_hash=hashed(API_TOKEN),
                         name="records export", expires_at=utcnow() + timedelta(days=30))
    db.session.add(api_token)
    db.session.commit()
    # The paper form's risk alert queued a mail to the rest of P's care team (the trainer).
    [message_id] = db.session.scalars(sa.select(OutboxMessage.id)).all()
    return World(admin, therapist, trainer, therapist2, admin_b, patient, member,
                 schedule.id, invitation.id, measures.link_token(invitation), response.id,
                 alert.id, own.id, template.id, level.id, assignment.id,
                 programs.program_link(assignment).rsplit("/", 1)[1], logged.id, api_token.id,
                 message_id)


class WorldCopy:
    """``build_world``'s rows, read once; ``restore`` empties the tables and writes them back.

    A copy is the same world a new ``build_world`` would make (same rows, ids, tokens and audit
    chain) for a fraction of the time: the exercise library is synced once per process, not
    once per case. PostgreSQL's id sequences are moved past the copied ids.
    """

    def __init__(self):
        built = build_world()
        people = {name: Row(getattr(built, name).id, getattr(built, name).email)
                  for name in ("admin", "therapist", "trainer", "therapist2", "admin_b")}
        self.world = replace(built, **people, patient=Row(built.patient.id),
                             trainer_member=Row(built.trainer_member.id))
        db.session.commit()
        with db.engine.connect() as connection:
            self.rows = [(table, [dict(row._mapping) for row in
                                  connection.execute(table.select())])
                         for table in db.metadata.sorted_tables]

    def restore(self):
        db.session.remove()  # no snapshot or lock of the test's own session in the way
        empty_all_tables()
        with db.engine.begin() as connection:
            for table, rows in self.rows:
                if rows:
                    connection.execute(table.insert(), rows)
            if connection.dialect.name == "postgresql":
                for table, _ in self.rows:
                    [column] = table.primary_key.columns  # every table: one integer id
                    connection.execute(sa.select(sa.func.setval(
                        sa.func.pg_get_serial_sequence(table.name, column.name),
                        sa.func.coalesce(sa.func.max(column), 0) + 1, False)))
        limiter.reset()
        return self.world


_copies = []  # one WorldCopy per process (each xdist worker has its own database)


def fresh_world():
    """A fresh world: built by the services the first time in this process, a copy after."""
    if not _copies:
        _copies.append(WorldCopy())
        return _copies[0].world
    return _copies[0].restore()


@pytest.fixture
def world(app):
    return fresh_world()


def build_url(app, endpoint, world):
    arguments = {"patient_id": world.patient.id, "member_id": world.trainer_member.id,
                 "user_id": world.therapist2.id, "schedule_id": world.schedule_id,
                 "invitation_id": world.invitation_id, "response_id": world.response_id,
                 "alert_id": world.alert_id, "code": "PHQ-9", "token": world.token,
                 "exercise_id": world.exercise_id, "template_id": world.template_id,
                 "level_id": world.level_id, "assignment_id": world.assignment_id,
                 "session_id": world.session_id, "index": 0, "status": "paused",
                 "token_id": world.api_token_id, "message_id": world.message_id,
                 "page": "clinical",
                 "name": "therapist-dashboard.png"}
    for name, attribute in ARGUMENTS.get(endpoint, {}).items():
        arguments[name] = getattr(world, attribute)
    with app.test_request_context():
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        unknown = sorted(rule.arguments - arguments.keys())
        assert not unknown, (f"{endpoint}: no value for URL argument(s) {unknown}; "
                             "build the object in build_world and pass its id here")
        values = {name: arguments[name] for name in rule.arguments}
        return url_for(endpoint, **values, **QUERY.get(endpoint, {}))


def is_login_redirect(response):
    """The login guard's answer: 302 to /login?next=... (logout's own 303 is not this)."""
    if response.status_code != 302:
        return False
    location = urlsplit(response.headers["Location"])
    return location.path == "/login"


def test_every_endpoint_has_an_access_class(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    missing = sorted(endpoints - ACCESS.keys())
    stale = sorted(ACCESS.keys() - endpoints)
    assert not missing, f"endpoints with no row in ACCESS (add one): {missing}"
    assert not stale, f"rows in ACCESS for endpoints that no longer exist: {stale}"
    classes = {access for row in ACCESS.values()
               for access in (row.values() if isinstance(row, dict) else [row])}
    assert classes <= EXPECTED.keys()


def test_collection_saw_the_same_rules_as_the_test_app(app):
    rules = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
             if rule.endpoint != "static" for method in rule.methods & {"GET", "POST"}}
    assert rules == set(RULE_CASES)


@pytest.mark.parametrize(("endpoint", "method"), RULE_CASES,
                         ids=[f"{endpoint}-{method}" for endpoint, method in RULE_CASES])
def test_route_access(app, endpoint, method):
    """Every actor, each on a fresh copy of the world, in a browser of their own."""
    assert endpoint in ACCESS, f"{endpoint} has no access class in ACCESS"
    failures = []
    for actor in ACTORS:
        world = fresh_world()
        client = app.test_client()
        try:
            check_access(app, client, AuthActions(client), world, endpoint, method, actor)
        except AssertionError as failed:
            failures.append(f"[{endpoint} {method}, {actor}] {failed}")
        except Exception:
            failures.append(f"[{endpoint} {method}, {actor}] raised\n{traceback.format_exc()}")
    assert not failures, "\n".join(failures)


def check_access(app, client, auth, world, endpoint, method, actor):
    """One case of the table: ``actor`` asks for ``endpoint`` with ``method``."""
    access = access_of(endpoint, method)
    url = build_url(app, endpoint, world)

    if actor != "anonymous":
        login = auth.login(getattr(world, actor).email)
        assert login.status_code == 303, f"login as {actor} failed"
    if endpoint in OPENED_LINK:
        # The page is the one of the link opened in this browser session.
        assert client.get(OPENED_LINK[endpoint].format(world=world)).status_code == 303

    if method == "GET":
        response = client.get(url)
    else:
        token_page = "/login" if actor == "anonymous" else "/account/password"
        response = client.post(url, data={"csrf_token": csrf_token(client, token_page)})

    where = f"{method} {url} as {actor} ({access})"
    if access == "api" or (access == "api_or_clinician" and actor == "anonymous"):
        assert response.status_code == 401 and response.is_json, f"{where}: {response.status_code}"
        assert "WWW-Authenticate" in response.headers, f"{where}: no challenge"
        return
    if actor == "anonymous" and access != "public":
        assert is_login_redirect(response), f"{where}: {response.status_code}, not sent to login"
        next_url = parse_qs(urlsplit(response.headers["Location"]).query).get("next")
        assert next_url == [url], f"{where}: login redirect lost the page: {next_url}"
        return

    expected = EXPECTED[access][actor]
    if expected is ALLOWED:
        assert response.status_code not in (400, 401, 403, 404, 405), (
            f"{where}: refused with {response.status_code}")
        assert response.status_code < 500, f"{where}: server error"
        assert not is_login_redirect(response), f"{where}: sent to the login page"
    else:
        assert response.status_code == expected, (
            f"{where}: expected {expected}, got {response.status_code}")


def _shape(response):
    """Status, <h1> and the body with what differs per request anyway masked.

    The request reference is random, and the CSRF token in the logout form is signed with a
    timestamp; neither says anything about the patient.
    """
    body = response.get_data(as_text=True)
    h1 = re.search(r"<h1>(.*?)</h1>", body, re.S)
    body = re.sub(r"reference [0-9a-f]{16}", "reference <request-id>", body)
    body = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+"', r'\1<token>"', body)
    return response.status_code, h1.group(1).strip() if h1 else None, body


def test_out_of_scope_patient_is_indistinguishable_from_a_missing_one(app, client, auth, world):
    missing_id = world.patient.id + 10_000
    auth.login(world.therapist2.email)
    token = csrf_token(client, "/account/password")
    member, invitation, response = (world.trainer_member.id, world.invitation_id,
                                    world.response_id)
    for path in ("/patients/{}", "/patients/{}/edit",
                 "/patients/{}/responses/new?instrument=PHQ-9",
                 "/patients/{}/charts/PHQ-9.svg",
                 "/patients/{}/invitations/" + str(invitation),
                 "/patients/{}/responses/" + str(response),
                 "/patients/{}/responses/" + str(response) + "/correct"):
        hidden = client.get(path.format(world.patient.id))
        missing = client.get(path.format(missing_id))
        assert _shape(hidden)[:2] == (404, "Page not found"), path
        assert _shape(hidden) == _shape(missing), path
    for path in ("/patients/{}/discharge", "/patients/{}/edit", "/patients/{}/care-team",
                 "/patients/{}/care-team/" + str(member) + "/primary",
                 "/patients/{}/schedules", "/patients/{}/invitations",
                 "/patients/{}/invitations/" + str(invitation) + "/revoke"):
        hidden = client.post(path.format(world.patient.id), data={"csrf_token": token})
        missing = client.post(path.format(missing_id), data={"csrf_token": token})
        assert _shape(hidden)[:2] == (404, "Page not found"), path
        assert _shape(hidden) == _shape(missing), path
    hidden = client.get(f"/alerts/{world.alert_id}")
    missing = client.get(f"/alerts/{world.alert_id + 10_000}")
    assert _shape(hidden)[:2] == (404, "Page not found")
    assert _shape(hidden) == _shape(missing)


def test_another_clinics_user_is_indistinguishable_from_a_missing_one(app, client, auth, world):
    auth.login(world.admin_b.email)
    hidden = client.get(f"/admin/users/{world.therapist2.id}")
    missing = client.get(f"/admin/users/{world.therapist2.id + 10_000}")
    assert _shape(hidden)[:2] == (404, "Page not found")
    assert _shape(hidden) == _shape(missing)


def test_another_clinics_program_records_are_indistinguishable_from_missing_ones(
        app, client, auth, world):
    auth.login(world.admin_b.email)
    token = csrf_token(client, "/account/password")
    template, level, exercise = world.template_id, world.level_id, world.exercise_id
    for path, missing_path in (
            (f"/programs/templates/{template}", f"/programs/templates/{template + 10_000}"),
            (f"/programs/templates/{template}/levels/{level}",
             f"/programs/templates/{template + 10_000}/levels/{level}")):
        hidden, missing = client.get(path), client.get(missing_path)
        assert _shape(hidden)[:2] == (404, "Page not found"), path
        assert _shape(hidden) == _shape(missing), path
    for path in ("/programs/exercises/{}/retire", "/programs/exercises/{}/restore"):
        hidden = client.post(path.format(exercise), data={"csrf_token": token})
        missing = client.post(path.format(exercise + 10_000), data={"csrf_token": token})
        assert _shape(hidden)[:2] == (404, "Page not found"), path
        assert _shape(hidden) == _shape(missing), path
    for path in ("/programs/templates/{}/clone", "/programs/templates/{}/archive",
                 "/programs/templates/{}/levels"):
        hidden = client.post(path.format(template), data={"csrf_token": token})
        missing = client.post(path.format(template + 10_000), data={"csrf_token": token})
        assert _shape(hidden)[:2] == (404, "Page not found"), path
        assert _shape(hidden) == _shape(missing), path
    # Clinic A's own exercise is not in clinic B's library either.
    assert "Step-up onto a low box" not in client.get("/programs/exercises").get_data(
        as_text=True)


def test_an_out_of_scope_program_is_indistinguishable_from_a_missing_one(app, client, auth, world):
    auth.login(world.therapist2.email)
    token = csrf_token(client, "/account/password")
    assignment = world.assignment_id
    for path in ("/programs/assignments/{}", "/programs/assignments/{}/sessions/new",
                 "/programs/assignments/{}/targets/0",
                 "/programs/assignments/{}/strength/" + str(world.exercise_id) + ".svg"):
        hidden = client.get(path.format(assignment))
        missing = client.get(path.format(assignment + 10_000))
        assert _shape(hidden)[:2] == (404, "Page not found"), path
        assert _shape(hidden) == _shape(missing), path
    for path in ("/programs/assignments/{}/link/rotate", "/programs/assignments/{}/link/revoke",
                 "/programs/assignments/{}/status/paused", "/programs/assignments/{}/level"):
        hidden = client.post(path.format(assignment), data={"csrf_token": token})
        missing = client.post(path.format(assignment + 10_000), data={"csrf_token": token})
        assert _shape(hidden)[:2] == (404, "Page not found"), path
        assert _shape(hidden) == _shape(missing), path


# Audit without gaps (issue 14, item 5) ---------------------------------------------------------

# Clinician pages that show patient data without a patient in the URL: the caseload list, the
# dashboard and the alert list. API modules whose GET endpoints read patient data.
PATIENT_DATA_PAGES = ("caseload.dashboard", "alerts.index", "patients.index",
                      "reports.outcome_summary_page")
# Access classes of the routes of one patient's records (an off-team clinician gets 404).
PATIENT_SCOPED = ("patient", "patient_not_trainer")
PATIENT_DATA_API = ("api_patients.", "api_measures.", "api_alerts.", "api_programs.",
                    "api_reports.")


def patient_data_reads():
    """(endpoint, "page"/"api") of every GET route that shows patient data."""
    reads = []
    for endpoint, method in RULE_CASES:
        if method != "GET":
            continue
        if (access_of(endpoint, method) in PATIENT_SCOPED
                or endpoint in PATIENT_DATA_PAGES):
            reads.append((endpoint, "page"))
        elif endpoint.startswith(PATIENT_DATA_API):
            reads.append((endpoint, "api"))
    return reads


PATIENT_DATA_READS = patient_data_reads()


def _audit_rows_of(user_id):
    db.session.commit()
    return db.session.execute(sa.select(AuditEvent.action, AuditEvent.outcome,
                                        AuditEvent.patient_id, AuditEvent.detail)
                              .where(AuditEvent.actor_id == user_id)
                              .order_by(AuditEvent.id)).all()


def test_the_walk_covers_every_kind_of_patient_data_read():
    kinds = {kind for _, kind in PATIENT_DATA_READS}
    assert kinds == {"page", "api"}
    assert len(PATIENT_DATA_READS) == 34, PATIENT_DATA_READS  # a new read route: count it


def test_every_patient_data_read_writes_one_read_row(app):
    """The allowed therapist asks for each patient-data route once: each answer 200 writes a
    ``success`` audit row of the therapist's (one, for a page view), and never a refusal."""
    missing = []
    for endpoint, kind in PATIENT_DATA_READS:
        world = fresh_world()
        client = app.test_client()
        headers = {}
        if kind == "page":
            assert AuthActions(client).login(world.therapist.email).status_code == 303
        else:
            headers = {"Authorization": f"Bearer {API_TOKEN}"}
        before = len(_audit_rows_of(world.therapist.id))
        response = client.get(build_url(app, endpoint, world), headers=headers)
        assert response.status_code == 200, (endpoint, response.status_code)
        new = _audit_rows_of(world.therapist.id)[before:]
        if len(new) != 1 or new[0].outcome != "success":
            missing.append(f"{endpoint}: {[(r.action, r.outcome) for r in new]}")
    assert not missing, "patient-data reads without exactly one read row:\n" + "\n".join(missing)


def test_a_refused_patient_read_writes_a_denied_row_with_only_what_was_sent(app):
    """therapist2 (not on the care team) gets 404 for each patient-scoped page: a ``denied`` row
    naming the route and the ids of the URL, and no patient id from the database."""
    missing = []
    for endpoint, kind in PATIENT_DATA_READS:
        if kind != "page" or access_of(endpoint, "GET") not in PATIENT_SCOPED:
            continue
        world = fresh_world()
        client = app.test_client()
        assert AuthActions(client).login(world.therapist2.email).status_code == 303
        before = len(_audit_rows_of(world.therapist2.id))
        url = build_url(app, endpoint, world)
        assert client.get(url).status_code == 404, endpoint
        new = _audit_rows_of(world.therapist2.id)[before:]
        sent = {name: str(value) for name, value in
                app.url_map.bind("").match(urlsplit(url).path)[1].items()}
        if [(r.action, r.outcome, r.patient_id) for r in new] != [("access_denied", "denied",
                                                                    None)] \
                or new[0].detail != {"route": endpoint, "method": "GET", "status": 404,
                                  "sent": sent}:
            missing.append(f"{endpoint}: {new}")
    assert not missing, "refusals without one denied row:\n" + "\n".join(missing)
