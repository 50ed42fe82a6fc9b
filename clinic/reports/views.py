"""Report and export pages: the PDF progress report, CSV and FHIR downloads.

Every download is a POST with a CSRF token (an export writes an audit event, so a prefetch or
a link on another site must not trigger one), rate-limited by ``RATELIMIT_EXPORTS`` across all
export routes, and answered as an attachment that no cache keeps.
"""

from contextlib import contextmanager

from flask import Blueprint, Response, current_app, render_template
from flask_login import current_user
from werkzeug.exceptions import ServiceUnavailable

from clinic.audit.services import record_read
from clinic.auth.guards import role_required
from clinic.auth.models import Role
from clinic.errors import ServiceError
from clinic.extensions import limiter
from clinic.patients.forms import EmptyForm
from clinic.patients.scope import visible_patient
from clinic.reports import pdf, services
from clinic.reports.forms import ReportForm
from clinic.reports.outcome_summary import MIN_EPISODES

bp = Blueprint("reports", __name__)


def _me():
    return current_user._get_current_object()


def _export_limit():
    return current_app.config["RATELIMIT_EXPORTS"]


exports_limit = limiter.shared_limit(_export_limit, scope="exports", methods=["POST"])


# How long a client is told to wait when every render slot stayed taken.
RETRY_AFTER_SECONDS = 10


@contextmanager
def one_render_per_core():
    """A PDF render holds one of the process's render slots (one per core), so a burst of
    exports queues for a few seconds instead of starving the pages; past that, a calm 503
    that says when to try again (``Retry-After``)."""
    try:
        with pdf.render_slot(current_app.config["PDF_RENDER_WAIT_SECONDS"]):
            yield
    except pdf.RenderersBusy:
        raise ServiceUnavailable(retry_after=RETRY_AFTER_SECONDS) from None


def _download(export):
    response = Response(export.body, mimetype=export.mimetype)
    response.headers.set("Content-Disposition", "attachment", filename=export.filename)
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(patient, form, status=200):
    """The export page: it shows the patient and their episode, so each rendering is a read."""
    record_read("report_page_view", actor=_me(), obj=patient, patient_id=patient.id)
    return render_template("reports/export.html", patient=patient, form=form,
                           button_form=EmptyForm()), status


@bp.get("/patients/<dbid:patient_id>/reports")
def export_page(patient_id):
    """The export form: the period (default: the current episode of care) and a summary."""
    patient = visible_patient(_me(), patient_id)
    period = services.report_period(patient)
    return _page(patient, ReportForm(data={"start": period.start, "end": period.end,
                                           "session_notes": True}))


@bp.post("/patients/<dbid:patient_id>/reports/pdf")
@exports_limit
def export_pdf(patient_id):
    """Download the PDF progress report; bad input shows the form again, values kept."""
    form = ReportForm()
    if form.validate_on_submit():
        try:
            with one_render_per_core():
                export = services.export_report_pdf(
                    _me(), patient_id, start=form.start.data, end=form.end.data,
                    summary=form.summary.data or "", include_notes=form.session_notes.data)
            return _download(export)
        except ServiceError as error:
            error.show_on(form)
    return _page(visible_patient(_me(), patient_id), form, 422)


@bp.post("/patients/<dbid:patient_id>/exports/responses.csv")
@exports_limit
def export_responses(patient_id):
    """Download every questionnaire answer of the patient, one row per item."""
    return _download(services.export_responses_csv(_me(), patient_id))


@bp.post("/patients/<dbid:patient_id>/exports/sessions.csv")
@exports_limit
def export_sessions(patient_id):
    """Download every logged training set of the patient."""
    return _download(services.export_sessions_csv(_me(), patient_id))


@bp.post("/patients/<dbid:patient_id>/exports/fhir.json")
@exports_limit
def export_fhir(patient_id):
    """Download the patient's questionnaires as a FHIR R4 Bundle."""
    return _download(services.export_fhir_bundle(_me(), patient_id))


@bp.get("/reports/clinic")
@role_required(Role.ADMIN)
def clinic_page():
    """The clinic admin's page for the pseudonymised service-evaluation export."""
    return render_template("reports/clinic.html", button_form=EmptyForm())


@bp.post("/reports/clinic/outcomes.csv")
@role_required(Role.ADMIN)
@exports_limit
def export_clinic():
    """Download the clinic's pseudonymised outcomes (one row per patient and questionnaire)."""
    return _download(services.export_clinic_csv(_me()))


@bp.get("/reports/outcomes")
def outcome_summary_page():
    """The clinic outcome summary (admins: the clinic; others: their caseload), on screen."""
    summary, sections, charts_of = services.outcome_summary_of(_me())
    html = render_template("reports/outcomes.html", summary=summary, sections=sections,
                           charts=charts_of, not_causal=services.NOT_CAUSAL,
                           min_episodes=MIN_EPISODES, button_form=EmptyForm())
    record_read("outcome_summary_view", actor=_me(), episodes=summary.overall.episodes)
    return html


@bp.post("/reports/outcomes.pdf")
@exports_limit
def export_outcome_summary():
    """Download the outcome summary as a PDF for a service review."""
    with one_render_per_core():
        export = services.export_outcome_summary_pdf(_me())
    return _download(export)
