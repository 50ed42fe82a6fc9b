"""No PHI and no patient-link token in any log line.

The main journeys run with a canary value in every PHI field (the patient's name, reference,
email and date of birth, a session note, where it hurt, an alert's acknowledgement note, a
search, a mistyped login) and with known link tokens. Every record of every logger is captured
(root and werkzeug, DEBUG and up), and the access logs of a real werkzeug server and of the real
gunicorn with ``gunicorn.conf.py`` are read too: 0 canaries, 0 tokens, 0 token hashes.

A 500 page shows no traceback, SQL or path, only a reference; the log has the traceback with
that same reference.
"""

import re
import uuid

import pytest
import sqlalchemy as sa
from flask import Blueprint
from helpers import (
    free_port,
    get_from_real_server,
    hashed,
    start_gunicorn,
    statuses_of,
    stop_gunicorn,
)
from html_forms import form_of
from test_route_access import build_world

from clinic.alerts.models import Alert
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.programs.models import SessionLog

TOKEN_IN_PAGE = re.compile(r"http://clinic\.test/q/([A-Za-z0-9_-]{43})")


@pytest.fixture
def config_overrides():
    return {"PROPAGATE_EXCEPTIONS": False}  # as in production: a 500 page, the trace logged


def canaries():
    mark = uuid.uuid4().hex[:10]
    return {
        "display_name": f"Quillon Canarywood{mark}",
        "reference": f"CNR{mark}",
        "email": f"canary.{mark}@example.org",
        "date_of_birth": "1983-07-29",
        "note": f"Canary note {mark} felt dizzy",
        "pain_where": f"canary knee {mark}",
        "ack": f"Canary acknowledgement {mark}",
        "search": f"Canarywood{mark}",
        "login": f"canary.login.{mark}@clinic.test",
    }


def test_the_main_journeys_log_no_phi_and_no_token(app, client, auth, logs):
    world = build_world()
    c = canaries()
    patient_id = world.patient.id

    # A mistyped login, then the therapist logs in.
    assert auth.login(c["login"], "wrong password").status_code == 422
    assert auth.login(world.therapist.email).status_code == 303
    # A new patient, and the world's patient renamed: canaries in every PHI field.
    fields = {k: c[k] for k in ("display_name", "reference", "email", "date_of_birth")}
    created = auth.post("/patients/new", fields, token_page="/patients/new")
    assert created.status_code == 303
    edited = auth.post(f"/patients/{patient_id}/edit",
                       {**fields, "reference": c["reference"] + "B"},
                       token_page=f"/patients/{patient_id}/edit")
    assert edited.status_code == 303
    assert client.get(f"/patients?q={c['search']}").status_code == 200
    assert client.get(f"/patients/{patient_id}").status_code == 200
    # A questionnaire link made by the clinician...
    made = auth.post(f"/patients/{patient_id}/invitations", {"instruments": "PHQ-9"},
                     token_page=f"/patients/{patient_id}")
    assert made.status_code == 303
    [token] = set(TOKEN_IN_PAGE.findall(client.get(made.headers["Location"]).get_data(
        as_text=True)))

    # ...opened and answered by the patient (item 9 answered: a risk alert).
    patient = app.test_client()
    assert patient.get(f"/q/{token}").status_code == 303
    form = form_of(patient.get("/q/")).values
    answers = {f"PHQ-9:{n}": "2" for n in range(1, 10)}
    assert patient.post("/q/", data={**form, **answers}).status_code == 303
    assert patient.get("/q/done").status_code == 200

    # The program link opened and a session logged with a note and where it hurt.
    phone = app.test_client()
    assert phone.get(f"/p/{world.program_token}").status_code == 303
    page = form_of(phone.get("/p/")).values
    # (The world's patient logged today already: this entry replaces that one.)
    logged = phone.post("/p/", data={**page, "path": "as_prescribed", "rpe": "6", "pain": "3",
                                     "pain_where": c["pain_where"], "note": c["note"],
                                     "replace": "yes"})
    assert logged.status_code == 303

    # The clinician acknowledges the risk alert with a note.
    db.session.commit()
    alert = db.session.scalars(sa.select(Alert).where(
        Alert.patient_id == patient_id, Alert.acknowledged_at.is_(None))).first()
    acknowledged = auth.post(f"/alerts/{alert.id}", {"note": c["ack"]},
                             token_page=f"/alerts/{alert.id}")
    assert acknowledged.status_code == 303

    # Errors: unknown link, another patient's id, a form sent without its CSRF token.
    assert app.test_client().get("/q/" + "z" * 43).status_code == 410
    assert client.get(f"/patients/{patient_id + 10_000}").status_code == 404
    assert client.post(f"/patients/{patient_id}/edit", data=fields).status_code == 400

    # The same link and search paths through a real server, which writes access log lines.
    statuses = get_from_real_server(app, [f"/q/{token}", f"/p/{world.program_token}",
                                          f"/q/{world.token}"])
    assert statuses == [303, 303, 303]

    # The canaries really went through the app and into the database...
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Patient).where(
        Patient.display_name == c["display_name"])) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionLog).where(
        SessionLog.note == c["note"], SessionLog.pain_where == c["pain_where"])) == 1
    assert db.session.get(Alert, alert.id).acknowledged_at is not None
    # ...the capture saw the requests (access lines of the real server)...
    assert len([line for line in logs.lines if line.startswith("werkzeug")]) >= 3
    # ...and no line holds a canary, a token or a token's hash.
    secrets = [*c.values(), token, world.token, world.program_token,
               hashed(token), hashed(world.token), hashed(world.program_token)]
    assert logs.containing(*secrets) == []


