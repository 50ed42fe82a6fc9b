"""Benchmark of the batch PDF export and of a worker's first export (prints figures; never a
timed test).

    .venv/bin/python bench/batch.py [--patients 20] [--rounds 3] [--exports 200]

A throwaway SQLite database with one clinic of ``--patients`` patients (26 weeks of weekly PHQ-9
and GAD-7 each, entered through the services). Printed, all measured in this one run:

1. **Batch vs singles**, in alternating rounds (A B A B, medians): ``flask reports export`` run
   as the command an operator runs (a new process: Python, the app, forked warm workers, one
   per core) against the same reports rendered one after another by a warm process
   (``export_report_pdf_as_system``). Goal: the batch at most 0.6 of the singles on 2 cores.
2. **Cold vs warm**: a new process does what the gunicorn master does before it forks
   (``create_app``, ``warm_up_and_freeze``), then times its first export and five more.
   Goal: first / median of the rest at most 1.1. The same without the warm-up, for contrast.
3. **Worker memory over ``--exports`` exports** in one process (RSS after the first and every
   50th). Goal: within 60 MB of the RSS after the first.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

WEEKS = 26
CLINIC = "Bench Clinic"


def build_clinic(patients):
    """One clinician and ``patients`` patients with their weekly questionnaires."""
    from bench.synthetic import weekly_patients
    from clinic.auth.models import Clinic, Role, User
    from clinic.extensions import db

    clinic = Clinic(name=CLINIC)
    user = User(clinic=clinic, email="bench@clinic.test", name="Bench Therapist",
                role=Role.THERAPIST, password_hash="unusable")  # noqa: S106
    db.session.add_all([clinic, user])
    return [p.id for p in weekly_patients(clinic, user, patients, WEEKS, prefix="Batch",
                                          seed=3)]


def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def first_and_rest(database_url, patient_id, warm):
    """In a new process: (first export, median of five more), in seconds."""
    code = f"""
import json, statistics, time
from clinic.app import create_app
from clinic.reports import pdf, services
app = create_app({{"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": {database_url!r},
                  "RATELIMIT_STORAGE_URI": "memory://"}})
if {warm!r}:
    pdf.warm_up_and_freeze(app)
times = []
with app.app_context():
    for _ in range(6):
        started = time.perf_counter()
        services.export_report_pdf_as_system({patient_id})
        times.append(time.perf_counter() - started)
print(json.dumps([times[0], statistics.median(times[1:])]))
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, check=True,  # noqa: S603
                            capture_output=True, text=True,
                            env={**os.environ, "LIFTCLINIC_ENV": "testing"})
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--exports", type=int, default=200)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="liftclinic-batch-"))
    database_url = f"sqlite:///{folder}/bench.sqlite"
    os.environ.pop("DATABASE_URL", None)
    from clinic.app import create_app
    from clinic.extensions import db
    from clinic.reports import pdf, services

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                      "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        ids = build_clinic(args.patients)
        print(f"{len(ids)} patients of {WEEKS} weeks built in "
              f"{time.perf_counter() - started:.1f} s; {os.cpu_count()} cores")
        pdf.warm_up_and_freeze()
        services.export_report_pdf_as_system(ids[0])  # warm

    def singles():
        with app.app_context():
            for patient_id in ids:
                services.export_report_pdf_as_system(patient_id)
            db.session.remove()

    def batch(round_number):
        out = folder / f"out{round_number}"
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "reports", "export",  # noqa: S603
                        "--clinic", CLINIC, "--out", str(out)], cwd=PROJECT, check=True,
                       capture_output=True, env={**os.environ, "LIFTCLINIC_ENV": "development",
                                                 "DATABASE_URL": database_url})
        assert len(list(out.glob("*.pdf"))) == len(ids)

    batch_times, single_times = [], []
    for round_number in range(args.rounds):
        order = [("batch", batch), ("singles", singles)]
        for name, run in order if round_number % 2 == 0 else order[::-1]:
            started = time.perf_counter()
            run(round_number) if name == "batch" else run()
            (batch_times if name == "batch" else single_times).append(
                time.perf_counter() - started)
    batch_s, singles_s = statistics.median(batch_times), statistics.median(single_times)
    print(f"batch command ({len(ids)} reports): median {batch_s:.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in batch_times)})")
    print(f"{len(ids)} warm single exports:      median {singles_s:.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in single_times)})")
    print(f"ratio batch / singles: {batch_s / singles_s:.2f}   (goal <= 0.60 on 2 cores)")

    for warm in (True, False):
        pairs = [first_and_rest(database_url, ids[0], warm) for _ in range(args.rounds)]
        ratio = statistics.median(first / rest for first, rest in pairs)
        label = "warmed up as gunicorn's master does" if warm else "no warm-up (contrast)"
        print(f"first export / later ones, {label}: {ratio:.2f}"
              + ("   (goal <= 1.10)" if warm else "")
              + f"   (first {statistics.median(p[0] for p in pairs) * 1000:.0f} ms, later "
              f"{statistics.median(p[1] for p in pairs) * 1000:.0f} ms)")

    with app.app_context():
        curve = []
        for n in range(1, args.exports + 1):
            services.export_report_pdf_as_system(ids[n % len(ids)])
            db.session.remove()
            if n == 1 or n % 50 == 0:
                curve.append((n, rss_mb()))
    first = curve[0][1]
    print("worker RSS over exports: " + ", ".join(f"{n}: {mb:.0f} MB" for n, mb in curve))
    print(f"growth after {curve[-1][0]} exports: {curve[-1][1] - first:.1f} MB   "
          "(goal: within 60 MB)")
    print(f"peak memory (max RSS): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
