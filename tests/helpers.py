"""Small helpers the test modules share: reading pages, reading rows back, opening patient links.

One copy of each, so a change in how the app answers (or how SQLite sees other sessions'
commits) is fixed in one place. Rows are made by ``factories.py``; fixtures live in conftest.
"""

import hashlib
import html
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from werkzeug.serving import make_server

from clinic.audit.models import AuditEvent
from clinic.auth.api_tokens import ApiToken
from clinic.database import utcnow
from clinic.extensions import db
from clinic.patients.models import CareTeamMember

PROJECT = Path(__file__).resolve().parents[1]
TAG = re.compile(r"<[^>]+>")
AUDIT_FIELDS = ("actor_id", "object_id", "patient_id", "detail")


# Reading pages ---------------------------------------------------------------------------------


def text(response):
    """The page as the server sent it (entities left as they are, as markup checks want)."""
    return response.get_data(as_text=True)


def unescaped(response):
    """The page with HTML entities decoded, for finding the words a clinician typed."""
    return html.unescape(text(response))


def flat(page):
    """A page (response or string) with runs of whitespace collapsed, for checking sentences
    that the templates wrap over several lines."""
    return " ".join((page if isinstance(page, str) else text(page)).split())


def words_of(markup):
    """Markup as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(TAG.sub(" ", markup)).split())


def visible(response):
    """The words a person sees on the page (see ``words_of``)."""
    return words_of(text(response))


def svg_of(response):
    """A chart response parsed as XML, to count its marks and read its titles."""
    return ET.fromstring(response.get_data())  # noqa: S314 (our own SVG, not untrusted input)


def answers(code, values):
    """Questionnaire form fields ``<CODE>:<item>`` for raw values; None leaves the item blank."""
    return {f"{code}:{n}": str(v) for n, v in enumerate(values, start=1) if v is not None}


def open_link(browser, token, portal="p"):
    """Open a patient link (``p``: program, ``q``: questionnaire) as a phone would: the token is
    swapped for a cookie by a 303 to the token-less page, which is then fetched."""
    first = browser.get(f"/{portal}/{token}")
    assert first.status_code == 303, first.status_code
    assert first.headers["Location"] == f"/{portal}/"
    return browser.get(f"/{portal}/")


def try_link(browser, token, portal="p"):
    """``open_link`` for a token that may be refused: a refusal (no redirect) is answered as it
    is, for the tests of revoked, paused and rotated links."""
    first = browser.get(f"/{portal}/{token}")
    if first.status_code != 303:
        return first
    assert first.headers["Location"] == f"/{portal}/"
    return browser.get(f"/{portal}/")


def is_logged_in(client):
    """Whether ``client`` holds a live, complete login: the caseload answers 200 only to one;
    anyone else (no login, or a login still at its second step) is sent to a /login page."""
    response = client.get("/patients")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    return False


# Reading rows back -----------------------------------------------------------------------------


def see_commits():
    """End the test session's read transaction so the next read sees what requests committed
    (on SQLite in WAL mode an open read keeps the snapshot it started with)."""
    db.session.commit()


def rows(model, *where, order=None):
    """Every row of ``model`` matching ``where``, by id unless ``order`` is given."""
    see_commits()
    return db.session.scalars(
        sa.select(model).where(*where).order_by(order if order is not None else model.id)
    ).all()


def count(model, *where):
    """How many rows of ``model`` match ``where``, as committed by requests."""
    see_commits()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def fresh(model, object_id):
    """The row as the database has it now, not as the test session cached it."""
    see_commits()
    db.session.expire_all()
    return db.session.get(model, object_id)


def member_id(patient, user):
    """The id of ``user``'s place on ``patient``'s care team, None when not on it (objects or
    ids): the care-team pages and API address members by it."""
    see_commits()
    return db.session.scalar(sa.select(CareTeamMember.id).where(
        CareTeamMember.patient_id == getattr(patient, "id", patient),
        CareTeamMember.user_id == getattr(user, "id", user)))


# The audit trail -------------------------------------------------------------------------------


def audit_events(action, **where):
    """The audit rows of ``action`` (and any column equal to a value in ``where``), oldest first."""
    see_commits()
    query = sa.select(AuditEvent).where(AuditEvent.action == action)
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return db.session.scalars(query.order_by(AuditEvent.id)).all()


def audit(action, fields=AUDIT_FIELDS):
    """``action``'s audit rows as tuples of ``fields``: who did it to what (and whose record)."""
    return [tuple(getattr(e, name) for name in fields) for e in audit_events(action)]


