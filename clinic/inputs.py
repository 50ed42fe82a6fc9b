"""Hostile input at the edge: ids, page numbers, control characters and nested JSON are a 4xx.

Every id a URL or a query names is an integer column of the database: past 2^31 PostgreSQL
overflows, past 2^63 SQLite raises ``OverflowError``, so an id outside 1..``MAX_ID`` is a 404
before any query runs (``DatabaseId`` for URLs, ``id_arg`` for query filters, ``page_arg`` for
page numbers). NUL and other control characters are refused in every query string and page form
(``refuse_control_characters``: 400 with a message); JSON nested deeper than ``MAX_JSON_DEPTH``
is refused before it is parsed (``refuse_deep_json``).
"""

import re

from flask import abort, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL integer
MAX_PAGE = 1_000_000
MAX_JSON_DEPTH = 32

# C0 controls (tab, newline and carriage return allowed in multi-line text), DEL and C1.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_MESSAGE = "Text must not contain control characters (such as NUL)."


class DatabaseId(IntegerConverter):
    """``<dbid:...>``: a positive id that fits the database's integer column (else 404)."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=MAX_ID)


def id_arg(name, source=None):
    """A query (or form) id filter: None when absent or blank, 404 when not an id in range."""
    text = (request.args if source is None else source).get(name, "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 10 or not 1 <= int(text) <= MAX_ID:
        abort(404)
    return int(text)


def page_arg():
    """The ``page`` query argument: 1 when absent, 404 when not a page number in range (a page
    past the last is a 404 of the paginator)."""
    text = request.args.get("page", "").strip()
    if not text:
        return 1
    if not text.isascii() or not text.isdigit() or len(text) > 7 or not 1 <= int(text) <= MAX_PAGE:
        abort(404)
    return int(text)


def has_control_characters(text):
    return bool(_CONTROL.search(text))


def refuse_control_characters():
    """before_request: a control character in a query string or a page form is a 400."""
    from clinic.errors import bad_request

    for key, value in request.args.items(multi=True):
        if has_control_characters(key) or has_control_characters(value):
            return bad_request(CONTROL_MESSAGE)
    if request.method != "POST" or request.path.startswith("/api/"):
        return None
    for key, value in request.form.items(multi=True):
        if has_control_characters(key) or has_control_characters(value):
            return bad_request(CONTROL_MESSAGE)
    return None


def json_depth(data):
    """The deepest nesting of arrays and objects in a JSON text (strings skipped), read without
    parsing it: a deep document never reaches the (recursive) parser."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def refuse_deep_json():
    """before_request: an API body nested deeper than ``MAX_JSON_DEPTH`` is a 400."""
    from clinic.errors import bad_request

    if not request.path.startswith("/api/") or request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    data = request.get_data(cache=True)
    if data.count(b"[") + data.count(b"{") > MAX_JSON_DEPTH and json_depth(data) > MAX_JSON_DEPTH:
        return bad_request(f"JSON must not be nested deeper than {MAX_JSON_DEPTH} levels.")
    return None


def init_app(app):
    app.url_map.converters["dbid"] = DatabaseId
    app.before_request(refuse_control_characters)
    app.before_request(refuse_deep_json)
