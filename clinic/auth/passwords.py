"""Password hashing with Argon2id.

Production hashes with argon2-cffi's defaults (RFC 9106's low-memory profile: m=64 MiB, t=3,
p=4). ``PASSWORD_HASH_PROFILE = "fast"`` picks Argon2's cheapest parameters instead, so a test
suite that logs in thousands of times does not spend minutes hashing; ``clinic.config`` refuses
it outside development and testing, and ``flask check-deploy`` flags it.
"""

import functools

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

from clinic import limits

MIN_LENGTH = 12
MAX_LENGTH = limits.TEXT_MAX["password"]

STANDARD = "standard"
PROFILES = {
    STANDARD: profiles.RFC_9106_LOW_MEMORY,  # = PasswordHasher()'s defaults
    "fast": profiles.CHEAPEST,  # tests and development only: no protection at all
}
_hashers = {name: PasswordHasher.from_parameters(params) for name, params in PROFILES.items()}


def _hasher():
    """The hasher of the app's ``PASSWORD_HASH_PROFILE``; the standard one outside an app."""
    return _hashers[_profile()]


def _profile():
    if not has_app_context():
        return STANDARD
    return current_app.config.get("PASSWORD_HASH_PROFILE", STANDARD)


@functools.cache
def _dummy_hash(profile):
    """Verified against when the email is unknown, so both paths cost the same time (the same
    profile as real accounts' hashes)."""
    return _hashers[profile].hash("liftclinic-timing-equaliser")


def hash_password(password):
    return _hasher().hash(password)


def verify_password(password_hash, password):
    """True when ``password`` matches; never raises for a wrong or malformed hash."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_verification_time(password):
    """Spend one verification's time, for unknown accounts (no timing-based enumeration)."""
    verify_password(_dummy_hash(_profile()), password)


def needs_rehash(password_hash):
    return _hasher().check_needs_rehash(password_hash)


def password_problem(password):
    """A message saying what is wrong with a new password, or None (NIST: length, no rules)."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters; a few words make a strong password."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if not password.strip():
        return "The password cannot be only spaces."
    return None
