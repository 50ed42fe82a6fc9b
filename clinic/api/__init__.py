"""The JSON API v1 (flask-smorest over marshmallow): the same services as the pages.

``init_app`` registers the resource blueprints, the id converter (ids are 1 to int32, so a
larger one is a 404, not a PostgreSQL overflow), the error shape, the security schemes of the
OpenAPI document and the docs pages. Auth is in ``clinic.api.auth``.

The views are written into the OpenAPI document when it is first asked for, not in
``create_app``: building it was most of the time an app took to start (every test builds one).
"""

import threading

import flask_smorest

from clinic.inputs import MAX_ID, DatabaseId

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


class Api(flask_smorest.Api):
    """flask-smorest's Api, answering errors in our shape on the API blueprints only, and
    documenting the blueprints' views lazily (``spec``)."""

    ERROR_SCHEMA = None  # set below, once the schemas module can be imported

    def __init__(self, *args, **kwargs):
        self._spec = None
        self._undocumented = []  # (blueprint, name, parameters) registered, not yet in the spec
        self._documenting = threading.RLock()
        super().__init__(*args, **kwargs)

    @property
    def spec(self):
        """The APISpec, every registered blueprint's views in it: the same document as
        flask-smorest's, the same order (views, then the blueprint's tag, one blueprint after
        the other), only written on first use. Thread-safe (the threaded dev server)."""
        with self._documenting:
            pending, self._undocumented = self._undocumented, []  # (re-entrant: done below)
            for blp, name, parameters in pending:
                blp.register_views_in_doc(self, self._app, self._spec, name=name,
                                          parameters=parameters)
                self._spec.tag({"name": name, "description": blp.description})
        return self._spec

    @spec.setter
    def spec(self, value):
        self._spec = value

    def register_blueprint(self, blp, *, parameters=None, **options):
        """flask-smorest's ``Api.register_blueprint`` (0.47, 0.48) minus the documentation,
        which ``spec`` writes when the document is first asked for."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

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
    # The ``dbid`` converter is the whole app's (clinic.inputs, registered by create_app).
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
