"""Protections of the web edge: security headers and the answer to a rate-limited request.

``flask check-deploy`` (``deploycheck``) is registered with the other commands.
"""


def init_app(app):
    from clinic.security import headers, ratelimit

    headers.init_app(app)
    ratelimit.init_app(app)
