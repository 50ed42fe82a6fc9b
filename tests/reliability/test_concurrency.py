"""Fifty phones submit the same questionnaire at once, against the real app under gunicorn.

gunicorn runs the project's ``gunicorn.conf.py`` (gthread workers) with several worker
processes, on a socket this test opened on 127.0.0.1 (passed as ``fd://``: no port race),
against the suite's database (SQLite file or ``TEST_DATABASE_URL``). Each client is its own
browser: it opens the link (``/q/<token>`` answers 303 to ``/q/`` and keeps the link in its
signed session), reads the form's CSRF token, and then all fifty post their answers from
threads released together by a barrier.

Rate limits are switched off for this server (``RATELIMIT_ENABLED``): fifty clients on one
loopback address would otherwise meet the per-address limit on patient links, which is tested
on its own; here the question is what concurrent writes do.
"""

import http.client
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from conftest import make_config
from factories import InvitationFactory, link_token

from clinic.audit.models import AuditEvent
from clinic.auth.models import User
from clinic.extensions import db
from clinic.measures.models import Invitation, Response
from reliability.world import PROJECT_DIR

CLIENTS = 50
WORKERS = 3
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
INVITATION = re.compile(r'name="invitation" value="(\d+)"')
PHQ9 = {f"PHQ-9:{n}": "1" for n in range(1, 10)}


class Phone:
    """One patient's browser: its own cookie jar (the session cookie), one request at a time."""

    def __init__(self, port, cookie_name):
        self.port = port
        self.cookie_name = cookie_name
        self.cookie = None

    def request(self, method, path, form=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": self.cookie} if self.cookie else {}
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
            pair = value.split(";", 1)[0]
            if pair.startswith(self.cookie_name + "="):
                self.cookie = pair
        return response.status, response.headers.get("Location"), text


@pytest.fixture
def gunicorn(app, database_url, tmp_path):
    """The app under gunicorn with several workers on 127.0.0.1: (port, log path)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(256)
    port = listener.getsockname()[1]
    config = make_config(database_url, RATELIMIT_ENABLED=False)
    log = tmp_path / "gunicorn.log"
    db.session.commit()  # the test's own session holds no snapshot or lock while they write
    with open(log, "w") as output:
        server = subprocess.Popen(  # noqa: S603 (our interpreter, our config)
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
             "--workers", str(WORKERS), "--bind", f"fd://{listener.fileno()}",
             "--access-logfile", "-", "--error-logfile", "-",
             f"clinic.app:create_app({config!r})"],
            cwd=PROJECT_DIR, pass_fds=[listener.fileno()], stdout=output,
            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while log.read_text().count("Booting worker") < WORKERS:
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        status = None
        while status != 200:
            assert time.monotonic() < deadline, log.read_text()
            status = Phone(port, "").request("GET", "/healthz")[0]
        yield port, log
    finally:
        server.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: the test is over
        server.wait(timeout=60)
        listener.close()


def test_fifty_concurrent_submissions_store_one_response_and_no_server_error(
        app, gunicorn, world):
    port, log = gunicorn
    therapist = db.session.get(User, world["therapist_id"])
    invitation = InvitationFactory(actor=therapist, patient=world["patient_id"])
    token = link_token(invitation)
    db.session.commit()
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    barrier = threading.Barrier(CLIENTS)
    outcomes, failures = [None] * CLIENTS, []

    def patient(index):
        try:
            phone = Phone(port, cookie_name)
            assert phone.request("GET", f"/q/{token}")[:2] == (303, "/q/")
            status, _, page = phone.request("GET", "/q/")
            assert status == 200, page
            form = {"csrf_token": CSRF.search(page).group(1),
                    "invitation": INVITATION.search(page).group(1), **PHQ9}
            barrier.wait(timeout=60)
            status, location, page = phone.request("POST", "/q/", form)
            after = phone.request("GET", location)[0] if location else None
            outcomes[index] = (status, location, after)
        except BaseException as error:  # reported below, with the client's number
            barrier.abort()
            failures.append((index, repr(error)))

    threads = [threading.Thread(target=patient, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert failures == []

    # Every phone got a calm answer: the thank-you page (303), or "already completed" (200).
    statuses = [status for status, _, _ in outcomes]
    assert all(status < 500 for status in statuses), outcomes
    assert set(outcomes) <= {(303, "/q/done", 200), (200, None, None)}, outcomes
    deadline = time.monotonic() + 30  # a worker logs a request just after answering it
    while log.read_text().count('"POST /q/ ') < CLIENTS and time.monotonic() < deadline:
        time.sleep(0.05)
    server_log = log.read_text()
    assert server_log.count('"POST /q/ ') == CLIENTS, server_log
    assert "Traceback" not in server_log and "ERROR" not in server_log, server_log

    db.session.rollback()
    stored = db.session.scalars(sa.select(Response).where(
        Response.invitation_id == invitation.id)).all()
    assert len(stored) == 1
    assert db.session.get(Invitation, invitation.id).completed_at is not None
    assert db.session.scalar(sa.select(sa.func.count()).where(
        AuditEvent.action == "response_submit", AuditEvent.object_id == invitation.id)) == 1
    print(f"concurrent submissions: {CLIENTS} clients, {WORKERS} gunicorn workers, "
          f"{len(stored)} response stored, {sum(s >= 500 for s in statuses)} server errors, "
          f"answers {dict(Counter(outcomes))}")
