"""Patient-link tokens: random, never stored, found by their SHA-256.

A token is derived as HMAC-SHA256(SECRET_KEY, purpose + a random per-link salt). The database
holds only the salt and the token's SHA-256, so a copy of the database alone opens no link,
while the app can still show a clinician the link again (for example a scheduled link that the
patient never received by mail).
"""

import base64
import hashlib
import hmac
import secrets


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
