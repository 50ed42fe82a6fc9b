"""Schemas of a patient's program: assignments, targets, suggestions and sessions."""

from marshmallow import Schema, fields, validate

from clinic import limits
from clinic.api.fields import Id, Int, Text
from clinic.api.schemas.common import In, moment_in_range, optional_text, required_text
from clinic.catalogue import rules
from clinic.programs.models import SESSION_STATUSES
from clinic.programs.progress_review import hold_reason
from clinic.programs.services import equipment_of, program_link


class AssignmentIn(In):
    template_id = Id(required=True)
    start_date = fields.Date(required=True, validate=moment_in_range)
    confirm_start = fields.Boolean(load_default=False, metadata={
        "description": "The clinician confirms a start more than a year back or ahead "
                       "(at most five years)"})


class AssignmentOut(Schema):
    id = fields.Integer(required=True)
    patient_id = fields.Integer(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True)
    start_date = fields.Date(required=True)
    level = fields.Function(lambda a: a.level_position + 1, required=True,
                            metadata={"type": "integer", "description": "1 is the first level"})
    levels = fields.Function(lambda a: len(a.snapshot["levels"]), required=True,
                             metadata={"type": "integer"})
    exercises = fields.Function(lambda a: [
        {"index": index, "exercise_id": item["exercise_id"], "name": item["name"],
         "sets": item["sets"], "reps_min": item["reps_min"], "reps_max": item["reps_max"],
         "load_kg": None if item.get("load_kg") in (None, "") else float(item["load_kg"])}
        for index, item in enumerate(a.current_level["exercises"])], required=True, metadata={
            "type": "array", "items": {"type": "object"},
            "description": "The current level's prescription; ``index`` names a target"})
    equipment_loads_kg = fields.Function(
        lambda a: [float(load) for load in equipment_of(a) or ()] or None, required=True,
        allow_none=True, metadata={
            "type": "array", "items": {"type": "number"}, "nullable": True,
            "description": "The loads the patient can make with their own equipment (null: "
                           "not recorded); load suggestions go to the next one"})
    progression_hold = fields.Function(
        lambda a: hold_reason(a), required=True, allow_none=True, metadata={
            "type": "string", "nullable": True,
            "description": "Why every load and rep increase is held (pain in the last two "
                           "sessions), until a clinician reviews; null when nothing holds"})
    url = fields.Function(lambda a: None if a.link_revoked_at else program_link(a),
                          required=True, allow_none=True, metadata={
                              "type": "string", "nullable": True,
                              "description": "The patient's program link (null if revoked)"})


class TargetIn(In):
    sets = Int(required=True, validate=limits.api_range("sets"))
    reps_min = Int(required=True, validate=limits.api_range("reps_target"))
    reps_max = Int(required=True, validate=limits.api_range("reps_target"))
    load_kg = fields.Float(load_default=None, allow_none=True, validate=limits.api_range("load_kg"),
                           metadata={"description": "kg, at most two decimals"})
    reason = required_text("reason")
    confirm_jump = fields.Boolean(load_default=False, metadata={
        "description": "Needed for a load increase of more than 10%"})


class SuggestionOut(Schema):
    index = fields.Integer(required=True, metadata={"description": "The exercise's index"})
    exercise = fields.String(attribute="name", required=True)
    kind = fields.Function(lambda s: s.suggestion.kind, required=True,
                           metadata={"type": "string"})
    reason = fields.String(required=True)
    sets = fields.Function(lambda s: s.suggestion.new_sets, required=True,
                           metadata={"type": "integer"})
    reps_min = fields.Function(lambda s: s.suggestion.new_reps_min, required=True,
                               metadata={"type": "integer"})
    reps_max = fields.Function(lambda s: s.suggestion.new_reps_max, required=True,
                               metadata={"type": "integer"})
    load_kg = fields.Function(
        lambda s: None if s.suggestion.new_load_kg is None else float(s.suggestion.new_load_kg),
        required=True, allow_none=True, metadata={"type": "number", "nullable": True})
    next_exercise = fields.Function(lambda s: s.suggestion.next_exercise, required=True,
                                    allow_none=True,
                                    metadata={"type": "string", "nullable": True})
    needs_confirmation = fields.Function(lambda s: s.suggestion.needs_confirmation,
                                         required=True, metadata={"type": "boolean"})


