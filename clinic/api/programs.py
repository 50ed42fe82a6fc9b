"""Exercises, program templates, a patient's program and its session logs.

Exercises and templates are the clinic's (another clinic's id is a 404); a program is the
patient's and scoped like every patient record.
"""

from flask import abort

from clinic.api import schemas
from clinic.api.auth import ApiBlueprint, me
from clinic.api.common import paginate, service_errors
from clinic.api.errors import error_response
from clinic.auth.api_tokens import record_read
from clinic.programs import entry as session_entry
from clinic.programs import services, trend

blp = ApiBlueprint("api_programs", __name__, url_prefix="/api/v1",
                   description="Graded strength programs")


# Exercises ---------------------------------------------------------------------------------


@blp.route("/exercises", methods=["GET"])
@blp.arguments(schemas.PageArgs, location="query")
@blp.response(200, schemas.page_of(schemas.ExerciseOut, "ExercisePage"))
def list_exercises(args):
    """The exercise library: built-in exercises and the clinic's own, ladder by ladder."""
    return paginate(services.exercises_for(me().clinic_id), args)


@blp.route("/exercises", methods=["POST"])
@blp.arguments(schemas.ExerciseIn)
@blp.response(201, schemas.ExerciseOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def create_exercise(data):
    """Add the clinic's own exercise to a ladder."""
    return services.create_exercise(me(), data), 201


@blp.route("/exercises/<dbid:exercise_id>", methods=["PATCH"])
@blp.arguments(schemas.ExercisePatch)
@blp.response(200, schemas.ExerciseOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(409, schema=schemas.ErrorOut, description="Built-in exercises stay")
@service_errors
def update_exercise(data, exercise_id):
    """Retire one of the clinic's own exercises, or bring it back."""
    return services.set_exercise_retired(me(), exercise_id, data["retired"])


# Templates ---------------------------------------------------------------------------------


@blp.route("/templates", methods=["GET"])
@blp.arguments(schemas.PageArgs, location="query")
@blp.response(200, schemas.page_of(schemas.TemplateOut, "TemplatePage"))
def list_templates(args):
    """The clinic's programs that are not archived, by name."""
    return paginate(services.templates_of(me().clinic_id), args)


@blp.route("/templates", methods=["POST"])
@blp.arguments(schemas.TemplateIn)
@blp.response(201, schemas.TemplateOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def create_template(data):
    """A new program with one empty level (fill it with ``PUT .../levels/{level_id}``)."""
    return services.create_template(me(), data["name"], data["description"]), 201


@blp.route("/templates/<dbid:template_id>", methods=["GET"])
@blp.response(200, schemas.TemplateOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
def get_template(template_id):
    """One program with its levels."""
    return services.get_template_or_404(me().clinic_id, template_id)


@blp.route("/templates/<dbid:template_id>", methods=["PATCH"])
@blp.arguments(schemas.TemplatePatch)
@blp.response(200, schemas.TemplateOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def update_template(data, template_id):
    """Rename, describe, archive or restore a program; fields left out keep their value."""
    template = services.get_template_or_404(me().clinic_id, template_id)
    if "name" in data or "description" in data:
        services.update_template(me(), template.id, data.get("name", template.name),
                                 data.get("description", template.description))
    if "archived" in data:
        services.set_template_archived(me(), template.id, data["archived"])
    return services.get_template_or_404(me().clinic_id, template_id)


@blp.route("/templates/<dbid:template_id>/levels", methods=["POST"])
@blp.response(201, schemas.LevelOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@service_errors
def add_level(template_id):
    """Add an empty level at the end of a program."""
    return services.add_level(me(), template_id), 201


@blp.route("/templates/<dbid:template_id>/levels/<dbid:level_id>", methods=["DELETE"])
@blp.response(200, schemas.TemplateOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(409, schema=schemas.ErrorOut, description="A program keeps one level")
@service_errors
def remove_level(template_id, level_id):
    """Remove a level; the levels after it move up."""
    return services.remove_level(me(), template_id, level_id)


@blp.route("/templates/starters", methods=["POST"])
@blp.response(200, schemas.page_of(schemas.TemplateOut, "StarterTemplates"))
def add_starters():
    """Add the starter programs the clinic does not have yet; answers the clinic's programs."""
    services.add_starter_templates(me())
    templates = services.templates_of(me().clinic_id)
    return {"items": templates, "total": len(templates), "page": 1,
            "per_page": max(len(templates), 1)}


@blp.route("/templates/<dbid:template_id>/levels/<dbid:level_id>", methods=["PUT"])
@blp.arguments(schemas.LevelIn)
@blp.response(200, schemas.LevelOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def save_level(data, template_id, level_id):
    """Replace a level's settings and exercise rows, validated as a whole."""
    template = services.get_template_or_404(me().clinic_id, template_id)
    level = next((lv for lv in template.levels if lv.id == level_id), None)
    if level is None:
        abort(404)
    rows = data.pop("exercises")
    problems = services.validate_level_rows(rows, me().clinic_id,
                                            keep={r.exercise_id for r in level.exercises})
    if problems:
        fields = {f"exercises.{index}.{name}": [message]
                  for index, row in problems.items() for name, message in row.items()}
        return error_response(422, "Some exercise rows need attention.", fields)
    return services.save_level(me(), template.id, level.id, data, rows)


# A patient's program -------------------------------------------------------------------------


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
                                   data["start_date"]), 201


@blp.route("/assignments/<dbid:assignment_id>", methods=["GET"])
@blp.response(200, schemas.AssignmentOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
def get_assignment(assignment_id):
    """A patient's program: status, current level and link."""
    assignment = services.get_assignment_or_404(me(), assignment_id)
    record_read(me(), "assignments.get", patient_id=assignment.patient_id)
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
    assignment = services.get_assignment_or_404(me(), assignment_id)
    sessions = list(reversed(services.sessions_of(assignment.id)))
    record_read(me(), "sessions.list", patient_id=assignment.patient_id)
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
    assignment = services.get_assignment_or_404(me(), assignment_id)
    entry, errors = session_entry.entry_from_data(data, assignment.current_level,
                                                  services.new_submission_key())
    if errors:
        return error_response(422, "Some fields are not valid.",
                              {name: [message] for name, message in errors.items()})
    return services.log_session(assignment.id, entry, source="clinician", actor=me()), 201


@blp.route("/templates/<dbid:template_id>/clone", methods=["POST"])
@blp.response(201, schemas.TemplateOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
def clone_template(template_id):
    """A copy of a program with all its levels, to adapt."""
    return services.clone_template(me(), template_id), 201


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
    assignment = services.get_assignment_or_404(me(), assignment_id)
    record_read(me(), "suggestions.list", patient_id=assignment.patient_id)
    return trend.suggestions(assignment)


@blp.route("/assignments/<dbid:assignment_id>/suggestions/<int(max=99):index>/decline",
           methods=["POST"])
@blp.arguments(schemas.DeclineIn)
@blp.response(204)
@blp.alt_response(404, schema=schemas.ErrorOut)
def decline_suggestion(data, assignment_id, index):
    """Decline a suggestion; it returns only when new sessions call for it again."""
    services.decline_suggestion(me(), assignment_id, index, data["kind"], data["reason"])
    return None
