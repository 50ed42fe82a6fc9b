"""API tokens: bearer credentials for the JSON API, stored only as a SHA-256.

A token is ``secrets.token_urlsafe(32)``; the row keeps its hash, so a copy of the database
opens nothing. Tokens expire (``API_TOKEN_LIFETIME``), can be revoked by their owner or a clinic
admin, and are revoked with every other credential of their user by a password change, an
admin's password or two-step-login reset and a deactivation (``auth.services.end_credentials``);
a reactivation revives none.
"""

import hashlib
import secrets

import sqlalchemy as sa
from flask import current_app

from clinic import limits, tokens
from clinic.audit.services import record
from clinic.auth import services as auth_services
from clinic.auth.models import ApiToken, LoginSession
from clinic.database import utcnow, write_transaction
from clinic.errors import NotAllowed, NotFound, ServiceError
from clinic.extensions import db

NAME_MAX = limits.TEXT_MAX["token_name"]
DEFAULT_NAME = "API token"


# Services ------------------------------------------------------------------------------------


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(email, password, code=None, name=None):
    """Check the credentials exactly as the login page does; returns (user, token, row).

    ``name`` says what the token is for (shown on its owner's token list).

    Password check, lockout and failed-attempt counting are the login service's own; an
    account with two-step login also needs its current code (``code``), checked by the same
    second step as the page. The login session the login service opens is ended at once:
    the API holds none.

    :raises LoginFailed: any failure, one message for all (after it was counted and audited).
    """
    user, key, pending_key = auth_services.authenticate(email, password)
    if key is None:  # two-step login: the code decides, and counts towards the lockout
        if not code:
            raise SecondStepNeeded()
        user, key = auth_services.log_in_second_step(pending_key, code)
        if user is None:
            raise auth_services.LoginFailed()
    return _create_token(user, key, (name or "").strip() or DEFAULT_NAME)


class SecondStepNeeded(auth_services.LoginFailed):
    """The password was right but the account has two-step login: send the code as well."""

    def __init__(self):
        ServiceError.__init__(self, "This account uses two-step login (set it up at the login "
                                    "page first if asked): send its current code in the "
                                    "X-OTP-Code header.")


@write_transaction
def _create_token(user, login_key, name):
    now = utcnow()
    login = db.session.scalar(sa.select(LoginSession).where(
        LoginSession.key_hash == _hash(login_key)))
    login.ended_at, login.end_reason = now, "api_token"
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_hash(token), created_at=now, name=name[:NAME_MAX],
                   expires_at=now + current_app.config["API_TOKEN_LIFETIME"])
    db.session.add(row)
    record("api_token_create", actor=user, obj=row)
    return user, token, row


def user_for_token(token):
    """(user, token row) for a live token of an active user, else (None, None).

    ``last_used_at`` is written at most once a minute, as for login sessions.
    """
    if not tokens.looks_like_token(token):
        return None, None
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _hash(token)))
    now = utcnow()
    if row is None or row.state(now) != "active" or not row.user.active:
        return None, None
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        _touch(row.id)
        row = db.session.get(ApiToken, row.id)
    return row.user, row


@write_transaction
def _touch(token_id):
    db.session.get(ApiToken, token_id).last_used_at = utcnow()


def own_tokens(user):
    """The user's own tokens, newest first (their account page and ``GET /api/v1/tokens``)."""
    return db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                              .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()


def _token_of(user, token_id):
    """One of ``user``'s tokens; another user's id is as missing (404)."""
    if not 1 <= token_id < 2**31:  # outside the column's range (PostgreSQL would overflow)
        raise NotFound("API token")
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.id == token_id,
                                                      ApiToken.user_id == user.id))
    if row is None:
        raise NotFound("API token")
    return row


@write_transaction
def revoke_own_token(user, token_id):
    """The owner ends one of their tokens (the one a request carries, or any on their list).

    :raises NotFound: for an id that is not one of ``user``'s tokens.
    """
    row = _token_of(user, token_id)
    if row.revoked_at is None:
        row.revoked_at, row.revoked_reason = utcnow(), "owner"
        record("api_token_revoke", actor=user, obj=row, by="owner")
    return row


def tokens_of(actor, user):
    """A user's tokens, newest first, for their clinic admin."""
    if not actor.is_admin or actor.clinic_id != user.clinic_id:
        raise NotAllowed("Only a clinic admin can see a user's API tokens.")
    return db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                              .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()


@write_transaction
def revoke_token_as_admin(actor, user, token_id):
    """A clinic admin ends one of a user's tokens; another user's token id is a 404."""
    if not actor.is_admin or actor.clinic_id != user.clinic_id:
        raise NotAllowed("Only a clinic admin can revoke a user's API tokens.")
    row = _token_of(user, token_id)
    if row.revoked_at is None:
        row.revoked_at, row.revoked_reason = utcnow(), "admin"
        record("api_token_revoke", actor=actor, obj=row, user_id=user.id, by="admin")
    return row

