"""A patient's PDF progress report and FHIR R4 Bundle (``clinic.reports.services``)."""

from flask import Response, current_app

from clinic.api import schemas
from clinic.api.auth import ApiBlueprint, me
from clinic.api.errors import error_response
from clinic.errors import ServiceError
from clinic.extensions import limiter
from clinic.reports import services
from clinic.reports.views import one_render_per_core

blp = ApiBlueprint("api_reports", __name__, url_prefix="/api/v1/patients",
                   description="Reports and exports (rate-limited with the export pages)")

# The reports page's fields are the API's query parameters.
QUERY_NAMES = {"start": "from", "end": "to"}


def _export_limit():
    return current_app.config["RATELIMIT_EXPORTS"]


# One budget with the export pages: the same scope name shares the counter.
exports_limit = limiter.shared_limit(_export_limit, scope="exports")


def _file(export):
    response = Response(export.body, mimetype=export.mimetype)
    response.headers.set("Content-Disposition", "attachment", filename=export.filename)
    return response


def _binary(content_type, description, schema):
    return {"200": {"description": description, "content": {content_type: {"schema": schema}}}}


@blp.route("/<dbid:patient_id>/report.pdf", methods=["GET"])
@blp.arguments(schemas.ReportArgs, location="query")
@blp.doc(responses=_binary("application/pdf", "The progress report",
                           {"type": "string", "format": "binary"}))
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@blp.alt_response(429, schema=schemas.ErrorOut)
@blp.alt_response(503, schema=schemas.ErrorOut, description="Every render slot is busy")
@exports_limit
def report_pdf(args, patient_id):
    """The PDF progress report for a period (default: the current episode of care)."""
    try:
        with one_render_per_core():
            export = services.export_report_pdf(me(), patient_id, start=args["start"],
                                                end=args["end"])
    except ServiceError as error:
        field = QUERY_NAMES.get(error.field, error.field or "from")
        return error_response(422, error.message, {field: [error.message]})
    return _file(export)


@blp.route("/<dbid:patient_id>/fhir", methods=["GET"])
@blp.doc(responses=_binary("application/fhir+json", "A FHIR R4 Bundle (collection)",
                           {"type": "object"}))
@blp.alt_response(403, schema=schemas.ErrorOut, description="A clinical trainer")
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(429, schema=schemas.ErrorOut)
@exports_limit
def fhir_bundle(patient_id):
    """The patient's questionnaires as a FHIR R4 Bundle: Patient, QuestionnaireResponses and
    Observations of their totals."""
    return _file(services.export_fhir_bundle(me(), patient_id))
