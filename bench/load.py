"""Load benchmark: LiftClinic's busiest paths under gunicorn against bare baselines measured in
the same run (prints figures; never a timed test).

    .venv/bin/python bench/load.py [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
                                   [--patients 40] [--weeks 26] [--seconds 8] [--rounds 3]
    .venv/bin/python bench/load.py --counts      # statements per page at 5, 50 and 500 patients

Every server runs the project's gunicorn.conf.py (2 workers x 4 threads, preloaded, warm) on
127.0.0.1, with rate limits off through the explicit ``RATELIMIT_ENABLED=false`` (which
``flask check-deploy`` refuses in production). The load is 8 client threads on keep-alive
connections. Pairs take turns (A B B A ...) for ``--seconds`` each, ``--rounds`` times; the
figures are medians:

- **questionnaire submit flow** (open the link: 303; the form; POST the PHQ-9 and GAD-7
  answers: 303; the thank-you page) against ``bench/baseline_apps.py:bare`` doing the same four
  requests with one INSERT. Goal: at least 0.5. PHQ-9 item 9 is answered "several days" in
  ``--risk-share`` of the flows (default all): each such submit raises a risk alert and
  queues its care team's mail in the outbox, in the same transaction, and (with a Redis,
  started privately on a free port unless ``--no-redis``) enqueues the workers' wake-up after
  the commit. No worker runs: the queued mails stay in the database, counted at the end.
- **caseload** (``/patients``) and **dashboard** (``/``) of a therapist with ``--patients``
  patients of ``--weeks`` weeks of PHQ-9 and GAD-7 against a Flask "hello". Goal: at least 0.15
  on SQLite, 0.10 on PostgreSQL.
- page weights: bytes (as sent, compressed) and requests of the patient's questionnaire page.

``--counts`` builds 5, then 50, then 500 patients (2 weeks each) and prints the SQL statements
of the dashboard and the caseload page at each size (the same number is the goal).
"""

import argparse
import http.client
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

PASSWORD = "bench password that is long enough"  # noqa: S105 (a throwaway local account)
EMAIL = "bench.therapist@clinic.test"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
INVITATION = re.compile(r'name="invitation" value="(\d+)"')
THREADS = 8


# The world ---------------------------------------------------------------------------------


def build_world(app, patients, weeks, links):
    """A clinic, a therapist, patients with weekly PHQ-9 and GAD-7; ``links`` open
    questionnaire links (PHQ-9 + GAD-7). Returns the links' tokens."""
    from bench.synthetic import weekly_patients
    from clinic.auth.models import Clinic, Role, User
    from clinic.auth.passwords import hash_password
    from clinic.extensions import db
    from clinic.measures import services as measures

    clinic = Clinic(name="Load Clinic")
    user = User(clinic=clinic, email=EMAIL, name="Load Therapist", role=Role.THERAPIST,
                password_hash=hash_password(PASSWORD))
    db.session.add_all([clinic, user])
    made = weekly_patients(clinic, user, patients, weeks, prefix="Load", seed=7)
    tokens = []
    for n in range(links):
        invitation = measures.create_adhoc_invitation(user, made[n % len(made)].id,
                                                      ["PHQ-9", "GAD-7"])
        tokens.append(measures.link_token(invitation))
    return tokens


# Servers -----------------------------------------------------------------------------------


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(app_path, environ):
    port = free_port()
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2",
           **environ}
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--access-logfile",
         "/dev/null", app_path], cwd=PROJECT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return process, port
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"{app_path} did not start")


# A small keep-alive client -------------------------------------------------------------------


