#!/usr/bin/env python3
"""Run a command with a private Redis for the tests that need one; stop it afterwards.

    python scripts/with_redis.py COMMAND [ARG...]

`make test` wraps pytest in it. When ``TEST_REDIS_URL`` is already set (CI with a Redis of its
own), the command runs as it is. Otherwise a ``redis-server`` of our own listens on a free
port of 127.0.0.1 (no disk, no persistence), the command gets its address in
``TEST_REDIS_URL`` (tests/security/test_rate_limits.py reads it), and the server is stopped
when the command ends, however it ends. It never touches a Redis someone else runs on 6379.
"""

import os
import shutil
import socket
import subprocess
import sys
import time

START_TIMEOUT_S = 10


def free_port():
    """A port nobody listens on now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(port, server):
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"with_redis: redis-server exited ({server.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"with_redis: redis-server did not listen on port {port}")


def main(command):
    if not command:
        raise SystemExit(__doc__)
    if os.environ.get("TEST_REDIS_URL"):
        return subprocess.run(command, check=False).returncode  # noqa: S603 (our own argv)
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("with_redis: redis-server is not installed "
                         "(scripts/system_packages.py says how), or set TEST_REDIS_URL")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL)
    try:
        wait_until_listening(port, server)
        environ = dict(os.environ, TEST_REDIS_URL=f"redis://127.0.0.1:{port}/0")
        return subprocess.run(command, env=environ, check=False).returncode  # noqa: S603
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
