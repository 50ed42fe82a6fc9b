"""Schemas of alerts."""

from marshmallow import Schema, fields, validate

from clinic.alerts.models import ALERT_KINDS
from clinic.api.fields import QueryId
from clinic.api.schemas.common import In, PageArgs, required_text


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
    resolution = fields.String(allow_none=True, required=True, metadata={
        "description": "null while open; 'acknowledged', or 'resolved_by_correction' when a "
                       "correction of the response that raised it no longer meets it"})


class AcknowledgeIn(In):
    note = required_text("note")