@pytest.mark.slow
def test_gunicorn_access_log_holds_no_token_and_no_query(app, migrated_schema):
    """The production server: the request line is logged without the query string and with
    patient-link tokens masked (gunicorn.conf.py)."""
    world = build_world()
    db.session.commit()
    c = canaries()
    port = free_port()
    process = start_gunicorn(migrated_schema, port)
    try:
        statuses = statuses_of(f"http://127.0.0.1:{port}", (
            f"/q/{world.token}", f"/p/{world.program_token}", f"/q/{world.token}?from=mail",
            f"/patients?q={c['search']}", f"/login?next=/patients%3Fq%3D{c['search']}"),
            timeout=10)
    finally:
        output = stop_gunicorn(process)
    assert statuses == [303, 303, 303, 302, 200]
    access = [line for line in output.splitlines() if '"GET /' in line]
    assert len([line for line in access if "/q/[token]" in line or "/p/[token]" in line]) == 3
    assert len(access) >= 5, output
    for secret in (world.token, world.program_token, hashed(world.token), c["search"]):
        assert secret not in output


def failing_blueprint():
    bp = Blueprint("failing_for_tests", __name__)

    @bp.get("/failing-for-tests")
    def failing():
        db.session.execute(sa.text("SELECT secret_column FROM no_such_table_for_tests"))

    return bp


def test_a_500_page_shows_a_reference_and_the_log_has_the_trace_with_it(app, client, auth,
                                                                         logs):
    app.register_blueprint(failing_blueprint())
    from factories import UserFactory

    UserFactory(email="admin500@clinic.test")
    assert auth.login("admin500@clinic.test").status_code == 303

    response = client.get("/failing-for-tests")

    assert response.status_code == 500
    body = response.get_data(as_text=True)
    request_id = response.headers["X-Request-Id"]
    assert f"reference {request_id}" in body
    for leak in ("Traceback", "no_such_table_for_tests", "SELECT", "secret_column", ".py",
                 "/work/", "sqlalchemy", "OperationalError", "ProgrammingError"):
        assert leak not in body, leak
    [trace] = [line for line in logs.lines if "Exception on /failing-for-tests" in line]
    assert f"[request {request_id}]" in trace
    assert "Traceback" in trace and "no_such_table_for_tests" in trace
