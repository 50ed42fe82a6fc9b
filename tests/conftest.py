"""Fixtures shared by every test: a real database (SQLite file or PostgreSQL), the app, a client.

Set ``TEST_DATABASE_URL`` to run the suite on PostgreSQL (``.ci/run`` does); the default is a
SQLite file in a temporary folder. The schema is built once per run by the real migrations, and
every test starts from empty tables.
"""

import json
import logging
import os
import re
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from jinja2 import BytecodeCache

from clinic.app import create_app
from clinic.extensions import db, limiter

TESTS_DIR = Path(__file__).resolve().parent
TEST_PASSWORD = "correct horse battery staple"
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


LONG_MARKERS = ("e2e", "reliability", "slow")


def pytest_collection_modifyitems(items):
    """The browser and reliability tests are marked by folder (``-m "not e2e"`` etc.).

    Under pytest-xdist the reliability tests share one worker (``--dist loadgroup``), so no two
    of them (gunicorn with fifty clients, writers killed at random) compete for the cores at
    once, and the long tests are handed out first so that none starts last and runs alone.
    """
    for item in items:
        if TESTS_DIR in item.path.parents:
            folder = item.path.relative_to(TESTS_DIR).parts[0]
            if folder in ("e2e", "reliability"):
                item.add_marker(folder)
            if folder == "reliability":
                item.add_marker(pytest.mark.xdist_group("reliability"))
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: not any(item.get_closest_marker(name)
                                            for name in LONG_MARKERS))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """pytest-xdist, in the controlling process: keep what a finished worker's browser tests
    saw (axe results, page weights) for the one summary of the run."""
    seen = getattr(node, "workeroutput", {}).get("e2e")
    if seen:
        from e2e import conftest as e2e

        e2e.add_seen(json.loads(seen))


