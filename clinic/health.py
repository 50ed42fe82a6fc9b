"""A health check for load balancers: the app answers and the database is reachable."""

import sqlalchemy as sa
from flask import Blueprint

from clinic.auth.guards import public
from clinic.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    """200 when the database answers a trivial query."""
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}
