"""The clinic admin's view of the audit trail. Read-only: there is no edit or delete route."""

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    stream_with_context,
)
from flask_login import current_user

from clinic.audit.services import events_for_clinic, export_csv, record_export
from clinic.extensions import db
from clinic.inputs import id_arg, page_arg

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


def _date_arg(name, errors):
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = "Enter a date like 2026-03-31."
        return None


def _filters():
    """The filters of the query string, and the messages of those that do not parse."""
    if not current_user.is_admin:
        abort(403)
    errors = {}
    filters = {
        "user_id": id_arg("user_id"),
        "user_email": request.args.get("user", "").strip()[:254],
        "patient_id": id_arg("patient_id"),
        "patient_reference": request.args.get("patient", "").strip()[:40],
        "date_from": _date_arg("from", errors),
        "date_to": _date_arg("to", errors),
    }
    if filters["date_from"] and filters["date_to"] and filters["date_from"] > filters["date_to"]:
        errors["to"] = "The end date must not be before the start date."
    return filters, errors


@bp.get("/")
def index():
    """Audit events of the admin's clinic, filtered by dates, user or patient."""
    filters, errors = _filters()
    query = events_for_clinic(current_user.clinic_id, **filters)
    if errors:
        query = query.where(False)
    page = db.paginate(query, page=page_arg(), per_page=current_app.config["PER_PAGE"] * 2,
                       error_out=False)
    return render_template("audit/index.html", page=page, filters=filters, errors=errors,
                           raw={"from": request.args.get("from", ""),
                                "to": request.args.get("to", "")}), 422 if errors else 200


@bp.post("/export.csv")
def export():
    """The filtered trail as CSV, oldest first; the export itself is audited first.

    A POST with the CSRF token (checked app-wide): a download that writes an audit row is not
    something a link or an image on another site may set off. The filters stay in the query.
    """
    filters, errors = _filters()
    if errors:
        abort(422)
    record_export(current_user._get_current_object(), filters)
    query = events_for_clinic(current_user.clinic_id, **filters)
    stamp = date.today().isoformat()
    return Response(stream_with_context(export_csv(query)), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'})
