"""``/api/v1/patients``: the caseload, a patient's record, adding and correcting patients."""

from sqlalchemy.orm import selectinload

from clinic.api import schemas
from clinic.api.auth import ApiBlueprint, me
from clinic.api.common import paginate, service_errors
from clinic.audit.services import record_api_read
from clinic.patients import services
from clinic.patients.models import ACTIVE, DISCHARGED, Patient

blp = ApiBlueprint("api_patients", __name__, url_prefix="/api/v1/patients",
                   description="Patients in the caller's scope (care team, or the clinic for "
                               "an admin); any other id is a 404")

STATUS = {"active": ACTIVE, "discharged": DISCHARGED, "all": "all"}


@blp.route("", methods=["GET"])
@blp.arguments(schemas.PatientListArgs, location="query")
@blp.response(200, schemas.page_of(schemas.PatientOut, "PatientPage"))
def list_patients(args):
    """The caseload: patients the caller may see, searched by name or reference."""
    query = services.caseload(me(), search=args["q"], status=STATUS[args["status"]])
    page = paginate(query.options(selectinload(Patient.episodes)), args)
    record_api_read(me(), "patients.list", count=len(page["items"]))
    return page


@blp.route("", methods=["POST"])
@blp.arguments(schemas.PatientIn)
@blp.response(201, schemas.PatientOut)
@blp.alt_response(403, schema=schemas.ErrorOut, description="A trainer cannot add patients")
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def create_patient(data):
    """Add a patient; a therapist becomes primary, an admin names the primary clinician."""
    primary = data.pop("primary_clinician_id")
    return services.create_patient(me(), data, primary), 201


@blp.route("/<dbid:patient_id>", methods=["GET"])
@blp.response(200, schemas.PatientOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
def get_patient(patient_id):
    """One patient (audited as a view of the record, as the patient page is)."""
    return services.open_patient(me(), patient_id)


@blp.route("/<dbid:patient_id>", methods=["PATCH"])
@blp.arguments(schemas.PatientPatch)
@blp.response(200, schemas.PatientOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def update_patient(data, patient_id):
    """Correct a patient's details; fields left out keep their value."""
    return services.update_patient(me(), patient_id, data, partial=True)


@blp.route("/<dbid:patient_id>/discharge", methods=["POST"])
@blp.response(200, schemas.PatientOut)
@blp.alt_response(403, schema=schemas.ErrorOut, description="Primary clinician or admin only")
@blp.alt_response(404, schema=schemas.ErrorOut)
@service_errors
def discharge_patient(patient_id):
    """Discharge the patient from care; their history stays."""
    return services.set_discharged(me(), patient_id, True)


@blp.route("/<dbid:patient_id>/reactivate", methods=["POST"])
@blp.response(200, schemas.PatientOut)
@blp.alt_response(403, schema=schemas.ErrorOut, description="Primary clinician or admin only")
@blp.alt_response(404, schema=schemas.ErrorOut)
@service_errors
def reactivate_patient(patient_id):
    """Bring a discharged patient back into care (a new episode: a new baseline)."""
    return services.set_discharged(me(), patient_id, False)


@blp.route("/<dbid:patient_id>/care-team", methods=["POST"])
@blp.arguments(schemas.CareTeamIn)
@blp.response(201, schemas.PatientOut)
@blp.alt_response(403, schema=schemas.ErrorOut, description="Primary clinician or admin only")
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def add_care_team_member(data, patient_id):
    """Add a therapist or trainer of the clinic to the care team."""
    return services.add_to_care_team(me(), patient_id, data["user_id"]), 201


@blp.route("/<dbid:patient_id>/care-team/<dbid:member_id>", methods=["DELETE"])
@blp.response(200, schemas.PatientOut)
@blp.alt_response(403, schema=schemas.ErrorOut, description="Primary clinician or admin only")
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(409, schema=schemas.ErrorOut, description="The primary clinician stays")
@service_errors
def remove_care_team_member(patient_id, member_id):
    """Take a clinician off the care team (``member_id`` is the care-team row's id)."""
    return services.remove_from_care_team(me(), patient_id, member_id)


@blp.route("/<dbid:patient_id>/care-team/<dbid:member_id>/primary", methods=["POST"])
@blp.response(200, schemas.PatientOut)
@blp.alt_response(403, schema=schemas.ErrorOut, description="Primary clinician or admin only")
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(409, schema=schemas.ErrorOut)
@service_errors
def make_primary(patient_id, member_id):
    """Hand the primary-clinician role to another care-team member."""
    return services.make_primary(me(), patient_id, member_id)



@blp.route("/<dbid:patient_id>/episodes", methods=["GET"])
@blp.response(200, schemas.EpisodeOut(many=True))
@blp.alt_response(404, schema=schemas.ErrorOut)
def list_episodes(patient_id):
    """The patient's episodes of care, earliest first (the last is the current one)."""
    patient = services.visible_patient(me(), patient_id)
    record_api_read(me(), "episodes.list", patient_id=patient.id)
    return services.episodes_of(patient)


@blp.route("/<dbid:patient_id>/episodes", methods=["POST"])
@blp.arguments(schemas.EpisodeIn)
@blp.response(201, schemas.EpisodeOut)
@blp.alt_response(403, schema=schemas.ErrorOut, description="Primary clinician or admin only")
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def start_episode(data, patient_id):
    """End the current episode of care and start a new one (a new baseline), saying why."""
    return services.start_episode(me(), patient_id, data["start"], data["reason"]), 201
