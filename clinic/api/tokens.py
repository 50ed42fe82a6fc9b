"""``/api/v1/tokens``: trade an email and password (HTTP Basic) for a bearer token."""

from flask import current_app, g, request

from clinic.api import schemas
from clinic.api.auth import ApiBlueprint, basic_auth, me, unauthorized
from clinic.auth import api_tokens
from clinic.auth.services import LoginFailed
from clinic.extensions import limiter

blp = ApiBlueprint("api_tokens", __name__, url_prefix="/api/v1/tokens",
                   description="Bearer tokens for the API")

BASIC_CHALLENGE = 'Basic realm="LiftClinic API", charset="UTF-8"'


def _token_limit():
    return current_app.config["RATELIMIT_TOKENS"]


@blp.route("", methods=["POST"])
@blp.response(201, schemas.TokenOut)
@blp.alt_response(401, schema=schemas.ErrorOut, description="Wrong or missing credentials")
@blp.alt_response(429, schema=schemas.ErrorOut, description="Too many attempts")
@blp.doc(security=[{"basicAuth": []}], parameters=[{
    "in": "header", "name": "X-OTP-Code", "required": False, "schema": {"type": "string"},
    "description": "The current two-step login code, for accounts that have one"}])
@limiter.limit(_token_limit)
@basic_auth
def create_token():
    """Create a token (HTTP Basic: email and password; lockout as for the login page).

    The token is shown only in this response; only its SHA-256 is stored. It expires after
    30 days by default. An account with two-step login sends its current code in
    ``X-OTP-Code``.
    """
    credentials = request.authorization
    if credentials is None or credentials.type != "basic":
        return unauthorized("Send your email and password with HTTP Basic.", BASIC_CHALLENGE)
    try:
        _user, token, row = api_tokens.issue_token(credentials.username or "",
                                                   credentials.password or "",
                                                   request.headers.get("X-OTP-Code"))
    except LoginFailed as error:
        return unauthorized(error.message, BASIC_CHALLENGE)
    return {"token": token, "expires_at": row.expires_at}, 201


@blp.route("/current", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(401, schema=schemas.ErrorOut)
def revoke_current_token():
    """Revoke the token this request carries; it stops working at once."""
    api_tokens.revoke_own_token(me(), g.api_token.id)
    return None
