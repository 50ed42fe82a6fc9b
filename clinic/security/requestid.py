"""A request id for every request: sent as ``X-Request-Id``, shown on error pages as the
"reference", and written into the app's log records, so the person who saw a 500 page and the
traceback in the log can be matched without either holding anything else.
"""

import logging
import secrets

from flask import g, has_request_context


def assign_request_id():
    g.request_id = secrets.token_hex(8)


class RequestIdFilter(logging.Filter):
    """Appends ``[request <id>]`` to the app logger's records made during a request."""

    def filter(self, record):
        request_id = g.get("request_id") if has_request_context() else None
        if request_id and isinstance(record.msg, str) and not hasattr(record, "request_id"):
            record.request_id = request_id
            record.msg = f"{record.msg} [request {request_id}]"
        return True


def init_app(app):
    # First of all before_request functions: the rate limiter and the CSRF check run before
    # the factory's own hooks, and their refusals must carry a request id too.
    app.before_request_funcs.setdefault(None, []).insert(0, assign_request_id)
    # Flask logs an unhandled exception ("Exception on ...") with app.logger.
    app.logger.addFilter(RequestIdFilter())
