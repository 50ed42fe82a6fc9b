"""Domain errors raised by services, and the one set of HTTP error handlers.

A page request gets an HTML page in the site layout; a JSON request (``/api/`` or one that
prefers JSON) gets ``{"errors": ...}``. Error pages never show a traceback, SQL or a path.
"""

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.exceptions import NotFound as WerkzeugNotFound


class ServiceError(Exception):
    """A rule of the domain said no. ``field`` names the form field it belongs to, if any."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field

    def show_on(self, form):
        """Put the message beside its field, or above the form when it names none."""
        field = getattr(form, self.field, None) if self.field else None
        (field.errors if field is not None else form.form_errors).append(self.message)


class NotAllowed(ServiceError):
    """The actor may see the record but not do this to it (answered with 403)."""


class NotFound(Exception):
    """No such record, or one the actor may not see: both answer 404, in pages and API alike.

    Not a ``ServiceError``: a view that shows a service's "no" on its form must never show
    "not found" there instead of answering 404.
    """

    def __init__(self, what="record"):
        super().__init__(f"no such {what}, or not in the caller's scope")
        self.what = what


def wants_json():
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes[
        "text/html"
    ]


def _respond(status, title, message, headers=None):
    if request.path.startswith("/api/v1/"):
        response = jsonify(error=message, fields={})  # the API's one shape (clinic.api.errors)
    elif wants_json():
        response = jsonify(errors={"_request": [message]})
    elif request.blueprint == "portal" or request.path.startswith(("/q/", "/p/")):
        # Patients get the calm portal layout: no clinician navigation, no login link.
        response = render_template("portal/error.html", status=status, title=title,
                                   message=message)
    else:
        response = render_template("errors/error.html", status=status, title=title,
                                   message=message)
    return response, status, headers or {}


def bad_request(message):
    """A 400 with a message of our own (the page's layout, the API's shape)."""
    return _respond(400, "Bad request", message)


def handle_http_exception(error):
    messages = {
        400: ("Bad request", "The request could not be understood."),
        401: ("Please log in", "You need to log in to see this page."),
        403: ("Not allowed", "Your role does not allow this action."),
        404: ("Page not found", "There is nothing here, or you do not have access to it."),
        405: ("Not allowed", "This address does not accept that kind of request."),
        413: ("Too large", "What you sent is too large."),
        429: ("Too many attempts", "Too many requests: please wait a moment and try again."),
        503: ("Busy just now", "This is taking longer than usual because other reports are "
              "being made. Nothing was lost: please try again in a few seconds."),
    }
    title, message = messages.get(error.code, (error.name, error.description))
    if error.code in (403, 404):
        from clinic.audit.services import record_refusal

        record_refusal(error.code)
    headers = dict(error.get_headers()) if error.code in (405, 429, 503) else None
    if headers:
        headers.pop("Content-Type", None)
    return _respond(error.code, title, message, headers)


def handle_not_found(error):
    """A service's ``NotFound``: the same answer as any 404 (no enumeration)."""
    return handle_http_exception(WerkzeugNotFound())


def handle_not_allowed(error):
    """A service's ``NotAllowed`` no view turned into a form message: 403 with its reason."""
    return _respond(403, "Not allowed", error.message)


def handle_csrf_error(error):
    return _respond(400, "Form expired",
                    "This form expired or was sent from elsewhere. Go back, reload the page "
                    "and try again: nothing was saved.")


def handle_server_error(error):
    """Flask has already logged the traceback; the person sees only a calm message."""
    from clinic.extensions import db

    # The page itself reads the database (the navigation's alert badge): after a failed
    # statement PostgreSQL refuses every query until the transaction is rolled back.
    db.session.rollback()
    return _respond(500, "Something went wrong",
                    "Something went wrong on our side and nothing was saved. Please try again; "
                    "if it keeps happening, tell your clinic admin.")


def register_error_handlers(app):
    app.register_error_handler(NotFound, handle_not_found)
    app.register_error_handler(NotAllowed, handle_not_allowed)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(InternalServerError, handle_server_error)
    app.register_error_handler(HTTPException, handle_http_exception)
