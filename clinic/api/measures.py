"""Questionnaire links and responses of a patient (``/api/v1/patients/{id}/...``)."""

from clinic.api import schemas
from clinic.api.auth import ApiBlueprint, me
from clinic.api.common import paginate, service_errors
from clinic.api.errors import error_response
from clinic.auth.api_tokens import record_read
from clinic.measures import services
from clinic.patients.scope import get_patient_or_404

blp = ApiBlueprint("api_measures", __name__, url_prefix="/api/v1/patients",
                   description="Outcome measures: questionnaire links and responses")


@blp.route("/<dbid:patient_id>/invitations", methods=["POST"])
@blp.arguments(schemas.InvitationIn)
@blp.response(201, schemas.InvitationOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(409, schema=schemas.ErrorOut, description="The patient is discharged")
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def create_invitation(data, patient_id):
    """A questionnaire link for the instruments given, to send or hand to the patient."""
    invitation = services.create_adhoc_invitation(me(), patient_id, data["instruments"])
    return {"id": invitation.id, "url": services.link_url(invitation),
            "expires_at": invitation.expires_at, "instruments": invitation.instruments}, 201


@blp.route("/<dbid:patient_id>/responses", methods=["GET"])
@blp.arguments(schemas.PageArgs, location="query")
@blp.response(200, schemas.page_of(schemas.ResponseOut, "ResponsePage"))
@blp.alt_response(404, schema=schemas.ErrorOut)
def list_responses(args, patient_id):
    """The patient's responses, newest first (a corrected response shows its correction)."""
    patient = get_patient_or_404(me(), patient_id)
    responses = list(reversed(services.current_responses(patient.id)))
    record_read(me(), "responses.list", patient_id=patient.id)
    return paginate(responses, args)


@blp.route("/<dbid:patient_id>/responses", methods=["POST"])
@blp.arguments(schemas.ResponseIn)
@blp.response(201, schemas.ResponseOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def create_response(data, patient_id):
    """A response entered by a clinician (a paper form), scored by the server."""
    get_patient_or_404(me(), patient_id)
    code = data["instrument"]
    try:
        response = services.record_clinician_response(me(), patient_id, code, data["answers"],
                                                      data["completed_at"])
    except services.InvalidAnswersByInstrument as error:
        return error_response(422, error.message, _answer_errors(error.errors[code]))
    return response, 201


def _answer_errors(errors):
    """{item number: message} as {"answers.<index>": [message]} (0-based, as the list is)."""
    return {f"answers.{number - 1}": [message] for number, message in errors.items()}