class EquipmentIn(In):
    loads_kg = fields.List(fields.Float(validate=limits.api_range("load_kg",
                                                                  min_inclusive=False)),
                           required=True, validate=validate.Length(max=60), metadata={
                               "description": "Every load (kg) the patient can make; an empty "
                                              "list clears it"})
    reason = Text(load_default="", validate=limits.api_length("reason"))


class HoldReviewIn(In):
    note = required_text("reason", metadata={"description": "What the review found"})


class DeclineIn(In):
    kind = required_text("suggestion_kind", metadata={"description": "The suggestion's kind"})
    reason = Text(load_default="", validate=limits.api_length("reason"))


class LevelChangeIn(In):
    level = Int(required=True, validate=limits.api_range("level"),
                metadata={"description": "1 is the first level"})
    reason = required_text("reason")


class StatusIn(In):
    status = fields.String(required=True, validate=validate.OneOf(["active", "paused",
                                                                   "completed"]))
    reason = Text(load_default="", validate=limits.api_length("reason"))


class SetIn(In):
    exercise_id = Id(required=True)
    reps = Int(load_default=None, allow_none=True, validate=limits.api_range("reps_done"))
    load_kg = fields.Float(load_default=None, allow_none=True, validate=limits.api_range("load_kg"),
                           metadata={"description": "kg, at most two decimals"})
    seconds = Int(load_default=None, allow_none=True, validate=limits.api_range("seconds_done"))


class SessionIn(In):
    """A session; ``done`` with no ``sets`` is the quick "done as planned" log: every prescribed
    set at the prescribed load, reps not counted (stored as null, ``as_planned`` true)."""

    performed_on = fields.Date(required=True, validate=moment_in_range)
    status = fields.String(required=True, validate=validate.OneOf(SESSION_STATUSES))
    skip_reason = fields.String(load_default=None, allow_none=True,
                                validate=validate.OneOf(rules.SKIP_REASONS))
    rpe = Int(load_default=None, allow_none=True, validate=limits.api_range("rpe"))
    mood_before = Int(load_default=None, allow_none=True, validate=limits.api_range("mood"))
    mood_after = Int(load_default=None, allow_none=True, validate=limits.api_range("mood"))
    pain = Int(load_default=None, allow_none=True, validate=limits.api_range("pain"))
    pain_where = optional_text("pain_where")
    duration_minutes = Int(load_default=None, allow_none=True,
                           validate=limits.api_range("duration_minutes"))
    note = optional_text("note")
    sets = fields.List(fields.Nested(SetIn), load_default=list, validate=validate.Length(max=200))


class SetOut(Schema):
    exercise_id = fields.Integer(required=True)
    set_number = fields.Integer(required=True)
    reps = fields.Integer(allow_none=True, required=True)
    load_kg = fields.Float(allow_none=True, required=True)
    seconds = fields.Integer(allow_none=True, required=True)


class SessionOut(Schema):
    id = fields.Integer(required=True)
    performed_on = fields.Date(required=True)
    status = fields.String(required=True)
    skip_reason = fields.String(allow_none=True, required=True)
    level = fields.Function(lambda s: s.level_position + 1, required=True,
                            metadata={"type": "integer"})
    rpe = fields.Integer(allow_none=True, required=True)
    mood_before = fields.Integer(allow_none=True, required=True)
    mood_after = fields.Integer(allow_none=True, required=True)
    pain = fields.Integer(allow_none=True, required=True)
    note = fields.String(allow_none=True, required=True)
    source = fields.String(required=True)
    as_planned = fields.Boolean(required=True, metadata={
        "description": "Logged as done as planned: the sets' reps were not counted (null)"})
    sets = fields.List(fields.Nested(SetOut), required=True)