class Client:
    """One connection and its cookies (kept whatever their Secure flag: this is a bench)."""

    def __init__(self, port):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies = {}

    def request(self, method, path, form=None, encoding=None):
        headers = {"Connection": "keep-alive"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if encoding:
            headers["Accept-Encoding"] = encoding
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data, response.headers


RISK_SHARE = [1.0]  # set from --risk-share


def clinic_submit(client, tokens):
    """The patient's four requests; True when each answered as it should."""
    token = tokens.pop()
    risk = (len(tokens) * RISK_SHARE[0]) % 1 + RISK_SHARE[0] >= 1  # that share, spread evenly
    client.cookies.clear()
    status, _, _ = client.request("GET", f"/q/{token}")
    if status != 303:
        return False
    status, body, _ = client.request("GET", "/q/")
    page = body.decode()
    form = {"csrf_token": CSRF.search(page).group(1),
            "invitation": INVITATION.search(page).group(1)}
    form.update({f"PHQ-9:{n}": "1" if n < 9 or risk else "0" for n in range(1, 10)})
    form.update({f"GAD-7:{n}": "1" for n in range(1, 8)})
    status, _, _ = client.request("POST", "/q/", form)
    if status != 303:
        return False
    return client.request("GET", "/q/done")[0] == 200


def bare_submit(client, tokens):
    token = tokens.pop()
    client.cookies.clear()
    if client.request("GET", f"/q/{token}")[0] != 303:
        return False
    _status, body, _ = client.request("GET", "/q/")
    form = {"csrf_token": CSRF.search(body.decode()).group(1)}
    form.update({f"q{n}": "1" for n in range(16)})
    if client.request("POST", "/q/", form)[0] != 303:
        return False
    return client.request("GET", "/q/done")[0] == 200


def login(client):
    status, body, _ = client.request("GET", "/login")
    token = CSRF.search(body.decode()).group(1)
    status, _, _ = client.request("POST", "/login", {"csrf_token": token, "email": EMAIL,
                                                    "password": PASSWORD})
    assert status in (302, 303), f"login answered {status}"


def page(path):
    def fetch(client, _tokens):
        return client.request("GET", path, encoding="gzip, br")[0] == 200
    return fetch


def run_load(port, flow, seconds, tokens=None, logged_in=False):
    """(flows per second, p50 ms, p99 ms) of ``THREADS`` clients looping ``flow``."""
    latencies, failures = [], []
    lock = threading.Lock()
    clients = [Client(port) for _ in range(THREADS)]
    if logged_in:
        for client in clients:
            login(client)
            client.request("GET", "/")  # once-per-session work before the clock runs
    deadline = time.perf_counter() + seconds

    def loop(client):
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            ok = flow(client, tokens)
            took = time.perf_counter() - started
            with lock:
                (latencies if ok else failures).append(took)

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        print(f"  ({len(failures)} failed flows on port {port})")
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0
    return (len(latencies) / elapsed, statistics.median(latencies) * 1000 if latencies else 0,
            p99 * 1000)


def compare(name, goal, a, b, rounds):
    """A (LiftClinic) and B (the baseline) take turns; prints medians and the ratio."""
    a_runs, b_runs = [], []
    for round_number in range(rounds):
        order = [(a, a_runs), (b, b_runs)]
        for run, into in order if round_number % 2 == 0 else order[::-1]:
            into.append(run())
    a_rate = statistics.median(r[0] for r in a_runs)
    b_rate = statistics.median(r[0] for r in b_runs)
    print(f"{name}: {a_rate:7.1f}/s (p50 {statistics.median(r[1] for r in a_runs):.0f} ms, "
          f"p99 {statistics.median(r[2] for r in a_runs):.0f} ms)  baseline {b_rate:7.1f}/s "
          f"(p50 {statistics.median(r[1] for r in b_runs):.0f} ms, "
          f"p99 {statistics.median(r[2] for r in b_runs):.0f} ms)  ratio "
          f"{a_rate / b_rate:.3f}  (goal >= {goal})")


# Statement counts ------------------------------------------------------------------------------


def statement_counts(database_url):
    import sqlalchemy as sa

    from clinic.app import create_app
    from clinic.extensions import db

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                      "PASSWORD_HASH_PROFILE": "fast"})
    with app.app_context():
        db.create_all()
        client = app.test_client()
        built = 0
        for size in (5, 50, 500):
            build_more(size - built, built)
            built = size
            if size == 5:
                client.post("/login", data={"email": EMAIL, "password": PASSWORD})
            counts = {}
            for path in ("/", "/patients"):
                seen = []

                def remember(conn, cursor, statement, *args, seen=seen):
                    seen.append(statement)

                client.get(path)
                sa.event.listen(db.engine, "before_cursor_execute", remember)
                started = time.perf_counter()
                status = client.get(path).status_code
                took = time.perf_counter() - started
                sa.event.remove(db.engine, "before_cursor_execute", remember)
                counts[path] = (len(seen), took, status)
            print(f"{size:4d} patients: dashboard {counts['/'][0]} statements "
                  f"({counts['/'][1] * 1000:.0f} ms), caseload {counts['/patients'][0]} "
                  f"statements ({counts['/patients'][1] * 1000:.0f} ms)")


