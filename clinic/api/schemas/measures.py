"""Schemas of questionnaires: invitations, responses, corrections and schedules."""

from marshmallow import Schema, fields, validate

from clinic.api.fields import Int
from clinic.api.schemas.common import In, moment_in_range, required_text
from clinic.measures.instruments import INSTRUMENT_CODES


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
    completed_at = fields.AwareDateTime(load_default=None, validate=moment_in_range, metadata={
        "description": "Optional: a correction keeps the clinical date of the response it "
                       "corrects; a moment on another day of the clinic's calendar is a 422"})
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
    answers = fields.List(fields.Integer(allow_none=True), required=True, allow_none=True,
                          metadata={"description": "Item-level answers; null for a clinical "
                                    "trainer (minimum necessary: totals, bands and change)"})
    total = fields.Integer(required=True)
    band = fields.String(allow_none=True, required=True)
    risk = fields.Function(lambda r: "risk_item" in (r.flags or []), required=True,
                           metadata={"type": "boolean",
                                     "description": "A risk item was answered above 0"})
    flags = fields.List(fields.String(), required=True)
    prorated = fields.Boolean(required=True)
    source = fields.String(required=True)
    completed_at = fields.AwareDateTime(required=True)
