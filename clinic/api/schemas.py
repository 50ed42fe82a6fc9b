"""Input and output schemas of the API, separate for each direction (``PatientIn``/``Out``).

Inputs reject unknown fields (marshmallow's RAISE) and say so in the OpenAPI document
(``additionalProperties: false``), so a client cannot slip ``clinic_id`` or ``role`` in.
"""

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from clinic.alerts.models import ALERT_KINDS
from clinic.api.fields import Id, Int, QueryId, Text, not_blank
from clinic.measures.instruments import INSTRUMENT_CODES
from clinic.programs import rules
from clinic.programs.models import LOAD_KINDS, MEASURES, PATTERNS, SESSION_STATUSES, SETTINGS
from clinic.programs.services import program_link

MAX_PAGE = 1_000_000


class In(Schema):
    class Meta:
        unknown = RAISE


def required_text(max_length, **kwargs):
    return Text(required=True, validate=[validate.Length(1, max_length), not_blank], **kwargs)


def optional_text(max_length, **kwargs):
    return Text(load_default=None, allow_none=True, validate=validate.Length(max=max_length),
                **kwargs)


def moment_in_range(value):
    """Dates of clinical records: 1900 to 2100 (far outside would overflow on conversion)."""
    if not 1900 <= value.year <= 2100:
        raise ValidationError("Use a date between 1900 and 2100.")


# Common ---------------------------------------------------------------------------------------


class ErrorOut(Schema):
    error = fields.String(required=True, metadata={"description": "What went wrong"})
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         required=True, metadata={"description": "Messages per input field"})


class PageArgs(In):
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100))


def page_of(item_schema, name):
    """A list envelope: ``{items, total, page, per_page}`` (page data in the body)."""
    return type(name, (Schema,), {
        "items": fields.List(fields.Nested(item_schema), required=True),
        "total": fields.Integer(required=True),
        "page": fields.Integer(required=True),
        "per_page": fields.Integer(required=True),
    })


# Tokens --------------------------------------------------------------------------------------


class TokenOut(Schema):
    token = fields.String(required=True, metadata={"description": "Shown once; keep it safe"})
    expires_at = fields.AwareDateTime(required=True)


# Patients ------------------------------------------------------------------------------------


class CareTeamOut(Schema):
    id = fields.Integer(required=True, metadata={
        "description": "The care-team row (to remove the member or make them primary)"})
    user_id = fields.Integer(required=True)
    name = fields.Function(lambda m: m.user.name, required=True, metadata={"type": "string"})
    role = fields.Function(lambda m: str(m.user.role), required=True,
                           metadata={"type": "string"})
    is_primary = fields.Boolean(required=True)


