"""A `flask worker` process whose only kind of work is a slow sweep (tests/work/test_signals.py).

    python tests/work/worker_child.py MARKER_FILE POLL_SECONDS [RQ_QUEUE]

The first sweep writes "started" to MARKER_FILE, works 1.5 s, then writes "finished"; the parent
sends SIGTERM in between and checks the job ends before the process does. A wake-up for one
row (key K) appends "one:K" to MARKER_FILE.one.
"""

import sys
import time
from pathlib import Path

from clinic.app import create_app
from clinic.work import registry
from clinic.work.cli import run_worker

marker = Path(sys.argv[1])


def slow_sweep(*, now, worker_id, limit):
    if marker.exists():
        return 0
    marker.write_text("started")
    time.sleep(1.5)
    marker.write_text("finished")
    return 1


def one_row(key, *, now, worker_id):
    with open(f"{marker}.one", "a") as rows:
        rows.write(f"one:{key}\n")
    return True


for name in registry.names():
    registry.unregister(name)
registry.register("slow", slow_sweep, one_row)
app = create_app()
if len(sys.argv) > 3:
    app.config["RQ_QUEUE"] = sys.argv[3]
with app.app_context():
    run_worker(poll=float(sys.argv[2]), name="child")
