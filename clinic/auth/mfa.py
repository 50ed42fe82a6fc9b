"""Two-step login for clinicians: TOTP (RFC 6238, pyotp) and one-time recovery codes.

- The TOTP secret is encrypted at rest with Fernet, keyed by ``MFA_ENCRYPTION_KEY``.
- A code is accepted once: the credential keeps the last accepted time step, and any step at or
  before it is refused (pyotp itself has no replay protection). One step either side of now
  is accepted (``valid_window=1``), for clocks a little apart.
- Recovery codes are 80-bit random strings, stored as SHA-256, each usable once.
- Admins must use it; a clinic can require it of therapists and trainers too.
"""

import hashlib
import hmac
import json
import secrets

import pyotp
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.audit.services import record
from clinic.auth.credentials import end_credentials
from clinic.database import UTCDateTime, utcnow, write_transaction
from clinic.errors import NotAllowed, ServiceError
from clinic.extensions import db

ISSUER = "LiftClinic"
VALID_WINDOW = 1  # time steps either side of now; never more (ECOSYSTEM.md, MFA pitfalls)
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud, typed by hand
RECOVERY_CODE_LENGTH = 16  # 16 characters of a 31-letter alphabet: about 79 bits
WRONG_CODE = "That code is not right. Enter the current code from your app, or a recovery code."
REUSED_CODE = ("That code has just been used. Wait for the next code to appear in your app "
               "(a new one every 30 seconds) and enter that one.")
WRONG_SETUP_CODE = ("That code is not right. Check that the time on your phone is right and enter "
                    "the code the app shows now.")


class MfaCredential(db.Model):
    """A user's TOTP authenticator. ``enabled_at`` is empty while enrolment is unconfirmed."""

    __tablename__ = "mfa_credential"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), unique=True)
    secret_encrypted: Mapped[str] = mapped_column(sa.Text)
    last_used_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    enabled_at: Mapped[object | None] = mapped_column(UTCDateTime)

    user = relationship("User")


class MfaRecoveryCode(db.Model):
    """One recovery code, as a SHA-256 of its normalised text; ``used_at`` once spent."""

    __tablename__ = "mfa_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[object | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.UniqueConstraint("user_id", "code_hash"),)


# Secrets and codes ----------------------------------------------------------------------------


def _fernet():
    keys = [k.strip() for k in current_app.config["MFA_ENCRYPTION_KEY"].split(",") if k.strip()]
    return MultiFernet([Fernet(key) for key in keys])  # the first key encrypts; all decrypt


def encrypt_secret(secret):
    """An authenticator secret encrypted for the database (the first key of MFA_ENCRYPTION_KEY)."""
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(token):
    """The stored secret in clear; a changed key is a deployment error, not a failed login."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise RuntimeError("An MFA secret cannot be decrypted: MFA_ENCRYPTION_KEY (or the "
                           "SECRET_KEY it is derived from) has changed.") from error


def seal(values):
    """Encrypt a short list (new recovery codes) to keep it in the signed session until shown."""
    return _fernet().encrypt(json.dumps(values).encode()).decode()


def unseal(token):
    """What ``seal`` encrypted, or None when it was tampered with or sealed under another key."""
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError):
        return None


def normalise_recovery_code(text):
    """A recovery code as stored: lower case, dashes and spaces dropped (typed either way)."""
    return "".join(ch for ch in (text or "").lower() if ch.isalnum())


def _recovery_hash(text):
    return hashlib.sha256(normalise_recovery_code(text).encode()).hexdigest()


def _new_recovery_code():
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4))


def provisioning_uri(user, secret):
    """The otpauth:// address an authenticator app reads from the enrolment QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _totp_step(credential, code, now):
    """The time step ``code`` belongs to (within the window), or None; replay is the caller's."""
    totp = pyotp.TOTP(decrypt_secret(credential.secret_encrypted))
    current = totp.timecode(now)
    for step in (current, current - VALID_WINDOW, current + VALID_WINDOW):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


# Who needs what -------------------------------------------------------------------------------


def credential_of(user_id, *, lock=False):
    """A user's authenticator, if any; ``lock`` makes a second request with the same code wait."""
    query = sa.select(MfaCredential).where(MfaCredential.user_id == user_id)
    if lock:
        query = query.with_for_update()  # two requests with one code: the second waits, then fails
    return db.session.scalar(query)


def is_enabled(user):
    """True once the user has confirmed an authenticator: their login then needs a code."""
    credential = credential_of(user.id)
    return credential is not None and credential.enabled_at is not None


def is_required(user):
    """Admins always; therapists and trainers when their clinic says so."""
    return user.is_admin or bool(user.clinic.mfa_required_for_clinicians)


def second_step(user):
    """What a correct password leads to: "verify" (a code), "enrol" (set up first) or None."""
    if is_enabled(user):
        return "verify"
    return "enrol" if is_required(user) else None


