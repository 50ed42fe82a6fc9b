"""Shared pieces of every schema: strict inputs, text fields, dates, errors, pages.

Inputs reject unknown fields (marshmallow's RAISE) and say so in the OpenAPI document
(``additionalProperties: false``), so a client cannot slip ``clinic_id`` or ``role`` in.
"""

from marshmallow import RAISE, Schema, fields, validate

from clinic import limits
from clinic.api.fields import Text, not_blank
from clinic.inputs import MAX_PAGE  # defined once there


class In(Schema):
    class Meta:
        unknown = RAISE


def required_text(limit, **kwargs):
    """Text of at least one character that is not blank, at most ``limits.TEXT_MAX[limit]``."""
    return Text(required=True, validate=[limits.api_length(limit, required=True), not_blank],
                **kwargs)


def optional_text(limit, **kwargs):
    return Text(load_default=None, allow_none=True, validate=limits.api_length(limit), **kwargs)


# Dates of clinical records: limits.DATE_YEARS (far outside would overflow on conversion).
moment_in_range = limits.api_date_window()


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
