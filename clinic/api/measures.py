"""Questionnaire links and responses of a patient (``/api/v1/patients/{id}/...``)."""

from clinic.api import schemas
from clinic.api.auth import ApiBlueprint, me
from clinic.api.common import paginate, service_errors
from clinic.api.errors import error_response
from clinic.audit.services import record_api_read
from clinic.database import utcnow
from clinic.measures import services
from clinic.patients.scope import can_see_item_answers, visible_patient

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
    return _invitation(invitation, utcnow()), 201


@blp.route("/<dbid:patient_id>/responses", methods=["GET"])
@blp.arguments(schemas.PageArgs, location="query")
@blp.response(200, schemas.page_of(schemas.ResponseOut, "ResponsePage"))
@blp.alt_response(404, schema=schemas.ErrorOut)
def list_responses(args, patient_id):
    """The patient's responses, newest first (a corrected response shows its correction).

    A clinical trainer gets totals, bands, flags and change only: ``answers`` is null.
    """
    patient = visible_patient(me(), patient_id)
    responses = list(reversed(services.current_responses(patient.id)))
    record_api_read(me(), "responses.list", patient_id=patient.id)
    if not can_see_item_answers(me()):
        responses = [WithoutAnswers(response) for response in responses]
    return paginate(responses, args)


class WithoutAnswers:
    """A response as a clinical trainer sees it: everything but the item-level answers."""

    answers = None

    def __init__(self, response):
        self._response = response

    def __getattr__(self, name):
        return getattr(self._response, name)


@blp.route("/<dbid:patient_id>/outcomes", methods=["GET"])
@blp.response(200, schemas.OutcomeOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
def get_outcomes(patient_id):
    """The outcome of the current episode of care: per instrument and the paired outcome.

    The same figures as the patient page, the PDF report and the clinic outcome CSV.
    """
    patient = visible_patient(me(), patient_id)
    outcome = services.episode_outcome_of(patient)
    record_api_read(me(), "outcomes.get", patient_id=patient.id)
    return {"episode": {"start": outcome.start, "end": outcome.end},
            "instruments": outcome.instruments, "paired": outcome.paired}


@blp.route("/<dbid:patient_id>/responses", methods=["POST"])
@blp.arguments(schemas.ResponseIn)
@blp.response(201, schemas.ResponseOut)
@blp.alt_response(403, schema=schemas.ErrorOut, description="A clinical trainer")
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def create_response(data, patient_id):
    """A response entered by a clinician (a paper form), scored by the server."""
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


@blp.route("/<dbid:patient_id>/invitations", methods=["GET"])
@blp.response(200, schemas.InvitationOut(many=True))
@blp.alt_response(404, schema=schemas.ErrorOut)
def list_invitations(patient_id):
    """The patient's ten latest questionnaire links, newest first, with their state."""
    patient = visible_patient(me(), patient_id)
    record_api_read(me(), "invitations.list", patient_id=patient.id)
    now = utcnow()
    return [_invitation(item, now) for item in services.invitations_of(patient)]


def _invitation(invitation, now):
    return {"id": invitation.id, "url": services.link_url(invitation),
            "expires_at": invitation.expires_at, "instruments": invitation.instruments,
            "state": invitation.state(now)}


@blp.route("/<dbid:patient_id>/invitations/<dbid:invitation_id>/revoke", methods=["POST"])
@blp.response(200, schemas.InvitationOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
def revoke_invitation(patient_id, invitation_id):
    """Stop a link from working; a completed one stays completed."""
    return _invitation(services.revoke_invitation(me(), patient_id, invitation_id), utcnow())


@blp.route("/<dbid:patient_id>/responses/<dbid:response_id>/correct", methods=["POST"])
@blp.arguments(schemas.CorrectionIn)
@blp.response(201, schemas.ResponseOut)
@blp.alt_response(403, schema=schemas.ErrorOut, description="A clinical trainer")
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(409, schema=schemas.ErrorOut, description="Already corrected")
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def correct_response(data, patient_id, response_id):
    """Supersede a response with a corrected one; both stay, and the reason is recorded."""
    try:
        corrected = services.correct_response(me(), patient_id, response_id, data["answers"],
                                              data["completed_at"], data["reason"])
    except services.InvalidAnswersByInstrument as error:
        [errors] = error.errors.values()  # one instrument: the original's
        return error_response(422, error.message, _answer_errors(errors))
    return corrected, 201


@blp.route("/<dbid:patient_id>/schedules", methods=["GET"])
@blp.response(200, schemas.ScheduleOut(many=True))
@blp.alt_response(404, schema=schemas.ErrorOut)
def list_schedules(patient_id):
    """The patient's questionnaire schedules, one per instrument."""
    patient = visible_patient(me(), patient_id)
    record_api_read(me(), "schedules.list", patient_id=patient.id)
    return services.schedules_of(patient.id)


@blp.route("/<dbid:patient_id>/schedules", methods=["POST"])
@blp.arguments(schemas.ScheduleIn)
@blp.response(200, schemas.ScheduleOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def save_schedule(data, patient_id):
    """Create or change the schedule of one instrument (links are then sent by ``send-due``)."""
    return services.save_schedule(me(), patient_id, services.ScheduleInput(
        data["instrument"], data["every_weeks"], data["weekday"], data["starts_on"],
        data["ends_on"]), within_window=True)


@blp.route("/<dbid:patient_id>/schedules/<dbid:schedule_id>/stop", methods=["POST"])
@blp.response(204)
@blp.alt_response(404, schema=schemas.ErrorOut)
def stop_schedule(patient_id, schedule_id):
    """End a schedule today: no more links for that instrument."""
    services.stop_schedule(me(), patient_id, schedule_id)
    return None
