"""The clinic admin's view of the audit trail. Read-only: there is no edit or delete route."""

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from clinic.audit.services import events_for_clinic
from clinic.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.get("/")
def index():
    """Audit events of the admin's clinic, filtered by user or patient."""
    if not current_user.is_admin:
        abort(403)
    filters = {
        "user_id": request.args.get("user_id", type=int),
        "user_email": request.args.get("user", "").strip()[:254],
        "patient_id": request.args.get("patient_id", type=int),
        "patient_reference": request.args.get("patient", "").strip()[:40],
    }
    page = db.paginate(events_for_clinic(current_user.clinic_id, **filters),
                       per_page=current_app.config["PER_PAGE"] * 2, error_out=False)
    return render_template("audit/index.html", page=page, filters=filters)
