"""Who is calling the API: a bearer token, and nothing else.

The API authenticates ``Authorization: Bearer <token>`` only. A browser's session cookie is
ignored here (a request carrying only a cookie gets 401), so no cookie-authenticated change can
reach the API and the API blueprints can be CSRF-exempt while every page keeps its CSRF check.

Every API view is wrapped by :class:`ApiBlueprint` (deny by default, as for the pages); the
cookie guard of ``clinic.auth.guards`` steps aside for them (``is_public``) because this
wrapper answers anonymous callers with 401 JSON and ``WWW-Authenticate`` instead of a redirect.
"""

import functools

import flask_smorest
from flask import g, request
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound as WerkzeugNotFound

from clinic.api.errors import error_response, handle_http_exception
from clinic.auth.api_tokens import user_for_token
from clinic.errors import NotFound

CHALLENGE = 'Bearer realm="LiftClinic API"'


def unauthorized(message="A valid API token is required.", challenge=CHALLENGE):
    response = error_response(401, message)
    response.headers["WWW-Authenticate"] = challenge
    return response


def bearer_token():
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def basic_auth(view):
    """The view authenticates with HTTP Basic itself (creating a token): no bearer needed."""
    view.api_basic_auth = True
    return view


def bearer_required(view):
    """Run ``view`` only for a live token of an active user; ``g.api_user`` is that user."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not getattr(view, "api_basic_auth", False):
            user, token = user_for_token(bearer_token())
            if user is None:
                return unauthorized()
            g.api_user, g.api_token = user, token
        return view(*args, **kwargs)

    guarded.is_public = True  # the cookie guard steps aside: this wrapper decides
    return guarded


def me():
    return g.api_user


class ApiBlueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose every view needs a bearer token (unless Basic).

    Its HTTP errors answer in the API's shape (``clinic.api.errors``), and its query strings
    refuse unknown parameters as its bodies refuse unknown fields (webargs would drop them).
    """

    ARGUMENTS_PARSER = FlaskParser(unknown=None)  # None: each schema's own RAISE applies

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_error_handler(HTTPException, handle_http_exception)
        # A service's NotFound is the API's 404, in the same shape as any other.
        self.register_error_handler(NotFound, lambda _error: handle_http_exception(
            WerkzeugNotFound()))

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None,
                     **options):
        if isinstance(view_func, type):  # a MethodView would escape the wrapper below
            raise TypeError("API views are functions, so that each gets the bearer check")
        if view_func is not None:
            view_func = bearer_required(view_func)
        return super().add_url_rule(rule, endpoint, view_func, provide_automatic_options,
                                    **options)