def recovery_codes_left(user):
    """How many unused recovery codes the user holds (their account page warns when few)."""
    return db.session.scalar(sa.select(sa.func.count(MfaRecoveryCode.id)).where(
        MfaRecoveryCode.user_id == user.id, MfaRecoveryCode.used_at.is_(None)))


# Enrolment ------------------------------------------------------------------------------------


@write_transaction
def start_enrolment(user):
    """The secret to show while enrolling: kept (encrypted) until confirmed, so a reload shows
    the same QR code. Returns the secret."""
    credential = credential_of(user.id, lock=True)
    if credential is not None and credential.enabled_at is not None:
        raise ServiceError("Two-step login is already set up.")
    if credential is None:
        credential = MfaCredential(user_id=user.id,
                                   secret_encrypted=encrypt_secret(pyotp.random_base32()))
        db.session.add(credential)
    return decrypt_secret(credential.secret_encrypted)


def enable(user, code, now):
    """Confirm enrolment with a first code (within the caller's transaction).

    Returns the new recovery codes in clear (the only time they exist outside a hash), or
    None when the code is wrong: the failure is audited and the transaction still commits.
    """
    credential = credential_of(user.id, lock=True)
    if credential is None or credential.enabled_at is not None:
        raise ServiceError("Start again: open the set-up page to get a new QR code.")
    code = (code or "").strip().replace(" ", "")
    step = _totp_step(credential, code, now) if code.isdigit() and len(code) == 6 else None
    if step is None:
        record("mfa_enrol", actor=user, obj=user, outcome="failure", reason="wrong_code")
        return None
    credential.enabled_at = now
    credential.last_used_step = step  # the confirming code cannot then log anyone in
    codes = _replace_recovery_codes(user, now)
    record("mfa_enrol", actor=user, obj=user)
    return codes


def _replace_recovery_codes(user, now):
    db.session.execute(sa.delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(MfaRecoveryCode(user_id=user.id, code_hash=_recovery_hash(code),
                                       created_at=now) for code in codes)
    return codes


def confirm_enrolment(user, code):
    """A logged-in clinician turns two-step login on; returns their recovery codes."""
    codes = write_transaction(enable)(user, code, utcnow())
    if codes is None:
        raise ServiceError(WRONG_SETUP_CODE, field="code")
    return codes


# Checking a code at login ---------------------------------------------------------------------


def check_code(user, code, now):
    """Spend ``code`` if it is good: a TOTP code of an unused step, or an unused recovery code.

    Returns ("totp" | "recovery_code", None) on success, or (None, reason) with reason
    "wrong_code" or "replayed". Runs in the caller's transaction, with the rows locked.
    """
    credential = credential_of(user.id, lock=True)
    if credential is None or credential.enabled_at is None:
        return None, "not_enrolled"
    text = (code or "").strip().replace(" ", "")
    if text.isdigit() and len(text) == 6:
        step = _totp_step(credential, text, now)
        if step is None:
            return None, "wrong_code"
        if credential.last_used_step is not None and step <= credential.last_used_step:
            return None, "replayed"
        credential.last_used_step = step
        return "totp", None
    if not normalise_recovery_code(text):
        return None, "wrong_code"
    recovery = db.session.scalar(
        sa.select(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id,
                                         MfaRecoveryCode.code_hash == _recovery_hash(text),
                                         MfaRecoveryCode.used_at.is_(None)).with_for_update())
    if recovery is None:
        return None, "wrong_code"
    recovery.used_at = now
    return "recovery_code", None


# An admin's reset -----------------------------------------------------------------------------


def reset(actor, user):
    """An admin removes a user's authenticator and recovery codes; the user's sessions end.

    The user sets two-step login up again at their next login (when it is required of them).
    Nobody resets their own: a stolen session must not be able to swap the second factor.
    A refusal is audited (its transaction commits), then raised.
    """
    problem = _reset(actor, user)
    if problem is not None:
        raise problem
    return user


@write_transaction
def _reset(actor, user):
    if not actor.is_admin or actor.clinic_id != user.clinic_id:
        record("mfa_reset", actor=actor, obj=user, outcome="denied", reason="not_admin")
        return NotAllowed("Only a clinic admin can reset two-step login.")
    if actor.id == user.id:
        record("mfa_reset", actor=actor, obj=user, outcome="denied", reason="own_account")
        return NotAllowed("You cannot reset your own two-step login: ask another admin.")
    credential = credential_of(user.id, lock=True)
    if credential is None:
        return ServiceError(f"{user.name} has not set up two-step login.")
    db.session.delete(credential)
    db.session.execute(sa.delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
    revoked = end_credentials(user, "mfa_reset")
    record("mfa_reset", actor=actor, obj=user, was_enabled=credential.enabled_at is not None,
           api_tokens_revoked=revoked)
    return None
