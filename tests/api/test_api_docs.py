"""The OpenAPI document describes every operation and validates; the docs page shows it all
without a script or anything from elsewhere, to clinicians (a login or an API token) only."""

import re
from datetime import timedelta

import jsonschema_rs
import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_30

from api.conftest import bearer, make_token
from clinic.api.docs import METHODS


def api_rules(app):
    """(METHOD, OpenAPI path) of every API route the app serves."""
    rules = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and not rule.endpoint.startswith("api_docs."):
            path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
            rules |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return rules


def test_the_document_validates_and_describes_every_operation(app, client, auth, world):
    auth.login(world.therapist.email)
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    errors = [str(e) for e in jsonschema_rs.Draft4Validator(OPENAPI_30).iter_errors(document)]
    assert errors == []
    documented = {(m.upper(), path) for path, item in document["paths"].items()
                  for m in item if m in METHODS}
    assert documented == api_rules(app)
    for path, item in document["paths"].items():
        for method in set(item) & set(METHODS):
            operation = item[method]
            assert operation.get("summary"), f"{method} {path} has no summary"
            assert any(code.startswith("2") for code in operation["responses"])
    # Input schemas refuse unknown fields in the document too (schemathesis reads this).
    schemas = document["components"]["schemas"]
    assert all(schemas[name]["additionalProperties"] is False
               for name in schemas if name.endswith(("In", "Patch", "Args")))
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_docs_page_lists_every_operation_without_scripts(app, client, auth, world):
    auth.login(world.trainer.email)
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for method, path in api_rules(app):
        assert f"{method} {path}" in page
    assert "<script" not in page and "http://" not in page.replace("http://clinic.test", "")
    assert "https://" not in page
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp


@pytest.mark.parametrize("url", ["/api/v1/docs", "/api/v1/openapi.json"])
def test_anonymous_callers_get_401_json_not_the_login_page(client, world, url):
    response = client.get(url)
    assert response.status_code == 401 and response.is_json
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_valid_token_gets_the_document_and_the_docs_page(app, world):
    caller = app.test_client()  # no cookie at all: an API client
    response = caller.get("/api/v1/openapi.json", headers=world.headers("therapist"))
    assert response.status_code == 200 and response.is_json
    assert response.get_json()["openapi"].startswith("3.")
    page = caller.get("/api/v1/docs", headers=world.headers("trainer"))
    assert page.status_code == 200 and "GET /api/v1/patients" in page.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/api/v1/docs", "/api/v1/openapi.json"])
@pytest.mark.parametrize("kind", ["expired", "revoked", "garbage"])
def test_an_expired_or_revoked_token_gets_401(app, client, auth, world, url, kind):
    token = {"expired": lambda: make_token(world.therapist, expires_in=-timedelta(minutes=1)),
             "revoked": lambda: make_token(world.therapist, revoked=True),
             "garbage": lambda: "not-a-token"}[kind]()
    response = app.test_client().get(url, headers=bearer(token))
    assert response.status_code == 401 and response.is_json
    assert "WWW-Authenticate" in response.headers
    # A bad token is judged alone, even from a logged-in browser.
    auth.login(world.therapist.email)
    assert client.get(url, headers=bearer(token)).status_code == 401
    assert client.get(url).status_code == 200  # the login itself still works
