"""Schemas of reports and exports."""

from marshmallow import fields

from clinic.api.schemas.common import In, moment_in_range


class ReportArgs(In):
    start = fields.Date(data_key="from", load_default=None, validate=moment_in_range,
                        metadata={"description": "First day (default: the episode's start)"})
    end = fields.Date(data_key="to", load_default=None, validate=moment_in_range,
                      metadata={"description": "Last day (default: today)"})