def raw_audit_rows(**where):
    """Every audit row as the database holds it (plain dicts of every column), oldest first;
    ``where`` filters on columns."""
    see_commits()
    table = AuditEvent.__table__
    query = sa.select(table).order_by(table.c.id)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    return [dict(row) for row in db.session.execute(query).mappings()]


def assert_no_phi(row, *values):
    """No value (a name, a reference, an email, a note) appears in any column of an audit row,
    its JSON detail included, in any letter case."""
    written = json.dumps({k: str(v) for k, v in row.items()}) + json.dumps(row["detail"])
    for value in values:
        assert str(value).lower() not in written.lower(), f"{value!r} leaked into {row}"


# Tokens and time -------------------------------------------------------------------------------


def hashed(token):
    """A link or API token as the database stores it (SHA-256, hex): what a log may show."""
    return hashlib.sha256(token.encode()).hexdigest()


def utc(*args):
    """``datetime(*args)`` in UTC, for fixed instants in schedules and clocks."""
    return datetime(*args, tzinfo=UTC)


# Real servers ----------------------------------------------------------------------------------


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on (for a server to start, or to refuse)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """Answer a redirect with its own status instead of following it."""

    def redirect_request(self, *args, **kwargs):
        return None


def statuses_of(base_url, paths, timeout=30):
    """GET each of ``paths`` from a real server at ``base_url``; their statuses, in order,
    redirects not followed."""
    opener = urllib.request.build_opener(NoRedirects)
    statuses = []
    for path in paths:
        try:
            with opener.open(f"{base_url}{path}", timeout=timeout) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            with error:
                statuses.append(error.code)
    return statuses


def get_from_real_server(app, paths):
    """Ask a real werkzeug server (which writes access log lines) for ``paths``."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        return statuses_of(f"http://127.0.0.1:{server.server_port}", paths)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


def start_gunicorn(database_url, port, **environ):
    """The real gunicorn with the project's gunicorn.conf.py, on 127.0.0.1:``port``."""
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1",
           "LIFTCLINIC_ENV": "production", "DATABASE_URL": database_url,
           "SECRET_KEY": secrets.token_urlsafe(48),
           "BASE_URL": "https://clinic.test", **environ}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return process
        except OSError:  # not listening yet, or the worker is still importing the app
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    output = process.communicate(timeout=10)[0].decode(errors="replace")
    raise AssertionError(f"gunicorn did not start:\n{output}")


def stop_gunicorn(process):
    """Stop the server this test started; its output (access log included)."""
    process.terminate()
    try:
        return process.communicate(timeout=30)[0].decode(errors="replace")
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate(timeout=10)[0].decode(errors="replace")


def make_token(user, *, expires_in=timedelta(days=30), revoked=False):
    """A token row as the service writes one (only the SHA-256 stored); returns the token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(ApiToken(user_id=user.id, token_hash=hashed(token),
                            created_at=now - timedelta(days=1), expires_at=now + expires_in,
                            revoked_at=now if revoked else None))
    db.session.commit()
    return token


def training_alert(patient, kind="pain_reported"):
    """An open alert of a kind training logs raise (a trainer may acknowledge it); its id."""
    from clinic.alerts.services import raise_alert

    alert = raise_alert(patient, kind, pain=7)
    db.session.commit()
    return alert.id


def forged_session(app, data):
    """A session cookie signed with the app's own SECRET_KEY holding ``data``: what anyone who
    knows the key could send."""
    return app.session_interface.get_signing_serializer(app).dumps(data)