class PatientOut(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    reference = fields.String(required=True)
    email = fields.String(allow_none=True, required=True)
    date_of_birth = fields.Date(allow_none=True, required=True)
    status = fields.String(required=True, validate=validate.OneOf(["active", "discharged"]))
    created_at = fields.AwareDateTime(required=True)
    discharged_at = fields.AwareDateTime(allow_none=True, required=True)
    care_team = fields.List(fields.Nested(CareTeamOut), required=True)


class PatientListArgs(PageArgs):
    q = Text(load_default="", validate=validate.Length(max=120),
             metadata={"description": "Search in name and reference"})
    status = fields.String(load_default="active",
                           validate=validate.OneOf(["active", "discharged", "all"]))


class PatientIn(In):
    display_name = required_text(120)
    reference = required_text(40)
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    date_of_birth = fields.Date(load_default=None, allow_none=True, validate=moment_in_range)
    primary_clinician_id = Id(load_default=None, allow_none=True, metadata={
        "description": "Needed when a clinic admin adds a patient: the therapist or trainer "
                       "who becomes primary. A therapist adding a patient becomes primary."})


class PatientPatch(In):
    display_name = Text(validate=[validate.Length(1, 120), not_blank])
    reference = Text(validate=[validate.Length(1, 40), not_blank])
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    date_of_birth = fields.Date(allow_none=True, validate=moment_in_range)


class CareTeamIn(In):
    user_id = Id(required=True, metadata={"description": "An active therapist or trainer of "
                                                         "the clinic"})


# Measures ------------------------------------------------------------------------------------


class InvitationIn(In):
    instruments = fields.List(fields.String(validate=validate.OneOf(INSTRUMENT_CODES)),
                              required=True, validate=validate.Length(1, len(INSTRUMENT_CODES)))


class InvitationOut(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True, metadata={"description": "The patient's link"})
    expires_at = fields.AwareDateTime(required=True)
    instruments = fields.List(fields.String(), required=True)
    state = fields.String(required=True, validate=validate.OneOf(
        ["open", "completed", "expired", "revoked"]))


class ResponseIn(In):
    instrument = fields.String(required=True, validate=validate.OneOf(INSTRUMENT_CODES))
    answers = fields.List(Int(allow_none=True, validate=validate.Range(0, 100)), required=True,
                          validate=validate.Length(1, 50), metadata={
                              "description": "Raw item values in item order; null for an "
                                             "item left blank (within the missing-item rule)"})
    completed_at = fields.AwareDateTime(required=True, validate=moment_in_range)


class CorrectionIn(In):
    answers = fields.List(Int(allow_none=True, validate=validate.Range(0, 100)), required=True,
                          validate=validate.Length(1, 50))
    completed_at = fields.AwareDateTime(required=True, validate=moment_in_range)
    reason = required_text(1000)


class ScheduleIn(In):
    instrument = fields.String(required=True, validate=validate.OneOf(INSTRUMENT_CODES))
    every_weeks = Int(required=True, validate=validate.OneOf([1, 2, 4]))
    weekday = Int(required=True, validate=validate.Range(0, 6),
                  metadata={"description": "Monday is 0"})
    starts_on = fields.Date(required=True, validate=moment_in_range)
    ends_on = fields.Date(load_default=None, allow_none=True, validate=moment_in_range)


class ScheduleOut(Schema):
    id = fields.Integer(required=True)
    instrument = fields.String(attribute="instrument_code", required=True)
    every_weeks = fields.Integer(required=True)
    weekday = fields.Integer(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(allow_none=True, required=True)


class ResponseOut(Schema):
    id = fields.Integer(required=True)
    instrument = fields.String(attribute="instrument_code", required=True)
    instrument_version = fields.String(required=True)
    supersedes_id = fields.Integer(allow_none=True, required=True,
                                   metadata={"description": "The response this one corrects"})
    answers = fields.List(fields.Integer(allow_none=True), required=True)
    total = fields.Integer(required=True)
    band = fields.String(allow_none=True, required=True)
    risk = fields.Function(lambda r: "risk_item" in (r.flags or []), required=True,
                           metadata={"type": "boolean",
                                     "description": "A risk item was answered above 0"})
    flags = fields.List(fields.String(), required=True)
    prorated = fields.Boolean(required=True)
    source = fields.String(required=True)
    completed_at = fields.AwareDateTime(required=True)


# Reports -------------------------------------------------------------------------------------


class ReportArgs(In):
    start = fields.Date(data_key="from", load_default=None, validate=moment_in_range,
                        metadata={"description": "First day (default: the episode's start)"})
    end = fields.Date(data_key="to", load_default=None, validate=moment_in_range,
                      metadata={"description": "Last day (default: today)"})


# Alerts --------------------------------------------------------------------------------------


class AlertArgs(PageArgs):
    patient_id = QueryId(load_default=None)
    kind = fields.String(load_default=None, validate=validate.OneOf(ALERT_KINDS))


class AlertOut(Schema):
    id = fields.Integer(required=True)
    patient_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    response_id = fields.Integer(allow_none=True, required=True)
    session_log_id = fields.Integer(allow_none=True, required=True)
    acknowledged_at = fields.AwareDateTime(allow_none=True, required=True)
    note = fields.String(allow_none=True, required=True)


class AcknowledgeIn(In):
    note = required_text(2000)


# Programs ------------------------------------------------------------------------------------


class ExerciseOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    pattern = fields.String(required=True)
    setting = fields.String(required=True)
    equipment = fields.String(required=True)
    measure = fields.String(required=True)
    ladder = fields.String(required=True)
    ladder_step = fields.Integer(required=True)
    cues = fields.List(fields.String(), required=True)
    easier_tip = fields.String(allow_none=True, required=True)
    builtin = fields.Function(lambda e: e.clinic_id is None, required=True,
                              metadata={"type": "boolean"})
    retired = fields.Function(lambda e: e.retired_at is not None, required=True,
                              metadata={"type": "boolean"})


class ExerciseIn(In):
    name = required_text(120)
    pattern = fields.String(required=True, validate=validate.OneOf(PATTERNS))
    setting = fields.String(required=True, validate=validate.OneOf(SETTINGS))
    measure = fields.String(required=True, validate=validate.OneOf(MEASURES))
    ladder_step = Int(required=True, validate=validate.Range(1, 20))
    equipment = Text(load_default="", validate=validate.Length(max=80))
    cues = fields.List(Text(validate=[validate.Length(1, 200), not_blank]), required=True,
                       validate=validate.Length(1, 3))
    easier_tip = optional_text(300)


class ExercisePatch(In):
    retired = fields.Boolean(required=True, metadata={"description": "Retire or bring back"})


class LevelExerciseOut(Schema):
    exercise_id = fields.Integer(required=True)
    sets = fields.Integer(required=True)
    reps_min = fields.Integer(required=True)
    reps_max = fields.Integer(required=True)
    load_kind = fields.String(required=True)
    load_target = fields.String(required=True)
    rest_seconds = fields.Integer(required=True)
    is_key = fields.Boolean(required=True)


class LevelOut(Schema):
    id = fields.Integer(required=True)
    number = fields.Function(lambda lv: lv.position + 1, required=True,
                             metadata={"type": "integer"})
    name = fields.String(required=True)
    min_weeks = fields.Integer(required=True)
    sessions_per_week = fields.Integer(required=True)
    criteria = fields.String(allow_none=True, required=True)
    exercises = fields.List(fields.Nested(LevelExerciseOut), required=True)


class TemplateOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    version = fields.Integer(required=True)
    archived = fields.Function(lambda t: t.archived_at is not None, required=True,
                               metadata={"type": "boolean"})
    levels = fields.List(fields.Nested(LevelOut), required=True)


class TemplateIn(In):
    name = required_text(120)
    description = Text(load_default="", validate=validate.Length(max=2000))


class TemplatePatch(In):
    name = Text(validate=[validate.Length(1, 120), not_blank])
    description = Text(validate=validate.Length(max=2000))
    archived = fields.Boolean()


class LevelRowIn(In):
    exercise_id = Id(required=True)
    sets = Int(required=True, validate=validate.Range(1, 10))
    reps_min = Int(required=True, validate=validate.Range(1, 200))
    reps_max = Int(required=True, validate=validate.Range(1, 200))
    load_kind = fields.String(required=True, validate=validate.OneOf(LOAD_KINDS))
    load_target = Text(load_default="", validate=validate.Length(max=32))
    rest_seconds = Int(load_default=90, validate=validate.Range(0, 600))
    is_key = fields.Boolean(load_default=False)

    @validates_schema
    def range_in_order(self, data, **kwargs):
        if data["reps_min"] > data["reps_max"]:
            raise ValidationError("The lower end must not be above the upper end.", "reps_min")


class LevelIn(In):
    name = required_text(120)
    min_weeks = Int(required=True, validate=validate.Range(0, 52))
    sessions_per_week = Int(required=True, validate=validate.Range(1, 7))
    criteria = Text(load_default="", validate=validate.Length(max=2000))
    exercises = fields.List(fields.Nested(LevelRowIn), required=True,
                            validate=validate.Length(1, 20))


class AssignmentIn(In):
    template_id = Id(required=True)
    start_date = fields.Date(required=True, validate=moment_in_range)


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
    url = fields.Function(lambda a: None if a.link_revoked_at else program_link(a),
                          required=True, allow_none=True, metadata={
                              "type": "string", "nullable": True,
                              "description": "The patient's program link (null if revoked)"})


class TargetIn(In):
    sets = Int(required=True, validate=validate.Range(1, 10))
    reps_min = Int(required=True, validate=validate.Range(1, 200))
    reps_max = Int(required=True, validate=validate.Range(1, 200))
    load_kg = fields.Float(load_default=None, allow_none=True, validate=validate.Range(0, 500),
                           metadata={"description": "kg, at most two decimals"})
    reason = required_text(1000)
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


class DeclineIn(In):
    kind = required_text(32, metadata={"description": "The suggestion's kind"})
    reason = Text(load_default="", validate=validate.Length(max=1000))


class LevelChangeIn(In):
    level = Int(required=True, validate=validate.Range(1, 100),
                metadata={"description": "1 is the first level"})
    reason = required_text(1000)


class StatusIn(In):
    status = fields.String(required=True, validate=validate.OneOf(["active", "paused",
                                                                   "completed"]))
    reason = Text(load_default="", validate=validate.Length(max=1000))


class SetIn(In):
    exercise_id = Id(required=True)
    reps = Int(load_default=None, allow_none=True, validate=validate.Range(0, 200))
    load_kg = fields.Float(load_default=None, allow_none=True, validate=validate.Range(0, 500),
                           metadata={"description": "kg, at most two decimals"})
    seconds = Int(load_default=None, allow_none=True, validate=validate.Range(0, 3600))


class SessionIn(In):
    performed_on = fields.Date(required=True, validate=moment_in_range)
    status = fields.String(required=True, validate=validate.OneOf(SESSION_STATUSES))
    skip_reason = fields.String(load_default=None, allow_none=True,
                                validate=validate.OneOf(rules.SKIP_REASONS))
    rpe = Int(load_default=None, allow_none=True, validate=validate.Range(0, 10))
    mood_before = Int(load_default=None, allow_none=True, validate=validate.Range(0, 10))
    mood_after = Int(load_default=None, allow_none=True, validate=validate.Range(0, 10))
    pain = Int(load_default=None, allow_none=True, validate=validate.Range(0, 10))
    pain_where = optional_text(120)
    duration_minutes = Int(load_default=None, allow_none=True, validate=validate.Range(1, 600))
    note = optional_text(2000)
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
    sets = fields.List(fields.Nested(SetOut), required=True)
