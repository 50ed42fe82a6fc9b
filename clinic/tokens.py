"""Patient-link tokens: random, never stored, found by their SHA-256.

A token is derived as HMAC-SHA256(SECRET_KEY, purpose + a random per-link salt). The database
holds only the salt and the token's SHA-256, so a copy of the database alone opens no link,
while the app can still show a clinician the link again (for example a scheduled link that the
patient never received by mail).

This module is the one place that mints a link's token and builds its URL: a questionnaire
link is ``BASE_URL/q/<token>``, a program link ``BASE_URL/p/<token>``.
"""

import base64
import hashlib
import hmac
import secrets
from typing import NamedTuple

from flask import current_app

QUESTIONNAIRE = "questionnaire"
PROGRAM = "program"
LINK_PATHS = {QUESTIONNAIRE: "/q/", PROGRAM: "/p/"}


class MintedLink(NamedTuple):
    """A new link: ``salt`` and ``token_hash`` are stored, ``token`` is handed out."""

    salt: str
    token: str
    token_hash: str


def new_salt():
    """128 random bits, stored with the link."""
    return secrets.token_hex(16)


def derive_token(secret_key, purpose, salt):
    """The 256-bit URL-safe token of a link (43 characters, like token_urlsafe(32))."""
    digest = hmac.new(secret_key.encode(), f"{purpose}:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token):
    """What is stored and looked up: the token's SHA-256 in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(text):
    """Cheap shape check before any lookup: 43 URL-safe base64 characters."""
    return (
        isinstance(text, str)
        and len(text) == 43
        and all(c.isalnum() or c in "-_" for c in text)
    )


def mint_link(purpose):
    """A new link of ``purpose`` (``QUESTIONNAIRE`` or ``PROGRAM``) under this app's key."""
    salt = new_salt()
    token = link_token(purpose, salt)
    return MintedLink(salt, token, token_hash(token))


def link_token(purpose, salt):
    """The token of the stored link with ``salt``, derived again under this app's key."""
    return derive_token(current_app.config["SECRET_KEY"], purpose, salt)


def link_url(purpose, token):
    """The patient's address: built from BASE_URL, never from the request's Host header."""
    return f"{current_app.config['BASE_URL']}{LINK_PATHS[purpose]}{token}"
