"""``/api/v1/tokens``: trade an email and password (HTTP Basic) for a bearer token, list
your own tokens and revoke any of them."""

from flask import current_app, g, request
from marshmallow import Schema, fields

from clinic.api import schemas
from clinic.api.auth import ApiBlueprint, basic_auth, me, unauthorized
from clinic.auth import api_tokens
from clinic.auth.services import LoginFailed
from clinic.database import utcnow
from clinic.extensions import limiter


class TokenIn(schemas.In):
    name = schemas.optional_text("token_name", metadata={
        "description": 'What the token is for ("records system export"); default "API token"'})


class TokenItemOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    last_used_at = fields.AwareDateTime(allow_none=True, required=True)
    state = fields.String(required=True, metadata={"enum": ["active", "expired", "revoked"]})
    current = fields.Boolean(required=True, metadata={
        "description": "Whether this request carries this token"})


class TokenListOut(Schema):
    items = fields.List(fields.Nested(TokenItemOut), required=True)

blp = ApiBlueprint("api_tokens", __name__, url_prefix="/api/v1/tokens",
                   description="Bearer tokens for the API")

BASIC_CHALLENGE = 'Basic realm="LiftClinic API", charset="UTF-8"'


def _token_limit():
    return current_app.config["RATELIMIT_TOKENS"]


@blp.route("", methods=["POST"])
@blp.arguments(TokenIn, required=False)
@blp.response(201, schemas.TokenOut)
@blp.alt_response(401, schema=schemas.ErrorOut, description="Wrong or missing credentials")
@blp.alt_response(429, schema=schemas.ErrorOut, description="Too many attempts")
@blp.doc(security=[{"basicAuth": []}], parameters=[{
    "in": "header", "name": "X-OTP-Code", "required": False, "schema": {"type": "string"},
    "description": "The current two-step login code, for accounts that have one"}])
@limiter.limit(_token_limit)
@basic_auth
def create_token(body):
    """Create a token (HTTP Basic: email and password; lockout as for the login page).

    The token is shown only in this response; only its SHA-256 is stored. It expires after
    30 days by default, and sooner when its owner's password changes or is reset, their
    two-step login is reset or they are deactivated. An account with two-step login sends
    its current code in ``X-OTP-Code``. An optional JSON body names the token.
    """
    credentials = request.authorization
    if credentials is None or credentials.type != "basic":
        return unauthorized("Send your email and password with HTTP Basic.", BASIC_CHALLENGE)
    try:
        _user, token, row = api_tokens.issue_token(credentials.username or "",
                                                   credentials.password or "",
                                                   request.headers.get("X-OTP-Code"),
                                                   (body or {}).get("name"))
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


@blp.route("", methods=["GET"])
@blp.response(200, TokenListOut)
@blp.alt_response(401, schema=schemas.ErrorOut)
def list_tokens():
    """Your own tokens, newest first: name, created, last used, expiry and state."""
    now = utcnow()
    return {"items": [{"id": row.id, "name": row.name, "created_at": row.created_at,
                       "expires_at": row.expires_at, "last_used_at": row.last_used_at,
                       "state": row.state(now), "current": row.id == g.api_token.id}
                      for row in api_tokens.own_tokens(me())]}


@blp.route("/<dbid:token_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(401, schema=schemas.ErrorOut)
@blp.alt_response(404, schema=schemas.ErrorOut, description="Not one of your tokens")
def revoke_token(token_id):
    """Revoke one of your own tokens; it stops working at once (another user's id: 404)."""
    api_tokens.revoke_own_token(me(), token_id)
    return None
