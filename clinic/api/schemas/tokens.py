"""Schemas of API tokens."""

from marshmallow import Schema, fields


class TokenOut(Schema):
    token = fields.String(required=True, metadata={"description": "Shown once; keep it safe"})
    expires_at = fields.AwareDateTime(required=True)
