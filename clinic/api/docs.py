"""The OpenAPI document and a plain HTML page generated from it (no script, nothing remote).

Both answer the API's own clients (a valid bearer token) as well as a clinician's page login:
the document describes the API, and a production deployment shows it only to people with an
account. Anyone else gets the API's 401 JSON with ``WWW-Authenticate``, not the login page.
"""

import functools

from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user

from clinic.api.auth import bearer_token, unauthorized
from clinic.auth.api_tokens import user_for_token

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")

METHODS = ("get", "post", "put", "patch", "delete")


def token_or_login(view):
    """Run ``view`` for a live bearer token or a clinician's login session; else 401 JSON.

    A request that sends a bearer token is judged by the token alone (an expired or revoked
    one gets 401 even from a browser that is logged in).
    """

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if bearer_token() is not None:
            user, _token = user_for_token(bearer_token())
            if user is None:
                return unauthorized()
        elif not current_user.is_authenticated:
            return unauthorized("Log in, or send a valid API token.")
        return view(*args, **kwargs)

    guarded.is_public = True  # the cookie guard steps aside: this wrapper decides
    return guarded


def openapi_document():
    return current_app.extensions["liftclinic_api"].spec.to_dict()


@bp.get("/openapi.json")
@token_or_login
def openapi_json():
    """The OpenAPI 3 document, generated from the schemas."""
    return jsonify(openapi_document())


def _resolve(spec, node):
    """Follow a local ``$ref`` (components/schemas) once."""
    while isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        section = node["$ref"].split("/")[2]
        node = spec["components"][section][name]
    return node


def _fields(spec, schema):
    """[(name, type text, required, description)] of an object schema, one level deep."""
    schema = _resolve(spec, schema or {})
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        prop = _resolve(spec, prop)
        kind = prop.get("type", "object")
        if kind == "array":
            item = _resolve(spec, prop.get("items", {}))
            kind = f"array of {item.get('type', 'object')}"
        if prop.get("format"):
            kind += f" ({prop['format']})"
        if "enum" in prop:
            kind += ": " + ", ".join(str(v) for v in prop["enum"] if v is not None)
        if prop.get("nullable"):
            kind += ", or null"
        limits = [f"{word} {prop[key]}" for key, word in (
            ("minimum", "min"), ("maximum", "max"), ("minLength", "min length"),
            ("maxLength", "max length"), ("maxItems", "max items")) if key in prop]
        rows.append((name, kind + (f" [{', '.join(limits)}]" if limits else ""),
                     name in required, prop.get("description", "")))
    return rows


def operations(spec):
    """The document as rows a template can print: one per operation, grouped by tag."""
    groups = {}
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody", {}).get("content", {}).get(
                "application/json", {}).get("schema")
            responses = []
            for status, response in sorted(operation.get("responses", {}).items()):
                response = _resolve(spec, response)
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                responses.append((status, response.get("description", ""),
                                  _fields(spec, schema)))
            parameters = [
                (p["name"], p["in"], _resolve(spec, p.get("schema", {})).get("type", ""),
                 p.get("required", False), p.get("description", ""))
                for p in (_resolve(spec, p) for p in item.get("parameters", [])
                          + operation.get("parameters", []))
            ]
            security = operation.get("security", spec.get("security", []))
            groups.setdefault(operation.get("tags", ["other"])[0], []).append({
                "method": method.upper(), "path": path,
                "summary": operation.get("summary", ""),
                "description": operation.get("description", ""),
                "parameters": parameters, "body": _fields(spec, body) if body else None,
                "responses": responses,
                "auth": ", ".join(name for s in security for name in s) or "none",
            })
    return groups


@bp.get("/docs")
@token_or_login
def docs():
    """Every operation of the API, read from the OpenAPI document."""
    spec = openapi_document()
    return render_template("api/docs.html", spec=spec, groups=operations(spec),
                           tags={t["name"]: t.get("description", "") for t in spec.get("tags", [])})
