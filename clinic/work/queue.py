"""Wake a worker early, after the transaction that made the work commits.

The rows (outbox messages, report items) are the work; an RQ job on Redis is only a wake-up.
Without ``REDIS_URL``, or when Redis does not answer, nothing is enqueued and nothing is lost:
every ``flask worker`` sweeps the database every few seconds and finds the same rows.
"""

import logging
import time

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from clinic.extensions import db

log = logging.getLogger(__name__)

JOB_FUNCTION = "clinic.work.jobs.run_kind"
PENDING = "liftclinic_work_wakeups"
# A wake-up lost to a slow Redis costs one poll interval: never let it hold a request up.
CONNECT_TIMEOUT_S = 0.5
# How long an unstarted wake-up may wait in Redis (the sweep finds the row anyway), and how
# long RQ keeps a finished or failed one (ids only: kind and row id).
JOB_TTL_S = 3600
JOB_TIMEOUT_S = 600
RETRY_AFTER_S = 10


def wake_after_commit(kind, key=None):
    """Enqueue ``run_kind(kind, key)`` once the current transaction commits; never raises.

    Called inside the caller's transaction. A rollback forgets the wake-up (the row it would
    announce does not exist), and so does a session that never commits.
    """
    try:
        if not current_app.config.get("REDIS_URL"):
            return
        session = db.session()
        session.info.setdefault(PENDING, {})[(kind, key)] = current_app._get_current_object()
    except Exception as error:  # a wake-up is an optimisation: never fail the caller for it
        log.debug("wake-up for %s not registered: %s", kind, type(error).__name__)


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session):
    pending = session.info.pop(PENDING, None)
    if pending:
        for (kind, key), app in pending.items():
            enqueue(app, kind, key)


@event.listens_for(Session, "after_transaction_end")
def _forget_on_rollback(session, transaction):
    # After a commit the wake-ups are gone already (after_commit runs first); what is left
    # when the outermost transaction ends belonged to a rollback.
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def redis_connection(app, **options):
    """A Redis client for ``app``'s REDIS_URL (one per app and purpose), or None without one."""
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    import redis

    cache = app.extensions.setdefault("liftclinic_redis", {})
    name = tuple(sorted(options.items()))
    if name not in cache:
        cache[name] = redis.Redis.from_url(url, **options)
    return cache[name]


def enqueue(app, kind, key=None):
    """Put one wake-up on the queue now; False (logged at debug) when Redis is off or down.

    After a failure the next RETRY_AFTER_S seconds skip Redis altogether, so a Redis that
    times out costs one request half a second, not every request.
    """
    state = app.extensions.setdefault("liftclinic_wakeups", {"down_until": 0.0})
    if time.monotonic() < state["down_until"]:
        return False
    try:
        from rq import Queue

        connection = redis_connection(app, socket_connect_timeout=CONNECT_TIMEOUT_S,
                                      socket_timeout=CONNECT_TIMEOUT_S)
        if connection is None:
            return False
        Queue(app.config["RQ_QUEUE"], connection=connection).enqueue(
            JOB_FUNCTION, kind, key, job_timeout=JOB_TIMEOUT_S, ttl=JOB_TTL_S,
            result_ttl=JOB_TTL_S, failure_ttl=JOB_TTL_S)
        return True
    except Exception as error:
        state["down_until"] = time.monotonic() + RETRY_AFTER_S
        log.debug("wake-up for %s not enqueued (%s): the sweep will find it", kind,
                  type(error).__name__)
        return False
