"""`make run`'s server: scripts/run_demo.py starts the web server and one worker; Ctrl+C
(SIGINT to the script) stops both; a child that dies takes the other down with it."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from helpers import PROJECT, free_port

pytestmark = pytest.mark.slow
DEADLINE_S = 60


class Demo:
    """The script as `make run` starts it, its output collected as it comes."""

    def __init__(self, database_url, port):
        env = {key: value for key, value in os.environ.items()
               if key not in ("SECRET_KEY", "REDIS_URL", "SMTP_URL", "FLASK_APP")}
        env.update(DATABASE_URL=database_url, LIFTCLINIC_ENV="development",
                   WORKER_POLL_SECONDS="1", PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(  # noqa: S603 (the project's own script)
            [sys.executable, "scripts/run_demo.py", "--port", str(port)], cwd=PROJECT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def output(self):
        return "".join(self.lines)

    def wait_for(self, text):
        deadline = time.monotonic() + DEADLINE_S
        while text not in self.output():
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.output()}"
            time.sleep(0.1)

    def finish(self):
        try:
            code = self.process.wait(timeout=DEADLINE_S)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.reader.join(timeout=10)
            self.process.stdout.close()
        return code


def answers(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status
    except OSError:
        return None


def test_web_and_worker_start_together_and_ctrl_c_stops_both(app, migrated_schema):
    port = free_port()
    demo = Demo(migrated_schema, port)
    try:
        demo.wait_for(f"LiftClinic is running at http://127.0.0.1:{port}")
        demo.wait_for("worker demo:")
        deadline = time.monotonic() + DEADLINE_S
        while answers(port) != 200:
            assert time.monotonic() < deadline, demo.output()
            time.sleep(0.2)
        demo.process.send_signal(signal.SIGINT)
        assert demo.finish() == 0
    finally:
        if demo.process.poll() is None:
            demo.process.kill()
            demo.finish()
    assert "stopped" in demo.output().split("worker demo:")[-1], demo.output()
    assert answers(port) is None


def test_when_the_web_server_cannot_start_the_worker_stops_too(app, migrated_schema):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        demo = Demo(migrated_schema, taken.getsockname()[1])
        code = demo.finish()
    assert code != 0
    worker_lines = [line for line in demo.output().splitlines() if "worker demo:" in line]
    assert not worker_lines or "stopped" in worker_lines[-1], demo.output()
