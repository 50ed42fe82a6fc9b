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


@pytest.fixture
def make_app(migrated_schema):
    """Apps of a test's own settings (Redis on, off or down); their rows and connections are
    cleaned up afterwards, as the ``app`` fixture does for its app."""
    from conftest import empty_all_tables, make_config

    from clinic.app import create_app
    from clinic.extensions import db

    made = []

    def build(database=None, **overrides):
        app = create_app(make_config(database or migrated_schema, **overrides))
        made.append((app, database is None))
        return app

    yield build
    for app, ours in made:
        with app.app_context():
            db.session.remove()
            if ours:
                empty_all_tables()
            db.engine.dispose()
