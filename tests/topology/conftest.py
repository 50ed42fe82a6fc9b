"""The topology: LiftClinic on two "machines" of 127.0.0.1, started by the test.

    PostgreSQL  a fresh database topo_<random> on the local server (TEST_DATABASE_URL's when
                that names PostgreSQL, else 127.0.0.1:5432 user postgres, as CI has it),
                migrated by ``flask db upgrade``, dropped WITH (FORCE) at the end
    Redis       a private redis-server on a free port, no persistence
    SMTP        an aiosmtpd sink in this process (smtp_sink.Sink): refuses or stalls on demand
    app1, app2  the real gunicorn with the project's gunicorn.conf.py, wsgi:app
    worker1, 2  ``flask worker``, each in a process group of its own (a machine to SIGKILL)

All of them get the environment a deployment gives: DATABASE_URL, REDIS_URL, SMTP_URL,
SECRET_KEY (one key: a load balancer may send a browser to either app), BASE_URL,
LIFTCLINIC_ENV=production. The world is seeded with the app's own services in this process.
One topology serves the module's scenarios (starting it is most of the run time); each
scenario makes its own patient, so none reads another's mail. When a scenario fails, every
process's output is attached to its report.

Why PostgreSQL even when TEST_DATABASE_URL is SQLite: the scenarios are about several
processes on several machines, and a SQLite file cannot be shared between machines; the
claims and the scheduler's slots are checked where they will run. A machine without a
PostgreSQL server fails this test with a message saying so (never a skip: CI has one).
"""

import http.client
import os
import re
import secrets
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from clinic.app import create_app
from clinic.extensions import db
from topology import processes
from topology.smtp_sink import Sink

TEST_PASSWORD = "correct horse battery staple"
CLINIC = "Topology Clinic"
BASE_URL = "https://clinic.test"

