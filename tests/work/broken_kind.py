"""A kind of work whose module exists but cannot be imported (test_worker_cli.py)."""

import clinic.no_such_dependency  # noqa: F401  (the point: this import fails)


def sweep(*, now, worker_id, limit):
    return 0
