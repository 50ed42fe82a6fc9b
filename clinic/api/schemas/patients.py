"""Schemas of patients and their care teams."""

from marshmallow import Schema, fields, validate

from clinic import limits
from clinic.api.fields import Id, Text, not_blank
from clinic.api.schemas.common import In, PageArgs, moment_in_range, required_text


class CareTeamOut(Schema):
    id = fields.Integer(required=True, metadata={
        "description": "The care-team row (to remove the member or make them primary)"})
    user_id = fields.Integer(required=True)
    name = fields.Function(lambda m: m.user.name, required=True, metadata={"type": "string"})
    role = fields.Function(lambda m: str(m.user.role), required=True,
                           metadata={"type": "string"})
    is_primary = fields.Boolean(required=True)


class EpisodeOut(Schema):
    id = fields.Integer(required=True)
    start = fields.Date(required=True, metadata={
        "description": "The day the episode of care began (the referral date), on the "
                       "clinic's calendar"})
    end = fields.Date(allow_none=True, required=True, metadata={
        "description": "The last day of the episode (discharge, or the day before the next "
                       "episode); null while it goes on"})
    reason = fields.String(allow_none=True, required=True)


class EpisodeIn(In):
    start = fields.Date(required=True, validate=moment_in_range, metadata={
        "description": "The new episode's first day; the current one ends the day before"})
    reason = required_text("reason")


def _current_episode(patient):
    return EpisodeOut().dump(patient.episodes[-1]) if patient.episodes else None


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
    episode = fields.Function(_current_episode, allow_none=True, required=True, metadata={
        "description": "The current episode of care: questionnaires dated in it give its "
                       "baseline and latest", "type": "object"})


class PatientListArgs(PageArgs):
    q = Text(load_default="", validate=limits.api_length("search"),
             metadata={"description": "Search in name and reference"})
    status = fields.String(load_default="active",
                           validate=validate.OneOf(["active", "discharged", "all"]))


class PatientIn(In):
    display_name = required_text("name")
    reference = required_text("reference")
    email = fields.Email(load_default=None, allow_none=True, validate=limits.api_length("email"))
    date_of_birth = fields.Date(load_default=None, allow_none=True, validate=moment_in_range)
    episode_start = fields.Date(load_default=None, allow_none=True, validate=moment_in_range,
                                metadata={"description": "The referral date: when the "
                                          "episode of care began (default: today)"})
    primary_clinician_id = Id(load_default=None, allow_none=True, metadata={
        "description": "Needed when a clinic admin adds a patient: the therapist or trainer "
                       "who becomes primary. A therapist adding a patient becomes primary."})


class PatientPatch(In):
    display_name = Text(validate=[limits.api_length("name", required=True), not_blank])
    reference = Text(validate=[limits.api_length("reference", required=True), not_blank])
    email = fields.Email(allow_none=True, validate=limits.api_length("email"))
    date_of_birth = fields.Date(allow_none=True, validate=moment_in_range)
    episode_start = fields.Date(validate=moment_in_range, metadata={
        "description": "Move the current episode's start (to the referral date, say); "
                       "primary clinician or admin"})


class CareTeamIn(In):
    user_id = Id(required=True, metadata={"description": "An active therapist or trainer of "
                                                         "the clinic"})
