"""A health check for load balancers: the app answers, and so do the database and Redis.

The public answer is only {"status": "ok"} or 503 {"status": "unavailable"}: which part failed,
and why, goes to the log, never to whoever asks.
"""

import logging

import sqlalchemy as sa
from flask import Blueprint, current_app

from clinic.auth.guards import public
from clinic.extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

REDIS_TIMEOUT_S = 1


def unavailable_part():
    """The name of the first part that does not answer ("database", "redis"), or None."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception as error:
        db.session.rollback()
        log.warning("healthz: database does not answer (%s)", type(error).__name__)
        return "database"
    if current_app.config.get("REDIS_URL"):
        from clinic.work.queue import redis_connection

        try:
            redis_connection(current_app, socket_connect_timeout=REDIS_TIMEOUT_S,
                             socket_timeout=REDIS_TIMEOUT_S).ping()
        except Exception as error:
            log.warning("healthz: redis does not answer (%s)", type(error).__name__)
            return "redis"
    return None


@bp.get("/healthz")
@public
def healthz():
    """200 when the database (and Redis, when configured) answer; 503 without details."""
    if unavailable_part():
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
