"""Fields of the JSON edge that hold what the database can hold, so bad input is a 422.

PostgreSQL refuses a NUL in text and a lone surrogate in UTF-8, and overflows past int32 on an
id: each of these would be a 500 unless the field says no first (schemathesis finds all three).
"""

import numbers

from marshmallow import ValidationError, fields, validate

from clinic.inputs import MAX_ID  # PostgreSQL integer; defined once there


class Text(fields.String):
    """A string without NUL or unpaired surrogates; stored stripped, as the page forms strip.

    Lengths are checked on the text as sent (what the OpenAPI document promises), the blank
    check (``not_blank``) on the text as stored.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("Must not contain NUL characters.")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValidationError("Must be valid Unicode text.") from error
        return text

    def deserialize(self, value, attr=None, data=None, **kwargs):
        text = super().deserialize(value, attr, data, **kwargs)
        return text.strip() if isinstance(text, str) else text


def not_blank(text):
    if not text.strip():
        raise ValidationError("Must not be blank.")


class Int(fields.Integer):
    """A JSON integer: 5 and 5.0 pass; "5", true and 5.5 do not (JSON Schema's own rule)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, numbers.Number):
            raise self.make_error("invalid")
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return super()._deserialize(int(value), attr, data, **kwargs)


def Id(**kwargs):
    """A database id in a JSON body: 1 to int32."""
    return Int(validate=validate.Range(1, MAX_ID), **kwargs)


def QueryId(**kwargs):
    """A database id in a query string (strings are how query values arrive)."""
    return fields.Integer(validate=validate.Range(1, MAX_ID), **kwargs)
