"""Benchmark of the batch PDF export and of a worker's first export (prints figures; never a
timed test).

    .venv/bin/python bench/batch.py [--patients 20] [--rounds 3] [--exports 200]

A throwaway SQLite database with one clinic of ``--patients`` patients (26 weeks of weekly PHQ-9
and GAD-7 each, entered through the services). Printed, all measured in this one run:

1. **Batch vs singles**, in alternating rounds (A B A B, medians):
   - *warm workers*: a batch (``clinic.reports.batch``: one row per patient) rendered by one
     warm worker process per core that is already running, as the queue workers
     (``flask worker``) or the command's forked pool are: each item claimed, rendered, stored
     and audited. The workers were forked once from a warm process (no import of the app per
     worker, per batch or per report). Goal: at most 0.6 of the singles on 2 cores.
   - *the command*: ``flask reports export`` run as an operator runs it (a new process:
     Python, the app, warm-up, forked workers), for contrast: its fixed start-up cost is not a
     per-report cost.
   - *singles*: the same reports rendered one after another by a warm process
     (``export_report_pdf_as_system``).
2. **Cold vs warm**: a new process does what the gunicorn master does before it forks
   (``create_app``, ``warm_up_and_freeze``), then times its first export and five more.
   Goal: first / median of the rest at most 1.1. The same without the warm-up, for contrast.
3. **Worker memory over ``--exports`` exports** in one process (RSS after the first and every
   50th). Goal: within 60 MB of the RSS after the first.
"""

import argparse
import gc
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
    """In a new process: (first export, median of five more) in seconds of wall time, then
    the same in CPU time (the process's own, whatever else the machine runs)."""
    code = f"""
import json, statistics, time
from clinic.app import create_app
from clinic.reports import pdf, services
app = create_app({{"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": {database_url!r},
                  "RATELIMIT_STORAGE_URI": "memory://"}})
if {warm!r}:
    pdf.warm_up_and_freeze(app)
times, cpu = [], []
with app.app_context():
    for _ in range(6):
        started, cpu_started = time.perf_counter(), time.process_time()
        services.export_report_pdf_as_system({patient_id})
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
print(json.dumps([times[0], statistics.median(times[1:]), cpu[0], statistics.median(cpu[1:])]))
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
    import sqlalchemy as sa

    from clinic.app import create_app
    from clinic.auth.models import Clinic
    from clinic.extensions import db
    from clinic.reports import services

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                      "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        ids = build_clinic(args.patients)
        print(f"{len(ids)} patients of {WEEKS} weeks built in "
              f"{time.perf_counter() - started:.1f} s; {os.cpu_count()} cores")
        services.export_report_pdf_as_system(ids[0])  # warm

    def singles():
        with app.app_context():
            for patient_id in ids:
                services.export_report_pdf_as_system(patient_id)
            db.session.remove()

    def command(round_number):
        out = folder / f"out{round_number}"
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "reports", "export",  # noqa: S603
                        "--clinic", CLINIC, "--out", str(out)], cwd=PROJECT, check=True,
                       capture_output=True, env={**os.environ, "LIFTCLINIC_ENV": "development",
                                                 "DATABASE_URL": database_url})
        assert len(list(out.glob("batch-*/*.pdf"))) == len(ids)

    from clinic.reports import batch as batches
    from clinic.reports import cli

    with app.app_context():
        clinic_id = db.session.scalar(sa.select(Clinic.id).where(Clinic.name == CLINIC))
        pool = cli._pool(os.cpu_count() or 1, {})  # forked now, warm, kept for every round
        db.session.remove()

    def warm_workers():
        with app.app_context():
            batch_id = batches.create_batch(clinic_id=clinic_id, patient_ids=ids,
                                            out_dir=folder / "warm")
            items = batches.unfinished_item_ids(batch_id)
            db.session.remove()
        outcomes = list(pool.map(cli.export_one, items, ["bench"] * len(items)))
        assert [o.state for o in outcomes] == ["done"] * len(ids), outcomes

    warm_workers()  # the workers start (forked) and open their connections: not timed
    worker_pids = list(pool._processes)  # the bench reads their CPU time from /proc

    def cpu_seconds():
        """CPU time (user + system) of this process and of the warm workers so far."""
        ticks = 0
        for pid in worker_pids:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        return time.process_time() + ticks / os.sysconf("SC_CLK_TCK")

    times = {"warm workers": [], "command": [], "singles": []}
    cpu = {"warm workers": [], "singles": []}
    runs = {"warm workers": warm_workers, "command": command, "singles": singles}
    names = list(runs)
    load_before = os.getloadavg()[0]
    for round_number in range(args.rounds):
        for name in names[round_number % 3:] + names[:round_number % 3]:  # rotating order
            cpu_started, started = cpu_seconds(), time.perf_counter()
            runs[name](round_number) if name == "command" else runs[name]()
            times[name].append(time.perf_counter() - started)
            if name in cpu:
                cpu[name].append(cpu_seconds() - cpu_started)
    load_after = os.getloadavg()[0]
    pool.shutdown()
    gc.unfreeze()
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name + ' (' + str(len(ids)) + ' reports):':<28} median {medians[name]:6.2f} s "
              f"(runs: {', '.join(f'{t:.2f}' for t in values)})")
    print(f"ratio batch on warm workers / singles: "
          f"{medians['warm workers'] / medians['singles']:.2f}   (goal <= 0.60 on "
          f"{os.cpu_count()} cores; load average {load_before:.1f} -> {load_after:.1f})")
    print(f"ratio batch command (new process) / singles: "
          f"{medians['command'] / medians['singles']:.2f}   (includes the command's start-up: "
          f"{medians['command'] - medians['warm workers']:.1f} s more than on warm workers)")
    # Wall time needs free cores; CPU time does not: on a machine shared with other work the
    # CPU each path spends per report says what the batch costs once the cores are its own.
    cpu_batch, cpu_singles = (statistics.median(cpu[name]) for name in ("warm workers",
                                                                          "singles"))
    print(f"CPU time (user + system): batch {cpu_batch:.2f} s, singles {cpu_singles:.2f} s: "
          f"{cpu_batch / cpu_singles:.2f}x the singles' CPU; on {os.cpu_count()} free cores "
          f"that is a wall-time ratio of about "
          f"{cpu_batch / cpu_singles / (os.cpu_count() or 1):.2f}")

    for warm in (True, False):
        pairs = [first_and_rest(database_url, ids[0], warm) for _ in range(args.rounds)]
        ratio = statistics.median(p[0] / p[1] for p in pairs)
        cpu_ratio = statistics.median(p[2] / p[3] for p in pairs)
        label = "warmed up as gunicorn's master does" if warm else "no warm-up (contrast)"
        print(f"first export / later ones, {label}: {ratio:.2f}"
              + ("   (goal <= 1.10)" if warm else "")
              + f"   (first {statistics.median(p[0] for p in pairs) * 1000:.0f} ms, later "
              f"{statistics.median(p[1] for p in pairs) * 1000:.0f} ms; in CPU time "
              f"{cpu_ratio:.2f}: {statistics.median(p[2] for p in pairs) * 1000:.0f} ms, "
              f"{statistics.median(p[3] for p in pairs) * 1000:.0f} ms)")

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
