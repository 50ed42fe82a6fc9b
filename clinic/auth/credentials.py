"""Ending a user's credentials: the one place that knows every kind a user can hold.

A login session (a server-side row behind the session cookie) and an API token are the two
kinds. Both modules that end them (``services`` for passwords and deactivation, ``mfa`` for
an admin's reset) call in here, inside their own transaction.
"""

import hashlib

import sqlalchemy as sa

from clinic.auth.models import ApiToken, LoginSession
from clinic.database import utcnow
from clinic.extensions import db


def key_hash(key):
    """What a login session stores of its key: the SHA-256 (the cookie holds the key)."""
    return hashlib.sha256(key.encode()).hexdigest()


def end_sessions(user, reason, keep_key=None):
    """End the user's login sessions on the server (all but ``keep_key``'s, if given)."""
    keep = key_hash(keep_key) if keep_key else None
    for login in db.session.scalars(
        sa.select(LoginSession).where(LoginSession.user_id == user.id,
                                      LoginSession.ended_at.is_(None))
    ):
        if login.key_hash != keep:
            login.ended_at = utcnow()
            login.end_reason = reason


def end_credentials(user, reason, keep_key=None):
    """End every credential of ``user``: login sessions (but ``keep_key``'s) and API tokens.

    For the events after which nothing issued before may still work: a password change or
    reset, a two-step-login reset, a deactivation. Revoked tokens stay revoked: a later
    reactivation revives none. Runs inside the caller's transaction; returns how many tokens
    it revoked (for the caller's audit row).
    """
    end_sessions(user, reason, keep_key=keep_key)
    now = utcnow()
    live = db.session.scalars(sa.select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > now)).all()
    for token in live:
        token.revoked_at, token.revoked_reason = now, reason
    return len(live)
