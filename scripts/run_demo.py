#!/usr/bin/env python3
"""Serve the demo: the web server and one background worker together; Ctrl+C stops both.

    python scripts/run_demo.py [--port PORT]

`make run` calls it after `flask db upgrade` and `flask seed-demo`. The web server is
`flask run` on 127.0.0.1; the worker is `flask worker` (clinic/work/cli.py), which delivers
queued mail when SMTP_URL is set (retries included), runs the report batches and the hourly and
daily schedules. Without REDIS_URL the worker polls the database (SQLite is fine); nothing else
is needed. Each child runs in its own process group: a Ctrl+C reaches this script only, which
passes it on to both and waits for them (the worker finishes the job in hand). If either child
ends on its own (say the port is taken), the other is stopped too and the exit code is its.
"""

import argparse
import os
import signal
import subprocess
import sys
import time

STOP_TIMEOUT_S = 15


def flask(*args):
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]


def start(argv):
    return subprocess.Popen(argv, process_group=0)  # noqa: S603 (our own fixed argv)


def stop_all(children, signum=signal.SIGINT):
    for child in children:
        if child.poll() is None:
            child.send_signal(signum)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 5000))
    port = parser.parse_args(argv).port
    print(f"\nLiftClinic is running at http://127.0.0.1:{port}  (Ctrl+C stops it, and its "
          "worker)\n", flush=True)
    children = [start(flask("run", "--host", "127.0.0.1", "--port", str(port))),
                start(flask("worker", "--name", "demo"))]
    stopping = []

    def request_stop(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)
    finally:
        stop_all(children, stopping[0] if stopping else signal.SIGINT)
    if stopping:
        return 0
    return next((child.returncode for child in children if child.returncode), 0)


if __name__ == "__main__":
    sys.exit(main())
