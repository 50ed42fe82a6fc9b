"""Fixtures shared by every test: a real database (SQLite file or PostgreSQL), the app, a client.

Set ``TEST_DATABASE_URL`` to run the suite on PostgreSQL (``.ci/run`` does); the default is a
SQLite file in a temporary folder. The schema is built once per run by the real migrations, and
every test starts from empty tables.
"""

import os
import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from clinic.app import create_app
from clinic.extensions import db, limiter

TEST_PASSWORD = "correct horse battery staple"
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'liftclinic-test.sqlite'}"


def make_config(database_url, **overrides):
    return {
        "ENV_NAME": "testing",
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-that-is-at-least-32-bytes-long",
        "BASE_URL": "http://clinic.test",
        "RATELIMIT_STORAGE_URI": "memory://",
        **overrides,
    }


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


def _empty_all_tables():
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


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


@pytest.fixture
def config_overrides():
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
def app(migrated_schema, config_overrides):
    app = create_app(make_config(migrated_schema, **config_overrides))
    app.test_client_class = IsolatedClient
    with app.app_context():
        limiter.reset()
        yield app
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


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


class AuthActions:
    """flaskr's helper: log in and out through the real pages, CSRF tokens included."""

    def __init__(self, client):
        self._client = client

    def login(self, email, password=TEST_PASSWORD, next_url=None):
        url = "/login" + (f"?next={next_url}" if next_url else "")
        return self._client.post(url, data={"email": email, "password": password,
                                            "csrf_token": csrf_token(self._client)})

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
