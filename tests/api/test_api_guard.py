"""Deny by default: every API view runs behind the bearer check, and none can slip past it."""

import pytest
from flask.views import MethodView

from clinic.api.auth import ApiBlueprint, bearer_required


def test_every_api_view_is_behind_the_bearer_check(app):
    guarded_code = bearer_required(lambda: None).__code__
    api_views = {endpoint: view for endpoint, view in app.view_functions.items()
                 if endpoint.startswith("api_") and not endpoint.startswith("api_docs.")}
    assert len(api_views) >= 40
    for endpoint, view in api_views.items():
        assert view.__code__ is guarded_code, f"{endpoint} is not wrapped"


def test_a_method_view_is_refused_rather_than_left_unguarded():
    blp = ApiBlueprint("api_probe", __name__)

    class Probe(MethodView):
        def get(self):
            return {}

    with pytest.raises(TypeError):
        blp.add_url_rule("/probe", view_func=Probe)
