"""CPU per request of the busiest pages, in one process, against the bare stack in the same
process (prints figures; never a timed test).

    .venv/bin/python bench/profile_pages.py [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
                                            [--patients 40] [--weeks 26] [--requests 200]
                                            [--rounds 5] [--profile]

Wall-clock load figures (``bench/load.py``) swing with whatever else the machine runs; CPU time
of this process (``time.process_time``) does much less. The synthetic world is
``bench/synthetic.py``'s (patients with ``--weeks`` of weekly PHQ-9 and GAD-7 and a primary
clinician). Through the Flask test client (no HTTP, no gunicorn), A and B take turns ``--rounds``
times, ``--requests`` requests each; the figures are medians of CPU ms per request:

- the **dashboard** (``/``) and the **caseload** (``/patients``) of a logged-in therapist against
  ``bench/baseline_apps.py:hello``;
- the **questionnaire submit flow** (open the link: 303; the form; POST the PHQ-9 and GAD-7:
  303; the thank-you page) against ``bench/baseline_apps.py:bare`` (one INSERT, same database).

The ratio is the baseline's CPU per request over the page's: the share of the baseline's
throughput the page could reach on the same cores. On PostgreSQL the server's CPU is not
counted (it is another process). Each page also prints its SQL statements and the ORM objects
one request builds; ``--profile`` adds cProfile's top functions of each page.
"""

import argparse
import cProfile
import os
import pstats
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.load import EMAIL, PASSWORD, build_world, scratch_database  # noqa: E402

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
INVITATION = re.compile(r'name="invitation" value="(\d+)"')
BASE = "https://clinic.example.org"


def clinic_submit(client, token):
    client._cookies.clear()
    assert client.get(f"/q/{token}", base_url=BASE).status_code == 303
    page = client.get("/q/", base_url=BASE).get_data(as_text=True)
    form = {"csrf_token": CSRF.search(page).group(1),
            "invitation": INVITATION.search(page).group(1)}
    form.update({f"PHQ-9:{n}": "1" if n < 9 else "0" for n in range(1, 10)})
    form.update({f"GAD-7:{n}": "1" for n in range(1, 8)})
    response = client.post("/q/", data=form, base_url=BASE, headers={"Referer": f"{BASE}/q/"})
    assert response.status_code == 303, response.status_code
    assert client.get("/q/done", base_url=BASE).status_code == 200


def bare_submit(client, token):
    client._cookies.clear()
    assert client.get(f"/q/{token}").status_code == 303
    page = client.get("/q/").get_data(as_text=True)
    form = {"csrf_token": CSRF.search(page).group(1)}
    form.update({f"q{n}": "1" for n in range(16)})
    assert client.post("/q/", data=form).status_code == 303
    assert client.get("/q/done").status_code == 200


def getter(path, base_url=BASE):
    def fetch(client, _token):
        response = client.get(path, base_url=base_url, headers={"Accept-Encoding": "gzip, br"})
        assert response.status_code == 200, (path, response.status_code)
    return fetch


def cpu_per_request(client, flow, count, tokens=None):
    """CPU ms per call of ``flow`` over ``count`` calls."""
    started = time.process_time()
    for _ in range(count):
        flow(client, tokens.pop() if tokens is not None else None)
    return (time.process_time() - started) * 1000 / count


def compare(name, goal, a, b, rounds):
    a_runs, b_runs = [], []
    for round_number in range(rounds):
        order = [(a, a_runs), (b, b_runs)]
        for run, into in order if round_number % 2 == 0 else order[::-1]:
            into.append(run())
    a_ms, b_ms = statistics.median(a_runs), statistics.median(b_runs)
    print(f"{name}: {a_ms:7.2f} ms CPU/request (min {min(a_runs):.2f})  baseline {b_ms:6.2f} ms "
          f"(min {min(b_runs):.2f})  ratio {b_ms / a_ms:.3f}  (goal >= {goal})")


def census(app, client, flow, token=None, slowest=0):
    """(SQL statements, ORM objects loaded) of one call of ``flow``; prints the ``slowest``
    statements with their time (cursor execute to the next statement or the end)."""
    import sqlalchemy as sa
    from sqlalchemy.orm import Mapper

    from clinic.extensions import db

    seen = {"statements": [], "objects": 0}

    def before(conn, cursor, statement, *_args):
        seen["statements"].append([statement, time.perf_counter(), None])

    def after(*_args):
        seen["statements"][-1][2] = time.perf_counter()

    def loaded(*_args):
        seen["objects"] += 1

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    sa.event.listen(Mapper, "load", loaded)
    try:
        flow(client, token)
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)
        sa.event.remove(Mapper, "load", loaded)
    timed = sorted(((end - start) * 1000, statement) for statement, start, end in
                   seen["statements"])
    for took, statement in timed[::-1][:slowest]:
        print(f"    {took:6.2f} ms in the database: {' '.join(statement.split())[:300]}")
    return len(seen["statements"]), seen["objects"]


