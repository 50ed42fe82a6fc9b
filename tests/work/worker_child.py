"""A `flask worker` process whose only kind of work is a slow sweep (tests/work/test_signals.py).

    python tests/work/worker_child.py MARKER_FILE POLL_SECONDS

The first sweep writes "started" to MARKER_FILE, works 1.5 s, then writes "finished"; the parent
sends SIGTERM in between and checks the job ends before the process does.
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


for name in registry.names():
    registry.unregister(name)
registry.register("slow", slow_sweep)
app = create_app()
with app.app_context():
    run_worker(poll=float(sys.argv[2]), name="child")