def build_more(count, start):
    from clinic.auth.models import Clinic, Role, User
    from clinic.auth.passwords import hash_password
    from clinic.extensions import db
    from clinic.measures import services as measures
    from clinic.patients.models import CareTeamMember, Episode, Patient

    now = datetime.now(UTC)
    user = db.session.query(User).filter_by(email=EMAIL).one_or_none()
    if user is None:
        clinic = Clinic(name="Count Clinic")
        user = User(clinic=clinic, email=EMAIL, name="Count Therapist", role=Role.THERAPIST,
                    password_hash=hash_password(PASSWORD))
        db.session.add_all([clinic, user])
        db.session.commit()
    for n in range(start, start + count):
        patient = Patient(clinic_id=user.clinic_id, display_name=f"Count Patient {n:03d}",
                          reference=f"C-{n:03d}")
        patient.episodes.append(Episode(start=(now - timedelta(weeks=3)).date()))
        patient.care_team.append(CareTeamMember(user=user, is_primary=True))
        db.session.add(patient)
        db.session.commit()
        for week in range(2):
            when = now - timedelta(weeks=2 - week)
            measures.record_clinician_response(user, patient.id, "PHQ-9", [1] * 8 + [0], when)
            measures.record_clinician_response(user, patient.id, "GAD-7", [1] * 7, when)


# Main ---------------------------------------------------------------------------------------------


def scratch_database(admin_url):
    """(URL of a new PostgreSQL database, a function that drops it)."""
    import psycopg

    name = f"liftclinic_bench_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return admin_url.rsplit("/", 1)[0] + f"/{name}", drop


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a scratch database is "
                                           "made there and dropped); default: SQLite")
    parser.add_argument("--patients", type=int, default=40)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--counts", action="store_true")
    parser.add_argument("--risk-share", type=float, default=1.0,
                        help="share of submits with a risk answer (an alert and its outbox "
                             "mail each); default 1")
    parser.add_argument("--no-redis", action="store_true",
                        help="no Redis: no wake-up enqueued after the submit's commit")
    args = parser.parse_args()
    RISK_SHARE[0] = args.risk_share
    os.environ.pop("DATABASE_URL", None)
    folder = Path(tempfile.mkdtemp(prefix="liftclinic-load-"))
    drop = None
    if args.postgres:
        database_url, drop = scratch_database(args.postgres)
    else:
        database_url = f"sqlite:///{folder}/load.sqlite"
    try:
        if args.counts:
            statement_counts(database_url)
            return
        measure(args, database_url, folder)
    finally:
        if drop:
            drop()


