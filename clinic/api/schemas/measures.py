"""Schemas of questionnaires: invitations, responses, corrections and schedules."""

from marshmallow import Schema, fields, validate

from clinic import limits
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
    reason = required_text("reason")


class ScheduleIn(In):
    instrument = fields.String(required=True, validate=validate.OneOf(INSTRUMENT_CODES))
    every_weeks = Int(required=True, validate=validate.OneOf([1, 2, 4]))
    weekday = Int(required=True, validate=limits.api_range("weekday"),
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


# The outcome of the current episode of care (clinic.measures.outcomes) -----------------------

CHANGES = ["reliable_improvement", "no_reliable_change", "reliable_deterioration"]
RECOVERIES = ["recovered", "reliable_recovery", "not_recovered", "not_a_case_at_baseline"]


class OutcomeEpisodeOut(Schema):
    start = fields.Date(required=True, metadata={"description": "The clinic's calendar"})
    end = fields.Date(required=True, allow_none=True,
                      metadata={"description": "Discharge day; null while the episode runs"})


class ScoreOut(Schema):
    total = fields.Integer(required=True)
    date = fields.Date(required=True,
                       metadata={"description": "Clinical date, in the clinic's time zone"})
    prorated = fields.Boolean(required=True, metadata={
        "description": "Clinician-entered with 1-2 items missing, total prorated"})


class InstrumentOutcomeOut(Schema):
    instrument = fields.String(attribute="code", required=True)
    baseline = fields.Nested(ScoreOut, required=True,
                             metadata={"description": "Earliest-dated score of the episode"})
    latest = fields.Nested(ScoreOut, required=True,
                           metadata={"description": "Latest-dated score of the episode"})
    change = fields.String(required=True, allow_none=True, validate=validate.OneOf(CHANGES),
                           metadata={"description": "Reliable change; null with one score or "
                                                    "no reliable-change index (RSES)"})
    recovery = fields.String(required=True, allow_none=True,
                             validate=validate.OneOf(RECOVERIES),
                             metadata={"description": "Null with one score or no caseness"})
    response = fields.Boolean(required=True, allow_none=True, metadata={
        "description": "PHQ-9 only, and only when the baseline was a case (>= 10)"})
    remission = fields.Boolean(required=True, allow_none=True, metadata={
        "description": "PHQ-9 only, and only when the baseline was a case (>= 10)"})


class PairedOut(Schema):
    occasions = fields.Integer(required=True, metadata={
        "description": "PHQ-9 and GAD-7 of one invitation, or clinician-entered on one date"})
    case_at_baseline = fields.Boolean(required=True, allow_none=True)
    recovered = fields.Boolean(required=True, allow_none=True)
    reliable_improvement = fields.Boolean(required=True, allow_none=True)
    reliable_recovery = fields.Boolean(required=True, allow_none=True)
    reliable_deterioration = fields.Boolean(required=True, allow_none=True)


class OutcomeOut(Schema):
    """The current episode's outcome; every flag is null where undefined (the paired outcome
    needs at least two paired occasions)."""

    episode = fields.Nested(OutcomeEpisodeOut, required=True)
    instruments = fields.List(fields.Nested(InstrumentOutcomeOut), required=True)
    paired = fields.Nested(PairedOut, required=True, metadata={
        "description": "NHS Talking Therapies paired depression-and-anxiety outcome"})
