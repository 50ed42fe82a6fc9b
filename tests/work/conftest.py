"""Redis for the background-work tests: `make test` starts a private one on a free port and
names it in TEST_REDIS_URL (scripts/with_redis.py). Each test gets a queue of its own name, so
tests running in parallel over one Redis never take each other's jobs."""

import os
import socket
import uuid

import pytest

from clinic.work import registry

REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"


def closed_port_url():
    """A redis:// address where nothing listens (the kernel's free port, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def queue_name():
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_queue(queue_name):
    """The RQ queue a test's app uses, emptied and deleted afterwards."""
    import redis
    from rq import Queue

    connection = redis.Redis.from_url(REDIS_URL)
    queue = Queue(queue_name, connection=connection)
    yield queue
    queue.empty()
    queue.delete(delete_jobs=True)
    connection.close()


@pytest.fixture
def kind():
    """A kind of work of the test's own, registered with recording functions."""
    calls = {"sweep": [], "one": []}
    name = f"test-{uuid.uuid4().hex[:8]}"

    def sweep(*, now, worker_id, limit):
        calls["sweep"].append({"now": now, "worker_id": worker_id, "limit": limit})
        return 2

    def one(key, *, now, worker_id):
        calls["one"].append(key)
        return True

    registry.register(name, sweep, one)
    yield name, calls
    registry.unregister(name)