def profile(name, client, flow, count, tokens=None, top=40):
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        flow(client, tokens.pop() if tokens is not None else None)
    profiler.disable()
    print(f"\n--- cProfile, {name}, {count} requests (top {top} by cumulative time) ---")
    stats = pstats.Stats(profiler)
    if os.environ.get("PROFILE_DUMP"):  # a folder for pstats files (snakeviz, pstats browser)
        stats.dump_stats(Path(os.environ["PROFILE_DUMP"]) / f"{name.replace(' ', '_')}.prof")
    stats.sort_stats("cumulative").print_stats(str(PROJECT) + r"/(clinic|templates)/", top)
    stats.sort_stats("tottime").print_stats(top)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a scratch database is "
                                           "made there and dropped); default: SQLite")
    parser.add_argument("--patients", type=int, default=40)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    folder = Path(tempfile.mkdtemp(prefix="liftclinic-profile-"))
    drop = None
    if args.postgres:
        database_url, drop = scratch_database(args.postgres)
    else:
        database_url = f"sqlite:///{folder}/profile.sqlite"
    try:
        measure(args, database_url)
    finally:
        if drop:
            drop()


def measure(args, database_url):
    import logging

    from clinic.app import create_app
    from clinic.extensions import db

    # The same settings as bench/load.py's server: production, rate limits off explicitly.
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": secrets.token_urlsafe(48),
                      "SQLALCHEMY_DATABASE_URI": database_url, "BASE_URL": BASE,
                      "RATELIMIT_ENABLED": False})
    logging.getLogger("clinic").setLevel(logging.WARNING)
    submits = args.requests // 4  # four requests per flow
    links = submits * (args.rounds + (2 if args.profile else 0)) + 10
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        tokens = build_world(app, args.patients, args.weeks, links)
        db.session.remove()
    os.environ["BENCH_DATABASE_URL"] = database_url.replace("postgresql://",
                                                            "postgresql+psycopg://")
    from bench.baseline_apps import bare, hello

    kind = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"{kind}: {args.patients} patients x {args.weeks} weeks of PHQ-9 and GAD-7, built in "
          f"{time.perf_counter() - started:.0f} s; {args.requests} requests a turn, "
          f"{args.rounds} turns; CPU of this process (time.process_time)")

    clinic = app.test_client()
    login = clinic.get("/login", base_url=BASE).get_data(as_text=True)
    response = clinic.post("/login", base_url=BASE, headers={"Referer": f"{BASE}/login"}, data={
        "csrf_token": CSRF.search(login).group(1), "email": EMAIL, "password": PASSWORD})
    assert response.status_code in (302, 303), response.status_code
    patient_client = app.test_client()
    hello_client, bare_client = hello.test_client(), bare.test_client()
    bare_tokens = [secrets.token_urlsafe(16) for _ in range(len(tokens))]
    dashboard, caseload = getter("/"), getter("/patients")
    hello_page = getter("/", base_url="http://localhost")

    for name, client, flow, token in (("dashboard", clinic, dashboard, None),
                                      ("caseload", clinic, caseload, None),
                                      ("submit flow", patient_client, clinic_submit,
                                       tokens.pop())):
        flow(client, token)  # warm
        statements, objects = census(app, client, flow, token=tokens.pop() if token else None,
                                      slowest=5 if args.profile else 0)
        print(f"{name}: {statements} SQL statements, {objects} ORM objects loaded")

    goal = "0.15" if kind == "SQLite" else "0.10"
    n, rounds = args.requests, args.rounds
    for client, flow in ((hello_client, hello_page), (bare_client, bare_submit)):
        flow(client, bare_tokens.pop())  # warm
    compare("dashboard  ", goal, lambda: cpu_per_request(clinic, dashboard, n),
            lambda: cpu_per_request(hello_client, hello_page, n), rounds)
    compare("caseload   ", goal, lambda: cpu_per_request(clinic, caseload, n),
            lambda: cpu_per_request(hello_client, hello_page, n), rounds)
    compare("submit flow", "0.5",
            lambda: cpu_per_request(patient_client, clinic_submit, submits, tokens),
            lambda: cpu_per_request(bare_client, bare_submit, submits, bare_tokens), rounds)
    print("(submit flow: CPU ms per flow of four requests)")
    if args.profile:
        profile("dashboard", clinic, dashboard, n)
        profile("caseload", clinic, caseload, n)
        profile("submit flow", patient_client, clinic_submit, submits, tokens)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
