"""Schemas of the clinic's catalogue: exercises, program templates and their levels."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from clinic import limits
from clinic.api.fields import Id, Int, Text, not_blank
from clinic.api.schemas.common import In, optional_text, required_text
from clinic.catalogue.models import LOAD_KINDS, MEASURES, PATTERNS, SETTINGS


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
    name = required_text("name")
    pattern = fields.String(required=True, validate=validate.OneOf(PATTERNS))
    setting = fields.String(required=True, validate=validate.OneOf(SETTINGS))
    measure = fields.String(required=True, validate=validate.OneOf(MEASURES))
    ladder_step = Int(required=True, validate=limits.api_range("ladder_step"))
    equipment = Text(load_default="", validate=limits.api_length("equipment"))
    cues = fields.List(Text(validate=[limits.api_length("cue", required=True), not_blank]),
                       required=True, validate=validate.Length(1, 3))
    easier_tip = optional_text("easier_tip")


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
    name = required_text("name")
    description = Text(load_default="", validate=limits.api_length("description"))


class TemplatePatch(In):
    name = Text(validate=[limits.api_length("name", required=True), not_blank])
    description = Text(validate=limits.api_length("description"))
    archived = fields.Boolean()


class LevelRowIn(In):
    exercise_id = Id(required=True)
    sets = Int(required=True, validate=limits.api_range("sets"))
    reps_min = Int(required=True, validate=limits.api_range("reps_target"))
    reps_max = Int(required=True, validate=limits.api_range("reps_target"))
    load_kind = fields.String(required=True, validate=validate.OneOf(LOAD_KINDS))
    load_target = Text(load_default="", validate=limits.api_length("load_target"))
    rest_seconds = Int(load_default=90, validate=limits.api_range("rest_seconds"))
    is_key = fields.Boolean(load_default=False)

    @validates_schema
    def range_in_order(self, data, **kwargs):
        if data["reps_min"] > data["reps_max"]:
            raise ValidationError("The lower end must not be above the upper end.", "reps_min")


class LevelIn(In):
    name = required_text("name")
    min_weeks = Int(required=True, validate=limits.api_range("min_weeks"))
    sessions_per_week = Int(required=True, validate=limits.api_range("sessions_per_week"))
    criteria = Text(load_default="", validate=limits.api_length("criteria"))
    exercises = fields.List(fields.Nested(LevelRowIn), required=True,
                            validate=validate.Length(1, 20))