def pytest_terminal_summary(terminalreporter):
    e2e = sys.modules.get("e2e.conftest")  # loaded once a browser test ran (or a worker's did)
    if e2e is not None:
        e2e.summarise(terminalreporter)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The suite's database: a SQLite file of this process's own, or ``TEST_DATABASE_URL``.

    Under pytest-xdist every worker has its own: the temporary folder is per worker already,
    and on PostgreSQL worker ``gw0`` creates ``<database>_gw0`` next to the one named (same
    server and user) and drops it at the end.
    """
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'liftclinic-test.sqlite'}"
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        yield url
        return
    named = sa.engine.make_url(url)
    own = f"{named.database}_{worker}"
    admin = sa.create_engine(named.set(drivername="postgresql+psycopg", database="postgres"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{own}"'))
        # A commit need not wait for the disk (a crash of the server may lose the last
        # commits of a scratch database): every test commits dozens of times.
        connection.execute(sa.text(f'ALTER DATABASE "{own}" SET synchronous_commit = off'))
    yield named.set(database=own).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)'))
    admin.dispose()


# A production-mode test app's key: made for this run (a key written in the repo is published,
# and production refuses to start with one).
PRODUCTION_SECRET_KEY = secrets.token_urlsafe(48)


def make_config(database_url, **overrides):
    if overrides.get("ENV_NAME") == "production":
        overrides.setdefault("SECRET_KEY", PRODUCTION_SECRET_KEY)
    config = {
        "ENV_NAME": "testing",
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-that-is-at-least-32-bytes-long",
        "BASE_URL": "http://clinic.test",
        "RATELIMIT_STORAGE_URI": "memory://",
        **overrides,
    }
    if config["ENV_NAME"] in ("testing", "development"):
        # Argon2's cheapest parameters: thousands of logins, each a 64 MiB hash otherwise.
        # The modules that test password storage itself ask for "standard" (config_overrides).
        config.setdefault("PASSWORD_HASH_PROFILE", "fast")
    return config


@pytest.fixture(scope="session")
def migrated_schema(database_url):
    """Build the schema once with the real Alembic revisions (not create_all)."""
    from flask_migrate import downgrade, upgrade

    app = create_app(make_config(database_url))
    with app.app_context():
        downgrade(revision="base")  # a database left over from an interrupted run
        upgrade()
        db.engine.dispose()
    return database_url


def reload(obj):
    """The row as the database has it now (requests run in their own sessions).

    The transaction is ended first: on SQLite (WAL) an open read transaction keeps seeing the
    snapshot it started with, whatever other sessions commit meanwhile.
    """
    db.session.commit()
    db.session.expire(obj)
    return obj


def empty_all_tables():
    """Empty every table, the append-only audit trail included (tests only).

    audit_event refuses UPDATE, DELETE and TRUNCATE by trigger (migration 0005). On PostgreSQL
    the cleanup runs as a superuser with ``session_replication_role = replica`` for this one
    transaction, a mode in which ordinary triggers do not fire. SQLite has no such switch: its
    triggers are dropped, the rows deleted and the triggers re-created from their own stored
    SQL, all in one transaction, so no test ever sees the table unguarded.

    PostgreSQL deletes the rows and restarts the id sequences (what ``TRUNCATE ... RESTART
    IDENTITY`` did): a test's few rows go in milliseconds, where TRUNCATE, which replaces every
    table's files, took most of a second after every test.
    """
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for table in tables:
                connection.execute(table.delete())  # no foreign-key triggers: any order
            for table in tables:
                [column] = table.primary_key.columns  # every table: one id column
                connection.execute(sa.select(sa.func.setval(
                    sa.func.pg_get_serial_sequence(table.name, column.name), 1, False)))
        else:
            triggers = connection.execute(sa.text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
            for name, _ in triggers:
                connection.execute(sa.text(f'DROP TRIGGER "{name}"'))
            for table in tables:
                connection.execute(table.delete())
            for _, sql in triggers:
                connection.exec_driver_sql(sql)


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production.

    The ``app`` fixture keeps an app context open for factories; without this, requests would
    share its ``g`` (cached CSRF token, Flask-Login's cached user) and its database session.
    """

    def open(self, *args, **kwargs):
        # End the test's own read transaction first: on SQLite (WAL) an open snapshot would
        # keep it from seeing this request's writes, and block its own next write.
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


class TemplateCodeCache(BytecodeCache):
    """Jinja's compiled templates, kept for the whole run instead of per app.

    Every test builds a new app, whose Jinja environment would compile each template it renders
    again (tens of milliseconds apiece). Jinja keys the code by template name and source
    checksum, so an edited template is compiled afresh; every app of the suite has the same
    Jinja settings (create_app makes them).
    """

    def __init__(self):
        self.code = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = TemplateCodeCache()


@pytest.fixture
def config_overrides():
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
def app(migrated_schema, config_overrides):
    app = create_app(make_config(migrated_schema, **config_overrides))
    app.test_client_class = IsolatedClient
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    with app.app_context():
        limiter.reset()
        yield app
        db.session.remove()
        empty_all_tables()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def every_fhir_export_is_valid(monkeypatch):
    """Every FHIR Bundle a test makes the app export is checked, as it leaves the app, against
    the official R4 JSON schema and the rules a schema cannot state (tests/fhir_validity.py).
    The export itself is the app's own: this only reads what it returns."""
    from fhir_validity import assert_valid_bundle

    from clinic.reports import fhir

    exported = fhir.bundle_json

    def checked(bundle):
        body = exported(bundle)
        assert_valid_bundle(body)
        return body

    monkeypatch.setattr(fhir, "bundle_json", checked)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, page="/login"):
    """The CSRF token a real browser would find in the form on ``page``."""
    response = client.get(page)
    match = CSRF_INPUT.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {page} (status {response.status_code})"
    return match.group(1)


MFA_KEY = re.compile(r'<code id="mfa-key">([A-Z2-7 ]+)</code>')
RECOVERY_CODE = re.compile(r"<li><code>([a-z0-9-]+)</code></li>")


