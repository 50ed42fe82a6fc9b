"""Security headers on every response.

The policy is strict and the same everywhere (no inline script or style, nothing from other
origins), so a template cannot quietly weaken it. The first answer to a patient link
(``/q/<token>``, ``/p/<token>``) sends no Referer at all: its URL holds the token.
"""

from flask import g, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
# Two years, as the HSTS preload list asks; only ever sent over HTTPS (RFC 6797 §7.2).
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"
# Pages whose own URL carries a patient-link token.
TOKEN_IN_URL_ENDPOINTS = frozenset({"portal.open_link", "portal.open_program"})


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.endpoint in TOKEN_IN_URL_ENDPOINTS:
        headers["Referrer-Policy"] = "no-referrer"
    else:
        # Not no-referrer everywhere: Flask-WTF checks the Referer of HTTPS form posts.
        headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint not in ("static", "favicon"):  # the files anyone may cache
        headers["Cache-Control"] = "no-store"
    if request.is_secure:
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    headers["X-Request-Id"] = g.get("request_id", "")
    return response


def init_app(app):
    app.after_request(set_security_headers)
