"""The OpenAPI document describes every operation and validates; the docs page shows it all
without a script or anything from elsewhere, to logged-in clinicians only."""

import re

import jsonschema_rs
from schemathesis.specs.openapi.definitions import OPENAPI_30

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


def test_the_docs_need_a_clinician_login(client, world):
    for url in ("/api/v1/docs", "/api/v1/openapi.json"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_api_errors_keep_their_shape_and_headers(client, world):
    headers = world.headers("therapist")
    not_allowed = client.put("/api/v1/patients", headers=headers, json={})
    assert not_allowed.status_code == 405
    assert set(not_allowed.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert set(not_allowed.get_json()) == {"error", "fields"}
    unknown = client.get("/api/v1/nothing-here", headers=headers)
    assert unknown.status_code == 404 and set(unknown.get_json()) == {"error", "fields"}
    not_json = client.post("/api/v1/patients", headers=headers, data="display_name=x")
    assert not_json.status_code in (415, 422) and set(not_json.get_json()) == {"error", "fields"}
