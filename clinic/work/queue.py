"""Wake the queue workers once a transaction that made work has committed.

A minimal version for the reports branch (the worker branch owns this module and replaces it):
with ``REDIS_URL`` set, an RQ job ``clinic.work.jobs.run_kind(kind, key)`` goes on queue
"liftclinic" after the commit; without Redis, or when it does not answer, nothing happens and
the workers' database sweep finds the same rows a few seconds later.
"""

import logging
import os

from flask import current_app
from sqlalchemy import event

from clinic.extensions import db

QUEUE_NAME = "liftclinic"
WAKES = "liftclinic_wakes"  # session.info: (redis url, [(kind, key), ...]) until commit
log = logging.getLogger(__name__)


def _redis_url():
    return current_app.config.get("REDIS_URL") or os.environ.get("REDIS_URL")


def _enqueue(url, kind, key):
    try:
        from redis import Redis
        from rq import Queue

        Queue(QUEUE_NAME, connection=Redis.from_url(url, socket_timeout=2)).enqueue(
            "clinic.work.jobs.run_kind", kind, key)
    except Exception as error:  # a wake-up is best effort: the sweep finds the rows
        log.debug("no wake-up for %s %s: %s", kind, key, type(error).__name__)


def _send_wakes(session):
    url, wakes = session.info.pop(WAKES, (None, []))
    for kind, key in dict.fromkeys(wakes):
        _enqueue(url, kind, key)


def _drop_wakes(session):
    session.info.pop(WAKES, None)


def wake_after_commit(kind: str, key: int | None = None) -> None:
    """After the current transaction commits, wake a worker for ``kind`` (``key``: one row);
    nothing if it rolls back, and never an error into the caller."""
    url = _redis_url()
    if not url:
        return
    session = db.session()
    if not event.contains(session, "after_commit", _send_wakes):
        event.listen(session, "after_commit", _send_wakes)
        event.listen(session, "after_rollback", _drop_wakes)
    session.info.setdefault(WAKES, (url, []))[1].append((kind, key))
