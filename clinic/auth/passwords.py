"""Password hashing with Argon2id (argon2-cffi defaults: m=64 MiB, t=3, p=4)."""

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash():
    """Verified against when the email is unknown, so both paths cost the same time."""
    return _hasher.hash("liftclinic-timing-equaliser")


def hash_password(password):
    return _hasher.hash(password)


def verify_password(password_hash, password):
    """True when ``password`` matches; never raises for a wrong or malformed hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_verification_time(password):
    """Spend one verification's time, for unknown accounts (no timing-based enumeration)."""
    verify_password(_dummy_hash(), password)


def needs_rehash(password_hash):
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password):
    """A message saying what is wrong with a new password, or None (NIST: length, no rules)."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters; a few words make a strong password."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if not password.strip():
        return "The password cannot be only spaces."
    return None