class AuthActions:
    """flaskr's helper: log in and out through the real pages, CSRF tokens included.

    When the app asks for the second login step, ``login`` does it as a person would: it sets
    up an authenticator from the set-up page (the first time) or enters the current code. The
    login's response is then the last step's (303 to the page asked for, as without MFA).
    """

    def __init__(self, client):
        self._client = client
        self.recovery_codes = {}  # email: the codes shown at set-up that it has not used

    def login(self, email, password=TEST_PASSWORD, next_url=None):
        url = "/login" + (f"?next={next_url}" if next_url else "")
        response = self._client.post(url, data={"email": email, "password": password,
                                                "csrf_token": csrf_token(self._client)})
        step = urlsplit(response.headers.get("Location", "")).path
        if response.status_code == 303 and step == "/login/mfa":
            return self.enter_code(email, self.mfa_code(email))
        if response.status_code == 303 and step == "/login/mfa/setup":
            return self._enrol(email)
        return response

    def enter_code(self, email, code):
        """The second step of a login, with ``code`` (a TOTP or recovery code)."""
        return self._client.post("/login/mfa", data={
            "code": code, "csrf_token": csrf_token(self._client, "/login/mfa")})

    def _enrol(self, email):
        page = self._client.get("/login/mfa/setup").get_data(as_text=True)
        secret = MFA_KEY.search(page).group(1).replace(" ", "")
        response = self._client.post("/login/mfa/setup", data={
            "code": pyotp.TOTP(secret).now(), "csrf_token": CSRF_INPUT.search(page).group(1)})
        assert response.status_code == 303, "setting up two-step login failed"
        codes = self._client.get(response.headers["Location"]).get_data(as_text=True)
        self.recovery_codes[email] = RECOVERY_CODE.findall(codes)
        return response

    def mfa_code(self, email):
        """A code the app will take now: the current step's, the next one's when the current
        was used already (replay protection), else one of the recovery codes."""
        from clinic.auth import mfa
        from clinic.auth.models import User

        db.session.commit()  # see what requests committed
        user = db.session.scalar(sa.select(User).where(User.email == email))
        credential = mfa.credential_of(user.id)
        totp = pyotp.TOTP(mfa.decrypt_secret(credential.secret_encrypted))
        now = totp.timecode(datetime.now(UTC))
        db.session.commit()
        for step in (now, now + mfa.VALID_WINDOW):
            if credential.last_used_step is None or step > credential.last_used_step:
                return totp.generate_otp(step)
        return self.recovery_codes[email].pop()

    def logout(self):
        token = csrf_token(self._client, "/account/password")
        return self._client.post("/logout", data={"csrf_token": token})

    def post(self, url, data=None, token_page="/account/password"):
        """POST as a logged-in browser would: with a CSRF token from one of our pages."""
        data = dict(data or {})
        data.setdefault("csrf_token", csrf_token(self._client, token_page))
        return self._client.post(url, data=data)


@pytest.fixture
def auth(client):
    return AuthActions(client)


class LogCapture(logging.Handler):
    """Every record, formatted as a handler would write it (message, arguments, traceback)."""

    def __init__(self):
        super().__init__(level=logging.NOTSET)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))

    def containing(self, *needles):
        return [line for line in self.lines if any(n in line for n in needles)]


@pytest.fixture
def logs():
    """Capture every record of every level at the root logger and at ``werkzeug`` (the tests
    that prove no token or PHI reaches a log line)."""
    capture = LogCapture()
    loggers = [logging.getLogger(), logging.getLogger("werkzeug")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(capture)
        logger.setLevel(logging.DEBUG)
    yield capture
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(capture)
        logger.setLevel(level)


@pytest.fixture
def sink():
    """A real SMTP server on 127.0.0.1 (tests/mailsink.py), started for the test and stopped
    after it; point SMTP_URL at ``sink.url``."""
    from mailsink import Sink

    server = Sink()
    server.start()
    yield server
    server.stop()