# The settings the scenarios shorten so they take seconds instead of hours (clinic/config.py
# documents them): a claim on a message holds 6 s instead of 5 min (a SIGKILLed worker's mail
# is taken up by the other that much sooner), one SMTP conversation gives up after 4 s (shorter
# than the claim, as the app requires; the stalled send is killed long before), and the retry
# back-off is 1/100 of the real one (0.6 s, 3 s, 18 s, 72 s instead of 1 min, 5 min, 30 min, 2 h).
LEASE_SECONDS = 6
FAST_SETTINGS = {"OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS), "SMTP_TIMEOUT_SECONDS": "4",
                 "OUTBOX_BACKOFF_SCALE": "0.01"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing scenario's report carries the output of every process of the topology."""
    outcome = yield
    report = outcome.get_result()
    topology = getattr(item, "funcargs", {}).get("topo")
    if report.failed and topology is not None:
        report.sections.append(("topology: process output", topology.topology.logs()))


class Topo:
    """What a scenario uses: the sink, the apps' addresses, the workers, the database."""

    def __init__(self, topology, sink, app, database_url):
        self.topology = topology
        self.sink = sink
        self.app = app  # an in-process app on the same database: seeding and checks
        self.database_url = database_url
        self.apps = []  # (child, base URL)
        self.workers = []
        self.world = {}

    def restart_worker(self, dead):
        """A new ``flask worker`` in the place of ``dead`` (same name, same environment)."""
        index = self.workers.index(dead)
        self.workers[index] = processes.start_worker(self.topology, dead.name,
                                                     self.environ, log_suffix="-restarted")

    def worker_holding(self, peer):
        """The worker whose process holds the client end of the SMTP connection ``peer``."""
        inode = processes.socket_inode(peer[1], self.sink.port)
        assert inode is not None, f"no socket from port {peer[1]} to the sink"
        owners = [worker for worker in self.workers if worker.owns_socket(inode)]
        assert len(owners) == 1, f"socket {inode} held by {[w.name for w in owners]}"
        return owners[0]


@pytest.fixture(scope="module")
def topo(tmp_path_factory):
    logs = tmp_path_factory.mktemp("topology")
    topology = processes.Topology(logs)
    sink, started = None, False
    try:
        database_url = processes.create_database(topology)
        redis_url = processes.start_redis(topology)
        sink = Sink(processes.free_port())
        sink.start()
        environ = {
            **os.environ,
            "LIFTCLINIC_ENV": "production",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SMTP_URL": sink.url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "BASE_URL": BASE_URL,
            "PYTHONUNBUFFERED": "1",
            **FAST_SETTINGS,
        }
        for name in ("TEST_DATABASE_URL", "TEST_REDIS_URL", "LIFTCLINIC_DEFAULT_ENV"):
            environ.pop(name, None)
        app = create_app({
            "ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": environ["SECRET_KEY"], "BASE_URL": BASE_URL,
            "PASSWORD_HASH_PROFILE": "fast"})
        topo = Topo(topology, sink, app, database_url)
        topo.environ = environ
        # The apps boot (seconds: imports, WeasyPrint's fonts) while the schema is migrated;
        # the workers start only once the world is there (the scheduler's patient is due).
        for number in (1, 2):
            topo.apps.append(processes.start_gunicorn(topology, f"app{number}", environ))
        processes.run_flask(environ, "db", "upgrade")
        with app.app_context():
            topo.world = seed_world()
            for number in (1, 2):
                topo.workers.append(processes.start_worker(topology, f"worker{number}",
                                                           environ))
            for child, base in topo.apps:
                processes.wait_healthy(child, base)
            started = True
            yield topo
            db.session.remove()
            db.engine.dispose()
    except BaseException:
        if not started:  # a scenario's report has them; a failed start shows them here
            print(topology.logs())
        raise
    finally:
        try:
            topology.close()
        finally:
            if sink is not None:
                sink.stop()


# The world -----------------------------------------------------------------------------------


def seed_world():
    """A clinic with two therapists; a patient due a scheduled questionnaire (the scheduler's
    scenario), created before any worker starts. Made by the app's own services."""
    from clinic.auth.services import create_user_from_cli

    first = create_user_from_cli(clinic_name=CLINIC, email="first@clinic.test",
                                 name="Fran First", role="therapist", password=TEST_PASSWORD)
    db.session.commit()
    second = create_user_from_cli(clinic_name=CLINIC, email="second@clinic.test",
                                  name="Sol Second", role="therapist", password=TEST_PASSWORD)
    db.session.commit()
    world = {"first_id": first.id, "second_id": second.id,
             "care_team": {first.email, second.email}}
    scheduled = new_patient(world, email="scheduled@patient.test")
    world["scheduled_patient_id"] = scheduled
    world["scheduled_reference"] = reference_of(scheduled)
    schedule_due_now(world, scheduled)
    return world


def actor(world, key="first_id"):
    from clinic.auth.models import User

    db.session.rollback()
    return db.session.get(User, world[key])


def reference_of(patient_id):
    from clinic.patients.models import Patient

    return db.session.get(Patient, patient_id).reference


def new_patient(world, email=None):
    """A patient of the first therapist with the second on the care team; their id."""
    from clinic.patients.services import add_to_care_team, create_patient

    reference = f"TOPO-{secrets.token_hex(3).upper()}"
    patient = create_patient(actor(world), {"display_name": f"Patient {reference}",
                                            "reference": reference, "email": email})
    add_to_care_team(actor(world), patient.id, world["second_id"])
    return patient.id


def schedule_due_now(world, patient_id):
    """A weekly GAD-7 that fell due two days ago: the next send-due creates its link."""
    from clinic.auth.models import Clinic
    from clinic.measures.services import ScheduleInput, save_schedule

    therapist = actor(world)
    today = db.session.get(Clinic, therapist.clinic_id).today()
    start = today - timedelta(days=2)
    save_schedule(therapist, patient_id, ScheduleInput(
        instrument_code="GAD-7", every_weeks=1, weekday=start.weekday(), starts_on=start))


def risk_link(world):
    """A new patient (both therapists on the team) and a PHQ-9 link: (reference, token)."""
    from clinic.measures.services import create_adhoc_invitation, link_token

    patient_id = new_patient(world)
    invitation = create_adhoc_invitation(actor(world), patient_id, ["PHQ-9"])
    return reference_of(patient_id), link_token(invitation)


# A patient's phone over real HTTP ------------------------------------------------------------

HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"')


class Phone:
    """A browser: its cookies, one request at a time, redirects not followed."""

    def __init__(self, base):
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.cookies = {}

    def request(self, method, path, form=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.split(";", 1)[0].partition("=")
            self.cookies[name] = rest
        return response.status, response.headers.get("Location"), text


def submit_risk_answer(base, token):
    """The portal flow a patient follows: open the link, read the form (its CSRF token and
    hidden fields), answer PHQ-9 with item 9 "several days", send; the thank-you page."""
    phone = Phone(base)
    status, location, page = phone.request("GET", f"/q/{token}")
    assert (status, location) == (303, "/q/"), (status, location, page[:500])
    status, _, page = phone.request("GET", "/q/")
    assert status == 200, page[:2000]
    form = dict(HIDDEN.findall(page))
    assert {"csrf_token", "invitation"} <= form.keys(), page[:2000]
    form.update({f"PHQ-9:{n}": "1" for n in range(1, 10)})
    status, location, page = phone.request("POST", "/q/", form)
    assert (status, location) == (303, "/q/done"), (status, location, page[:2000])
    status, _, page = phone.request("GET", "/q/done")
    assert status == 200, page[:2000]


def outbox_rows(alert_id):
    """The outbox messages of one alert and their delivery attempts, as the database has them."""
    from clinic.outbox.models import DeliveryAttempt, OutboxMessage

    db.session.rollback()
    messages = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.idempotency_key.like(f"alert:{alert_id}:%"))
        .order_by(OutboxMessage.id)).all()
    attempts = {m.id: db.session.scalars(
        sa.select(DeliveryAttempt).where(DeliveryAttempt.message_id == m.id)
        .order_by(DeliveryAttempt.id)).all() for m in messages}
    return messages, attempts


def alert_id_for(reference):
    """The one risk alert of the patient ``reference``."""
    from clinic.alerts.models import Alert
    from clinic.patients.models import Patient

    db.session.rollback()
    [alert_id] = db.session.scalars(
        sa.select(Alert.id).join(Patient, Patient.id == Alert.patient_id)
        .where(Patient.reference == reference, Alert.kind == "risk_item")).all()
    return alert_id
