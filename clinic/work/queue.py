"""Waking a worker once the rows it needs are committed (RQ on Redis when REDIS_URL is set).

Minimal: the "worker" branch owns this module; this copy keeps the contract's signature.
"""

import logging

from flask import current_app
from sqlalchemy import event

from clinic.extensions import db

log = logging.getLogger(__name__)
QUEUE_NAME = "liftclinic"
_PENDING = "liftclinic_wake"


def wake_after_commit(kind, key=None):
    """After the current transaction commits, enqueue ``run_kind(kind, key)``; nothing when it
    rolls back, and nothing at all without Redis (the worker's sweep finds the rows)."""
    session = db.session()
    url = current_app.config.get("REDIS_URL")
    if not url:
        return
    if _PENDING not in session.info:
        session.info[_PENDING] = []
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _forget)
    session.info[_PENDING].append((url, kind, key))


def _forget(session):
    session.info.get(_PENDING, []).clear()


def _after_commit(session):
    wakes, session.info[_PENDING] = session.info.get(_PENDING, []), []
    for url, kind, key in wakes:
        try:
            from redis import Redis
            from rq import Queue

            Queue(QUEUE_NAME, connection=Redis.from_url(url, socket_timeout=2)).enqueue(
                "clinic.work.jobs.run_kind", kind, key)
        except Exception as error:  # the sweep finds the rows; a wake-up is only a shortcut
            log.debug("no wake-up for %s: %s", kind, type(error).__name__)
