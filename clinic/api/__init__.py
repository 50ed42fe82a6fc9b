"""The JSON API v1 (flask-smorest over marshmallow): the same services as the pages.

``init_app`` registers the resource blueprints, the id converter (ids are 1 to int32, so a
larger one is a 404, not a PostgreSQL overflow), the error shape, the security schemes of the
OpenAPI document and the docs pages. Auth is in ``clinic.api.auth``.
"""

import flask_smorest
from werkzeug.routing import IntegerConverter

from clinic.api.fields import MAX_ID

API_SETTINGS = {
    "API_TITLE": "LiftClinic API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": None,  # no flask-smorest doc pages: ours are in clinic.api.docs
    "API_SPEC_OPTIONS": {
        "security": [{"bearerAuth": []}],
        "info": {"description": "Create a token with HTTP Basic at POST /api/v1/tokens, then "
                                "send it as `Authorization: Bearer <token>`."},
    },
}


class DatabaseId(IntegerConverter):
    """``<dbid:...>``: a positive id that fits the database's integer column."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=MAX_ID)


class Api(flask_smorest.Api):
    """flask-smorest's Api, answering errors in our shape on the API blueprints only."""

    ERROR_SCHEMA = None  # set below, once the schemas module can be imported

    def _register_error_handlers(self):
        """Not app-wide: pages keep their HTML errors (clinic.errors)."""


def init_app(app):
    from clinic.api import (
        alerts,
        catalogue,
        docs,
        measures,
        patients,
        programs,
        reports,
        schemas,
        tokens,
    )
    from clinic.extensions import csrf

    for key, value in API_SETTINGS.items():
        app.config.setdefault(key, value)
    app.url_map.converters["dbid"] = DatabaseId
    Api.ERROR_SCHEMA = schemas.ErrorOut
    api = Api()
    api.register_converter(DatabaseId, lambda converter: {
        "type": "integer", "minimum": 1, "maximum": MAX_ID})
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme("basicAuth", {"type": "http", "scheme": "basic"})
    for module in (tokens, patients, measures, alerts, catalogue, programs, reports):
        # Bearer tokens are not sent by browsers on their own: no CSRF check is needed, and a
        # cookie alone authenticates nothing here (clinic.api.auth).
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp)
    app.extensions["liftclinic_api"] = api
    app.register_blueprint(docs.bp)
