"""Schemas of the clinic's catalogue: exercises, program templates and their levels."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

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
