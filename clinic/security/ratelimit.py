"""What a client gets when a rate limit is reached: 429, ``Retry-After``, and an audit row.

Flask-Limiter counts (``clinic.extensions.limiter``: in memory by default, in Redis when
``REDIS_URL`` is set, keyed by the client address that ``TRUSTED_PROXY_HOPS`` makes exact).
Here the refusal is answered like every other error (HTML in the site's layout, JSON under
``/api/``) and written to the audit trail in a transaction of its own: the refused request
wrote nothing else. The row names the endpoint and the limit, never the path (a patient link's
path is its token).
"""

from flask import current_app, request
from flask_login import current_user

from clinic.database import write_transaction
from clinic.errors import handle_http_exception


@write_transaction
def _record_refusal(endpoint, limit):
    from clinic.audit.services import record

    actor = current_user._get_current_object() if current_user.is_authenticated else None
    record("rate_limited", actor=actor, outcome="denied", endpoint=endpoint or "", limit=limit)


def handle_rate_limited(error):
    """429 with the limiter's Retry-After; the audit row is best effort, the 429 is not."""
    limit = getattr(getattr(error, "limit", None), "limit", None)
    try:
        _record_refusal(request.endpoint, str(limit) if limit is not None else "")
    except Exception:  # an unreachable database must not turn a 429 into a 500
        current_app.logger.exception("could not audit a rate-limited request")
    return handle_http_exception(error)


def init_app(app):
    app.register_error_handler(429, handle_rate_limited)
