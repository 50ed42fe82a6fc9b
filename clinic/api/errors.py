"""The API's one error shape: ``{"error": message, "fields": {field: [messages]}}``.

flask-smorest's own handler would answer every HTTP error of the whole app in its shape and
drop the exception's headers (``Allow`` on a 405, ``Retry-After`` on a 429); this one answers
for the API blueprints only and keeps them.
"""

from flask import jsonify

MESSAGES = {
    400: "The request could not be read.",
    401: "A valid API token is required.",
    403: "Your role does not allow this action.",
    404: "Not found.",
    405: "This address does not accept that method.",
    409: "That conflicts with the record's current state.",
    413: "What you sent is too large.",
    415: "Send JSON (Content-Type: application/json).",
    422: "Some fields are not valid.",
    429: "Too many requests: please wait a moment and try again.",
    500: "Something went wrong on our side and nothing was saved.",
    503: "Busy just now: please try again in a few seconds (Retry-After).",
}


def flatten(messages, prefix=""):
    """marshmallow's nested messages as {"sets.0.reps": [..]}; lists of strings stay lists."""
    if isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            return {prefix or "_body": list(messages)}
        out = {}
        for index, item in enumerate(messages):
            out.update(flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return out
    if isinstance(messages, dict):
        out = {}
        for key, value in messages.items():
            name = str(key) if not prefix else f"{prefix}.{key}"
            out.update(flatten(value, name))
        return out
    return {prefix or "_body": [str(messages)]}


def error_response(status, message=None, fields=None, headers=None):
    response = jsonify(error=message or MESSAGES.get(status, "Error."), fields=fields or {})
    response.status_code = status
    for name, value in (headers or {}).items():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def handle_http_exception(error):
    """Any HTTP error raised inside an API view, including webargs' 422 and 400."""
    if error.code in (403, 404):
        from clinic.audit.services import record_refusal

        record_refusal(error.code)
    headers = dict(error.get_headers()) if error.code in (401, 405, 429, 503) else {}
    data = getattr(error, "data", None) or {}
    headers.update(data.get("headers") or {})
    fields = {}
    messages = data.get("messages")
    if messages:
        # webargs: {"json": {...}} or {"query": {...}}; the location says nothing useful.
        for location_messages in messages.values():
            fields.update(flatten(location_messages))
    message = data.get("message")
    if error.code == 400 and "_body" in fields:
        message = "The body is not valid JSON."
    return error_response(error.code, message, fields, headers)