def measure(args, database_url, folder):
    from clinic.app import create_app
    from clinic.extensions import db

    secret = secrets.token_urlsafe(48)
    links = int(args.rounds * args.seconds * 120) + 500  # more than the flow can use
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": secret,
                      "SQLALCHEMY_DATABASE_URI": database_url,
                      "BASE_URL": "https://clinic.example.org"})
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        tokens = build_world(app, args.patients, args.weeks, links)
        db.session.remove()
        db.engine.dispose()
    kind = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"{kind}: {args.patients} patients x {args.weeks} weeks of PHQ-9 and GAD-7, "
          f"{links} links, built in {time.perf_counter() - started:.0f} s; {os.cpu_count()} "
          "cores; gunicorn 2 workers x 4 threads; 8 client threads")
    common = {"SECRET_KEY": secret, "RATELIMIT_ENABLED": "false"}
    redis = None if args.no_redis else private_redis()
    # The wake-ups (and, as in production, the rate-limit store, off here) go to this Redis.
    queue = {"REDIS_URL": redis[1]} if redis else {}
    print(f"outbox: {args.risk_share:.0%} of submits raise a risk alert and queue its mail; "
          f"wake-ups {'to a private Redis' if redis else 'off (no Redis)'}; no worker runs")
    servers = {
        "clinic": start("wsgi:app", {**common, "LIFTCLINIC_ENV": "production",
                                     "DATABASE_URL": database_url,
                                     "BASE_URL": "https://clinic.example.org", **queue}),
        "bare": start("bench.baseline_apps:bare", {**common, "BENCH_DATABASE_URL":
                                                   database_url.replace(
                                                       "postgresql://",
                                                       "postgresql+psycopg://")}),
        "hello": start("bench.baseline_apps:hello", common),
    }
    port = {name: server[1] for name, server in servers.items()}
    run_started = datetime.now(UTC)
    try:
        probe = Client(port["clinic"])
        probe.request("GET", f"/q/{tokens[0]}")
        _status, body, headers = probe.request("GET", "/q/", encoding="gzip, br")
        print(f"questionnaire page (PHQ-9 + GAD-7): {len(body)} bytes as sent "
              f"({headers.get('Content-Encoding') or 'uncompressed'}), 1 request for the page "
              "+ 1 stylesheet (cached a year by its hash) + 1 icon")
        tokens = tokens[1:]
        # The bare app's links are only random strings: enough for 1,000 flows a second (it
        # ran out at the same count as LiftClinic's, ending its threads early).
        bare_tokens = [secrets.token_urlsafe(32)
                       for _ in range(int(args.rounds * args.seconds * 1000) + 500)]
        seconds, rounds = args.seconds, args.rounds
        goal = "0.15" if kind == "SQLite" else "0.10"
        compare("submit flow  ", "0.5",
                lambda: run_load(port["clinic"], clinic_submit, seconds, tokens),
                lambda: run_load(port["bare"], bare_submit, seconds, bare_tokens), rounds)
        compare("caseload     ", goal,
                lambda: run_load(port["clinic"], page("/patients"), seconds, logged_in=True),
                lambda: run_load(port["hello"], page("/"), seconds), rounds)
        compare("dashboard    ", goal,
                lambda: run_load(port["clinic"], page("/"), seconds, logged_in=True),
                lambda: run_load(port["hello"], page("/"), seconds), rounds)
        print(queued_mails(app, run_started))
    finally:
        # gunicorn's quick shutdown (SIGINT), then SIGKILL: a server stuck in a slow request
        # must not outlive the bench, nor leave the others (and the Redis) running.
        children = [process for process, _ in servers.values()] + ([redis[0]] if redis else [])
        for process in children:
            process.send_signal(signal.SIGINT)
        for process in children:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def queued_mails(app, since):
    """What the submits left in the outbox: the proof the path measured wrote it (the
    seeded history's alerts were entered by the therapist, who is not mailed about them)."""
    import sqlalchemy as sa

    from clinic.alerts.models import Alert
    from clinic.extensions import db
    from clinic.outbox.models import OutboxMessage

    with app.app_context():
        alerts = db.session.scalar(sa.select(sa.func.count(Alert.id))
                                   .where(Alert.created_at >= since))
        mails = db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))
                                  .where(OutboxMessage.kind == "alert_mail",
                                         OutboxMessage.created_at >= since))
        db.session.remove()
        db.engine.dispose()
    return f"outbox after the run: {alerts} alerts raised, {mails} alert mails queued"


def private_redis():
    """(process, URL) of a redis-server of our own on a free port (no disk), or None."""
    import shutil

    binary = shutil.which("redis-server")
    if binary is None:
        print("(redis-server not installed: wake-ups off)")
        return None
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--loglevel", "warning"], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    return process, f"redis://127.0.0.1:{port}/0"


if __name__ == "__main__":
    main()
