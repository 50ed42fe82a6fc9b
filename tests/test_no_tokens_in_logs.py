"""A patient-link token is a working key to a patient's questionnaire: it must never reach a log
line, in any logger, at any level. Neither may its SHA-256 (what the database stores).

Every record that reaches the root logger or the ``werkzeug`` logger is captured, formatted as
a handler would write it. The Flask test client writes no access log, so a real werkzeug server
on 127.0.0.1 is also asked for the link.
"""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from factories import ClinicFactory, PatientFactory, UserFactory
from helpers import free_port, get_from_real_server, hashed

from clinic.database import utcnow
from clinic.extensions import db
from clinic.measures import schedule, services
from clinic.measures.jobs import send_due
from clinic.measures.models import Invitation
from clinic.outbox.models import OutboxMessage
from clinic.outbox.services import deliver_due

THERAPIST = "therapist@clinic.test"
CSRF_VALUE = re.compile(r'name="csrf_token" value="([^"]+)"')
TOKEN_VALUE = re.compile(r"http://clinic\.test/q/([A-Za-z0-9_-]{43})")


@pytest.fixture
def config_overrides(request):
    if "errors_are_handled" in request.fixturenames:
        # As in production: an unexpected error is logged by Flask and answered with a 500.
        return {"PROPAGATE_EXCEPTIONS": False}
    if "unreachable_smtp" in request.fixturenames:
        return {"SMTP_URL": f"smtp://127.0.0.1:{free_port()}"}
    return {}


@pytest.fixture
def errors_are_handled():
    return True


@pytest.fixture
def unreachable_smtp():
    return True


@pytest.fixture
def patient(app):
    clinic = ClinicFactory()
    therapist = UserFactory(clinic=clinic, email=THERAPIST)
    return PatientFactory(clinic=clinic, primary=therapist, email="ada@example.org")


def make_link(client, auth, patient):
    """A clinician makes a link and views it; returns (invitation page, token)."""
    auth.login(THERAPIST)
    made = auth.post(f"/patients/{patient.id}/invitations", {"instruments": "PHQ-9"},
                     token_page=f"/patients/{patient.id}")
    assert made.status_code == 303
    page = made.headers["Location"]
    tokens = set(TOKEN_VALUE.findall(client.get(page).get_data(as_text=True)))
    assert len(tokens) == 1
    return page, tokens.pop()


def test_the_patient_journey_logs_no_token(app, client, auth, patient, logs):
    invitation_page, token = make_link(client, auth, patient)

    patient_browser = app.test_client()
    opened = patient_browser.get(f"/q/{token}")
    assert opened.status_code == 303
    form = patient_browser.get("/q/")
    assert form.status_code == 200
    csrf = CSRF_VALUE.search(form.get_data(as_text=True)).group(1)
    invitation_id = re.search(r'name="invitation" value="(\d+)"',
                              form.get_data(as_text=True)).group(1)
    answers = {f"PHQ-9:{n}": "1" for n in range(1, 10)}  # item 9 answered: a risk alert too
    sent = patient_browser.post("/q/", data={**answers, "csrf_token": csrf,
                                             "invitation": invitation_id})
    assert sent.status_code == 303
    assert patient_browser.get("/q/done").status_code == 200
    assert patient_browser.get(f"/q/{token}").status_code == 303  # a second tap, completed
    assert patient_browser.get("/q/").status_code == 200
    assert patient_browser.get("/q/" + "x" * 43).status_code == 410
    assert client.get(invitation_page).status_code == 200  # the clinician looks again
    assert client.get(f"/patients/{patient.id}").status_code == 200

    assert get_from_real_server(app, [f"/q/{token}", f"/q/{token}?utm=mail",
                                      "/q/" + "y" * 43]) == [303, 303, 410]

    # The capture works: the server's access lines for the link are there...
    access = [line for line in logs.lines
              if line.startswith("werkzeug") and "GET /q/" in line]
    assert len(access) >= 3, logs.lines
    # ...and neither the token nor its hash is in any line.
    assert logs.containing(token, hashed(token)) == []


def test_link_paths_with_suffixes_log_no_token_on_a_real_server(
    app, client, auth, patient, logs
):
    _, token = make_link(client, auth, patient)
    statuses = get_from_real_server(app, [f"/q/{token}", f"/q/{token}/", f"/q/{token}.png"])
    assert statuses[0] == 303
    assert [line for line in logs.lines if line.startswith("werkzeug") and "GET /q/" in line]
    assert logs.containing(token, hashed(token)) == []


def test_a_search_for_a_patient_by_name_leaves_no_name_in_the_access_log(app, logs):
    """The development server logs the request line; a caseload search's query is a name."""
    statuses = get_from_real_server(app, ["/patients?q=Zelda+Quartermain&status=all",
                                          "/?q=Zelda%20Quartermain"])
    assert statuses == [302, 302]  # not logged in: still an access line each
    access = [line for line in logs.lines if line.startswith("werkzeug") and "GET /" in line]
    assert len(access) >= 2, logs.lines  # (seen at werkzeug and again at the root logger)
    assert all("?[query]" in line for line in access)
    assert logs.containing("Zelda", "Quartermain") == []


def test_an_error_while_opening_a_link_logs_no_token(
    app, client, auth, patient, logs, errors_are_handled, monkeypatch
):
    """A database outage while a patient opens the link: Flask logs the failed request."""
    _, token = make_link(client, auth, patient)

    def unavailable(token):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(services, "link_invitation", unavailable)
    assert app.test_client().get(f"/q/{token}").status_code == 500
    assert get_from_real_server(app, [f"/q/{token}"]) == [500]

    assert logs.containing("database unavailable"), logs.lines  # the error is logged...
    assert logs.containing(token, hashed(token)) == []  # ...without the token


def test_failing_mail_of_a_scheduled_link_logs_no_token(app, patient, logs, unreachable_smtp):
    therapist, timezone = patient.care_team[0].user, patient.clinic.timezone
    now = utcnow()
    due_on = schedule.local_now(now, timezone).date()
    if now < schedule.send_moment(due_on, timezone):
        due_on -= timedelta(days=1)
    services.save_schedule(therapist, patient.id, services.ScheduleInput(
        "PHQ-9", 1, due_on.weekday(), due_on, due_on))

    report = send_due(now)
    assert (report.created, report.emailed) == (1, 1)  # queued in the outbox
    assert deliver_due(now=now, worker_id="worker-1", limit=10) == 0  # nothing listens

    [message] = db.session.scalars(sa.select(OutboxMessage)).all()
    invitation = db.session.get(Invitation, message.context["link"][1])
    assert logs.containing(f"outbox message {message.id} attempt 1 failed")
    assert logs.containing(services.link_token(invitation), invitation.token_hash) == []
    assert logs.containing("ada@example.org") == []  # nor the recipient
