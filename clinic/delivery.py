"""How responses travel: compressed, static files cached by their content, and a favicon.

Patients open their pages on cheap phones over weak signal, so bytes matter:

- **Compression** (Flask-Compress: Brotli or gzip, as the browser accepts) for HTML, CSS,
  JavaScript, SVG, JSON and CSV. One exception keeps BREACH out: an HTML page that carries a
  CSRF token *and* answers a GET with a query string (whose text a page may echo: a search, a
  filter) goes uncompressed, because an attacker who can make the victim's browser load such a
  URL many times and watch the sizes could read the token byte by byte. A POST cannot be
  forged without the token, and a GET without a query string echoes nothing the attacker chose.
- **Static files** are linked with their content's hash (``?v=...``, added by ``url_for``) and
  served with a year's ``Cache-Control: immutable`` when the hash matches: a patient page
  revalidates nothing; a changed file gets a new URL. Without the hash (an old link) a file is
  served ``no-cache`` as Flask does by default.
- **/favicon.ico** is the app's icon (browsers ask for it on every first visit).
"""

import hashlib
from functools import cache
from pathlib import Path

from flask import Response, current_app, g, request
from flask_compress import Compress

from clinic.auth.guards import public

ONE_YEAR = 365 * 24 * 3600
COMPRESSED_TYPES = ["text/html", "text/css", "text/javascript", "application/javascript",
                    "image/svg+xml", "application/json", "application/problem+json",
                    "text/csv", "text/plain"]

compress = Compress()


def init_app(app):
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)  # a fast level: pages are small and dynamic
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    app.config["COMPRESS_REGISTER"] = False  # compressed by our hook, which knows about BREACH
    compress.init_app(app)
    app.url_defaults(_static_version)
    app.after_request(_cache_static)
    app.after_request(_compress)
    app.add_url_rule("/favicon.ico", "favicon", favicon)


def may_compress(response):
    """False for an HTML page holding a CSRF token in answer to a GET with a query string."""
    if response.mimetype != "text/html":
        return True
    carries_token = "csrf_token" in g  # Flask-WTF keeps the token it rendered here
    return not (carries_token and request.method == "GET" and request.query_string)


def _compress(response):
    if not may_compress(response):
        return response
    source = response.response  # a static file is an open file until it is read
    response = compress.after_request(response)
    if response.response is not source and hasattr(source, "close"):
        source.close()  # read whole into the compressed body: close it now, not at GC
    return response


@cache
def _file_version(static_folder, filename):
    """The first 12 hex digits of the file's SHA-256 (None for a file that is not there)."""
    path = Path(static_folder) / filename
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def static_version(filename):
    return _file_version(current_app.static_folder, filename)


def _static_version(endpoint, values):
    if endpoint == "static" and "v" not in values and "filename" in values:
        version = static_version(values["filename"])
        if version:
            values["v"] = version


def _cache_static(response):
    if request.endpoint in ("static", "favicon") and response.status_code == 200:
        filename = (request.view_args or {}).get("filename", "favicon.ico")
        if request.args.get("v") and request.args["v"] == static_version(filename):
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        elif request.endpoint == "favicon":
            response.cache_control.public = True
            response.cache_control.max_age = 7 * 24 * 3600  # asked for by a fixed URL
            response.cache_control.no_cache = None
    return response


@cache
def _favicon_bytes(static_folder):
    return (Path(static_folder) / "favicon.ico").read_bytes()


@public
def favicon():
    """The icon from memory (176 bytes, asked for on every first visit: no file to open)."""
    return Response(_favicon_bytes(current_app.static_folder),
                    mimetype="image/vnd.microsoft.icon")
