"""The processes of the topology test: started by the test, each waited for with a deadline,
each stopped and reaped however the test ends, their output kept for the failure report.

Every child runs in a session (process group) of its own, so "kill this machine's worker"
reaches the worker and anything it forked, and nothing else: only groups this module started
are ever signalled.
"""

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import sqlalchemy as sa

PROJECT_DIR = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 10
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def free_port():
    """A port nobody listens on now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, *, timeout, what, details=lambda: ""):
    """Poll ``condition`` until it returns something true; its value. AssertionError naming
    ``what`` (and ``details()``, e.g. the logs) when ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{details()}")
        time.sleep(0.05)


class Child:
    """One process of the topology, its output in a file of the run's folder."""

    def __init__(self, name, argv, *, env, log_dir, log_suffix=""):
        self.name = name
        self.log_path = Path(log_dir) / f"{name}{log_suffix}.log"
        with open(self.log_path, "ab") as output:  # a restarted machine adds to its log
            self.process = subprocess.Popen(  # noqa: S603 (our interpreter, our arguments)
                argv, cwd=PROJECT_DIR, env=env, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True)
        self.pid = self.process.pid

    def alive(self):
        return self.process.returncode is None and os.waitid(
            os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None

    def log(self):
        return self.log_path.read_text(errors="replace")

    def log_lines(self):
        """The lines of its log (a restarted machine's first life included)."""
        return self.log().splitlines()

    def signal_group(self, number):
        """``number`` to this child's process group (its own session). Only while the leader
        is not reaped yet (alive or a zombie), so its id cannot belong to anyone else."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, number)

    def exited(self, timeout):
        """Wait up to ``timeout`` s for the leader to exit, without reaping it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.returncode is not None or os.waitid(
                    os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
            time.sleep(0.02)
        return False

    def kill(self):
        """SIGKILL to the whole group, as a power cut would; reaped."""
        self.signal_group(signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT_S)

    def stop(self):
        """SIGTERM (a worker finishes its job, gunicorn its requests), then SIGKILL to the
        group in any case, so no grandchild outlives the test; reaped."""
        self.signal_group(signal.SIGTERM)
        self.exited(STOP_TIMEOUT_S)
        self.kill()

    def pids_in_group(self):
        """The live processes of this child's group (the worker and any job it forked)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) == self.pid:  # pgrp
                found.append(int(entry.name))
        return found

    def owns_socket(self, inode):
        """True when a process of this child's group holds the socket ``inode`` open."""
        for pid in self.pids_in_group():
            try:
                links = [os.readlink(f"/proc/{pid}/fd/{fd}")
                         for fd in os.listdir(f"/proc/{pid}/fd")]
            except OSError:
                continue
            if f"socket:[{inode}]" in links:
                return True
        return False


def socket_inode(local_port, remote_port):
    """The inode of the TCP socket 127.0.0.1:``local_port`` -> 127.0.0.1:``remote_port``."""
    wanted = (f"0100007F:{local_port:04X}", f"0100007F:{remote_port:04X}")
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if (fields[1], fields[2]) == wanted:
            return int(fields[9])
    return None


class Topology:
    """Everything one run started; ``close`` stops it all in reverse order."""

    def __init__(self, log_dir):
        self.log_dir = Path(log_dir)
        self.children = []
        self.cleanups = []

    def start(self, name, argv, env, log_suffix=""):
        child = Child(name, argv, env=env, log_dir=self.log_dir, log_suffix=log_suffix)
        self.children.append(child)
        return child

    def logs(self):
        return "\n".join(f"----- {child.name} (pid {child.pid}, "
                         f"{'running' if child.alive() else f'exit {child.process.returncode}'})"
                         f" -----\n{child.log()[-6000:]}" for child in self.children)

    def close(self):
        errors = []
        for child in reversed(self.children):
            try:
                child.stop()
            except Exception as error:
                errors.append(f"{child.name}: {error!r}")
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except Exception as error:
                errors.append(repr(error))
        if errors:
            raise AssertionError("topology cleanup: " + "; ".join(errors))


# PostgreSQL ----------------------------------------------------------------------------------


def postgres_server_url():
    """The PostgreSQL server to make the run's database on: TEST_DATABASE_URL's when it names
    PostgreSQL, else the local one at 127.0.0.1:5432 (user postgres), as CI has it."""
    named = os.environ.get("TEST_DATABASE_URL", "")
    if named.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        url = sa.engine.make_url(named.replace("postgres://", "postgresql://", 1))
    else:
        url = sa.engine.make_url(DEFAULT_POSTGRES)
    return url.set(drivername="postgresql+psycopg", database="postgres")


def create_database(topology):
    """A fresh database ``topo_<random>`` (dropped WITH (FORCE) at the end); its URL."""
    server = postgres_server_url()
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            name = f"topo_{secrets.token_hex(6)}"
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        raise AssertionError(
            f"the topology test needs PostgreSQL: none answers at {server.host}:{server.port} "
            "(start one, or set TEST_DATABASE_URL to a PostgreSQL server)") from error

    def drop():
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    topology.cleanups.append(drop)
    return server.set(database=name).render_as_string(hide_password=False)


# Redis ---------------------------------------------------------------------------------------


def start_redis(topology):
    """A private redis-server on a free port of 127.0.0.1 (no disk, no persistence); its URL."""
    binary = shutil.which("redis-server")
    assert binary, ("the topology test needs redis-server (make system-packages, "
                    "or scripts/system_packages.py says how)")
    port = free_port()
    child = topology.start("redis", [binary, "--bind", "127.0.0.1", "--port", str(port),
                                     "--save", "", "--appendonly", "no",
                                     "--loglevel", "warning"], dict(os.environ))

    def listening():
        assert child.alive(), child.log()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    wait_until(listening, timeout=START_TIMEOUT_S, what="redis-server", details=child.log)
    return f"redis://127.0.0.1:{port}/0"


# The app's processes -------------------------------------------------------------------------


def flask(*args):
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]


def run_flask(env, *args, timeout=120):
    """A one-off ``flask`` command (``db upgrade``) with the topology's environment."""
    done = subprocess.run(flask(*args), cwd=PROJECT_DIR, env=env, capture_output=True,  # noqa: S603
                          text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


def start_gunicorn(topology, name, env):
    """The app under the real gunicorn with the project's gunicorn.conf.py on a free port;
    (child, base URL) once /healthz answers 200."""
    port = free_port()
    child = topology.start(
        name, [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"})
    base = f"http://127.0.0.1:{port}"
    return child, base


def wait_healthy(child, base):
    def healthy():
        assert child.alive(), f"{child.name} exited:\n{child.log()}"
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    wait_until(healthy, timeout=START_TIMEOUT_S, what=f"{child.name} /healthz",
               details=child.log)


def start_worker(topology, name, env, poll_seconds=1, log_suffix=""):
    """``flask worker`` as a machine of its own would run it."""
    return topology.start(name, flask("worker", "--poll", str(poll_seconds), "--name", name),
                          env, log_suffix=log_suffix)
