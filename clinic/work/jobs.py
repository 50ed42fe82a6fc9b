"""The job entry RQ runs, and the one log line every job leaves.

``run_kind(kind, key)`` does one row of a kind (``key`` given) or sweeps it (``key`` None).
Inside ``flask worker`` the app context is already there; under a bare ``rq worker`` the app is
built once per process from the environment (``create_app()``, as wsgi.py does).
The log line names the kind, the row id, the time taken and the outcome: never a recipient, a
body, a name or an exception's message (a database error's message can quote row values).
"""

import logging
import os
import socket
import time

from flask import current_app, has_app_context

from clinic.database import utcnow
from clinic.work import registry

log = logging.getLogger("clinic.work")

SWEEP_LIMIT = 50
_standalone = {}
_identity = {"worker_id": None}


def set_worker_id(worker_id):
    _identity["worker_id"] = worker_id


def worker_id():
    """Who claims rows: ``flask worker`` sets its name; a bare ``rq worker`` gets host:pid."""
    return _identity["worker_id"] or f"rq:{socket.gethostname()}:{os.getpid()}"


def run_kind(kind, key=None):
    """The RQ job: do row ``key`` of ``kind`` (or sweep the kind); returns the outcome word."""
    if has_app_context():
        return run(kind, key)
    if "app" not in _standalone:
        from clinic.app import create_app

        _standalone["app"] = create_app()
    with _standalone["app"].app_context():
        return run(kind, key)


def run(kind, key=None, *, limit=SWEEP_LIMIT):
    """Run one job, log one line, return "done", "nothing", "skipped" or "error"."""
    label = "sweep" if key is None else key
    try:
        function = registry.sweep_of(kind) if key is None else registry.one_of(kind)
    except Exception as error:  # the kind's module fails to import: a bug, loud but contained
        log.error("job kind=%s id=%s ms=0 outcome=error error=%s", kind, label,
                  type(error).__name__)
        return "error"
    if function is None:
        return "skipped"
    started = time.perf_counter()
    try:
        if key is None:
            result = function(now=utcnow(), worker_id=worker_id(), limit=limit)
        else:
            result = function(key, now=utcnow(), worker_id=worker_id())
        outcome = "done" if result else "nothing"
        error = None
    except Exception as caught:
        _rollback()
        outcome, error, result = "error", type(caught).__name__, None
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    if outcome == "error":
        log.error("job kind=%s id=%s ms=%d outcome=error error=%s", kind, label, elapsed_ms,
                  error)
    elif outcome == "nothing" and key is None:
        log.debug("job kind=%s id=sweep ms=%d outcome=nothing", kind, elapsed_ms)
    else:
        count = f" count={int(result)}" if key is None else ""
        log.info("job kind=%s id=%s ms=%d outcome=%s%s", kind, label, elapsed_ms, outcome,
                 count)
    return outcome


def _rollback():
    try:
        current_app.extensions["sqlalchemy"].session.rollback()
    except Exception:  # the connection itself may be gone: the next job gets a new one
        log.debug("rollback after a failed job failed too")
