"""What every API resource module shares: pagination and turning service errors into HTTP."""

import functools

import sqlalchemy as sa

from clinic.api.errors import error_response
from clinic.errors import NotAllowed, ServiceError
from clinic.extensions import db

# A service names the form field of a page; the API's field is sometimes called otherwise.
FIELD_NAMES = {"primary_clinician": "primary_clinician_id"}


def paginate(items_or_select, args):
    """``{items, total, page, per_page}`` from a select (counted in SQL) or a list."""
    page, per_page = args["page"], args["per_page"]
    if isinstance(items_or_select, sa.Select):
        result = db.paginate(items_or_select, page=page, per_page=per_page, error_out=False,
                             max_per_page=100)
        return {"items": list(result.items), "total": result.total, "page": page,
                "per_page": per_page}
    items = list(items_or_select)
    start = (page - 1) * per_page
    return {"items": items[start:start + per_page], "total": len(items), "page": page,
            "per_page": per_page}


def service_errors(view):
    """A service's "no" as HTTP: 403 for a role, 422 on a field, 409 for the record's state."""

    @functools.wraps(view)
    def call(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except NotAllowed as error:
            return error_response(403, error.message)
        except ServiceError as error:
            if error.field:
                field = FIELD_NAMES.get(error.field, error.field)
                return error_response(422, error.message, {field: [error.message]})
            return error_response(409, error.message)

    return call
