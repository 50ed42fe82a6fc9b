"""Protections of the web edge: request ids, security headers, the answer to a rate-limited
request.

``flask check-deploy`` (``deploycheck``) is registered with the other commands.
"""


def init_app(app):
    from clinic.security import headers, ratelimit, requestid

    requestid.init_app(app)
    headers.init_app(app)
    ratelimit.init_app(app)
