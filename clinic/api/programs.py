"""A patient's program: assigning it, its level and targets, suggestions, link and sessions.

A program is the patient's and scoped like every patient record (out of scope is a 404). The
exercises and templates it is built from are the catalogue's (``clinic.api.catalogue``).
"""

from clinic.api import schemas
from clinic.api.auth import ApiBlueprint, me
from clinic.api.common import paginate, service_errors
from clinic.api.errors import error_response
from clinic.audit.services import record_api_read
from clinic.errors import ServiceError
from clinic.programs import entry as session_entry
from clinic.programs import progress_review, services

blp = ApiBlueprint("api_programs", __name__, url_prefix="/api/v1",
                   description="A patient's graded strength program")


@blp.route("/patients/<dbid:patient_id>/assignments", methods=["POST"])
@blp.arguments(schemas.AssignmentIn)
@blp.response(201, schemas.AssignmentOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(409, schema=schemas.ErrorOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def assign_program(data, patient_id):
    """Give the patient a program (a frozen copy of the template) and a program link."""
    return services.assign_program(me(), patient_id, data["template_id"],
                                   data["start_date"],
                                   confirm_start=data["confirm_start"]), 201


@blp.route("/assignments/<dbid:assignment_id>", methods=["GET"])
@blp.response(200, schemas.AssignmentOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
def get_assignment(assignment_id):
    """A patient's program: status, current level and link."""
    assignment = services.visible_assignment(me(), assignment_id)
    record_api_read(me(), "assignments.get", patient_id=assignment.patient_id)
    return assignment


@blp.route("/assignments/<dbid:assignment_id>/level", methods=["POST"])
@blp.arguments(schemas.LevelChangeIn)
@blp.response(200, schemas.AssignmentOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def change_level(data, assignment_id):
    """Move the patient to another level of the program, saying why."""
    return services.change_level(me(), assignment_id, data["level"] - 1, data["reason"])


@blp.route("/assignments/<dbid:assignment_id>/sessions", methods=["GET"])
@blp.arguments(schemas.PageArgs, location="query")
@blp.response(200, schemas.page_of(schemas.SessionOut, "SessionPage"))
@blp.alt_response(404, schema=schemas.ErrorOut)
def list_sessions(args, assignment_id):
    """Logged sessions of the program, newest first."""
    assignment = services.visible_assignment(me(), assignment_id)
    sessions = list(reversed(services.sessions_of(assignment.id)))
    record_api_read(me(), "sessions.list", patient_id=assignment.patient_id)
    return paginate(sessions, args)


@blp.route("/assignments/<dbid:assignment_id>/sessions", methods=["POST"])
@blp.arguments(schemas.SessionIn)
@blp.response(201, schemas.SessionOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(409, schema=schemas.ErrorOut, description="The program is completed")
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def log_session(data, assignment_id):
    """Log a supervised session (marked as entered by a clinician)."""
    assignment = services.visible_assignment(me(), assignment_id)
    entry, errors = session_entry.entry_from_data(data, assignment.current_level,
                                                  services.new_submission_key())
    if errors:
        return error_response(422, "Some fields are not valid.",
                              {name: [message] for name, message in errors.items()})
    return services.log_session(assignment.id, entry, source="clinician", actor=me()), 201


@blp.route("/assignments/<dbid:assignment_id>/status", methods=["POST"])
@blp.arguments(schemas.StatusIn)
@blp.response(200, schemas.AssignmentOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(409, schema=schemas.ErrorOut, description="Not from the current status")
@service_errors
def set_status(data, assignment_id):
    """Pause, resume (``active``) or complete the program; completing ends its link."""
    return services.set_status(me(), assignment_id, data["status"], data["reason"])


@blp.route("/assignments/<dbid:assignment_id>/link/rotate", methods=["POST"])
@blp.response(200, schemas.AssignmentOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(409, schema=schemas.ErrorOut, description="The program is completed")
@service_errors
def rotate_link(assignment_id):
    """A new program link; the old one stops working at once."""
    return services.rotate_link(me(), assignment_id)


@blp.route("/assignments/<dbid:assignment_id>/link/revoke", methods=["POST"])
@blp.response(200, schemas.AssignmentOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
def revoke_link(assignment_id):
    """Stop the program link from working (``url`` becomes null)."""
    return services.revoke_link(me(), assignment_id)


@blp.route("/assignments/<dbid:assignment_id>/targets/<int(max=99):index>", methods=["POST"])
@blp.arguments(schemas.TargetIn)
@blp.response(200, schemas.AssignmentOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def change_target(data, assignment_id, index):
    """Change one exercise's target at the current level (``index`` in ``exercises``)."""
    changes = {"sets": data["sets"], "reps_min": data["reps_min"], "reps_max": data["reps_max"]}
    if data["load_kg"] is not None:
        try:
            changes["load_kg"] = services.parse_load(str(data["load_kg"]))
        except ValueError as error:
            return error_response(422, str(error), {"load_kg": [str(error)]})
    return services.change_target(me(), assignment_id, index, changes, data["reason"],
                                  confirm_jump=data["confirm_jump"])


@blp.route("/assignments/<dbid:assignment_id>/suggestions", methods=["GET"])
@blp.response(200, schemas.SuggestionOut(many=True))
@blp.alt_response(404, schema=schemas.ErrorOut)
def list_suggestions(assignment_id):
    """What the logs suggest changing at the current level; nothing changes until approved
    (``POST .../targets/{index}``) or declined."""
    assignment = services.visible_assignment(me(), assignment_id)
    record_api_read(me(), "suggestions.list", patient_id=assignment.patient_id)
    return progress_review.suggestions(assignment)


@blp.route("/assignments/<dbid:assignment_id>/suggestions/<int(max=99):index>/decline",
           methods=["POST"])
@blp.arguments(schemas.DeclineIn)
@blp.response(204)
@blp.alt_response(404, schema=schemas.ErrorOut)
def decline_suggestion(data, assignment_id, index):
    """Decline a suggestion; it returns only when new sessions call for it again."""
    services.decline_suggestion(me(), assignment_id, index, data["kind"], data["reason"])
    return None


@blp.route("/assignments/<dbid:assignment_id>/equipment", methods=["POST"])
@blp.arguments(schemas.EquipmentIn)
@blp.response(200, schemas.AssignmentOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def set_equipment(data, assignment_id):
    """Record the loads the patient can make with their own equipment; load suggestions then go
    to the next load on the list."""
    loads = [str(load) for load in data["loads_kg"]]
    try:
        return services.set_equipment(me(), assignment_id, loads, data["reason"])
    except ServiceError as error:
        if error.field != "equipment":
            raise
        return error_response(422, error.message, {"loads_kg": [error.message]})


@blp.route("/assignments/<dbid:assignment_id>/hold/review", methods=["POST"])
@blp.arguments(schemas.HoldReviewIn)
@blp.response(200, schemas.AssignmentOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def review_hold(data, assignment_id):
    """Record a clinician's review of the pain that holds progression
    (``progression_hold``): the sessions logged so far hold nothing any more."""
    return services.review_hold(me(), assignment_id, data["note"])
