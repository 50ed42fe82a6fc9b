"""Use cases of clinician accounts: log in and out, sessions, and an admin's user management.

Each public function that writes is one transaction (``write_transaction``) that also writes its
audit events. They raise ``ServiceError`` with the form field a message belongs to.
"""

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from clinic.audit.services import record
from clinic.auth import mfa
from clinic.auth.credentials import end_credentials, end_sessions, key_hash
from clinic.auth.models import Clinic, LoginSession, PendingLogin, Role, User
from clinic.auth.passwords import (
    burn_verification_time,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from clinic.database import utcnow, write_transaction
from clinic.errors import NotAllowed, ServiceError
from clinic.extensions import db
from clinic.timefmt import format_in_zone
from clinic.validators import is_valid_email

LOGIN_FAILED = "That email and password do not match an active account."
LOCKED = "locked"  # log_in's answer (None, LOCKED, user) to the right password of a locked account


class LoginFailed(ServiceError):
    """One message for every failure: unknown email, wrong password, locked or inactive."""

    def __init__(self):
        super().__init__(LOGIN_FAILED)


class AccountLocked(LoginFailed):
    """The right password for a locked account: the person is told it is locked, and until
    when (a wrong password or an unknown address still gets ``LoginFailed``'s one message)."""

    def __init__(self, user):
        ServiceError.__init__(
            self, "This account is locked after too many failed attempts, until "
                  f"{format_in_zone(user.locked_until, user.clinic.zone)}. Try again then, or "
                  "ask your clinic's admin to unlock it.")


def normalise_email(email):
    """An address as stored and looked up: trimmed and lower case (one account per address)."""
    return (email or "").strip().lower()




# Logging in and sessions ---------------------------------------------------------------------


def _count_failure(user, now):
    """One more wrong password or code; the last one allowed locks the account."""
    user.failed_logins += 1
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        user.locked_until = now + current_app.config["LOGIN_LOCKOUT"]
        user.failed_logins = 0
        record("lockout", actor=user, obj=user, outcome="denied",
               until=user.locked_until.isoformat())


def _open_session(user, now, **detail):
    """The login succeeded: a new server-side session; returns the key for the cookie."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    key = secrets.token_urlsafe(32)
    db.session.add(LoginSession(user=user, key_hash=key_hash(key), created_at=now,
                                last_seen_at=now))
    record("login", actor=user, obj=user, **detail)
    return key


@write_transaction
def log_in(email, password):
    """Check the credentials and open a login session; returns (user, session key, pending key).

    When the user has (or must set up) two-step login, the session key is None and the second
    step decides: a server-side ``PendingLogin`` is made for it (its step is
    ``mfa.second_step(user)``), and its random key is returned for the browser's cookie.
    The failure count is not reset by a right password alone, or password + a few wrong
    codes, repeated, would never lock.
    Failures count towards a lockout; the commit after a failure still happens, so the count
    and the audit event are kept, then ``LoginFailed`` is raised by the caller's wrapper.
    The right password of a locked account answers (None, ``LOCKED``, user): the wrapper says
    the account is locked (the audit row is the same "denied, locked").
    """
    now = utcnow()
    email = normalise_email(email)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        burn_verification_time(password)
        record("login", outcome="failure", reason="unknown_email",
               email_sha256=hashlib.sha256(email.encode()).hexdigest())
        return None, None, None
    if not user.active or user.is_locked(now):
        reason = "inactive" if not user.active else "locked"
        record("login", actor=user, obj=user, outcome="denied", reason=reason)
        right = verify_password(user.password_hash, password)  # the same time either way
        if user.active and right:
            return None, LOCKED, user  # they know the password: say it is locked
        return None, None, None
    if not verify_password(user.password_hash, password):
        record("login", actor=user, obj=user, outcome="failure", reason="wrong_password")
        _count_failure(user, now)
        return None, None, None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    step = mfa.second_step(user)
    if step is not None:
        record("mfa_challenge", actor=user, obj=user, step=step)
        pending_key = secrets.token_urlsafe(32)
        db.session.add(PendingLogin(user=user, key_hash=key_hash(pending_key), step=step,
                                    created_at=now))
        return user, None, pending_key
    return user, _open_session(user, now), None


def authenticate(email, password):
    """Log in or raise ``LoginFailed`` (after the failure has been counted and audited).

    Returns (user, key, pending key); key is None when a second step (code or enrolment) must
    follow, and the pending key (for the browser's cookie, or the API's own second step)
    names the server-side pending login that step needs.
    """
    user, key, pending_key = log_in(email, password)
    if user is None and key is LOCKED:
        raise AccountLocked(pending_key)
    if user is None:
        raise LoginFailed()
    return user, key, pending_key


def pending_login(pending_key, step, now):
    """The live pending login of ``pending_key`` for ``step``, or None.

    Live: made by a password step for this step, not used yet, younger than
    ``MFA_PENDING_TIMEOUT``. Nothing but the random key of a pending login made by the
    password step is accepted: a user id is not. Whether its user may still log in is
    ``pending_user``'s question (and the second step's).
    """
    if not isinstance(pending_key, str) or not pending_key:
        return None
    pending = db.session.scalar(sa.select(PendingLogin).where(
        PendingLogin.key_hash == key_hash(pending_key)))
    if pending is None or pending.step != step or pending.used_at is not None:
        return None
    age = now - pending.created_at
    if not timedelta(0) <= age <= current_app.config["MFA_PENDING_TIMEOUT"]:
        return None
    return pending


def _may_log_in(user, now):
    return user.active and not user.is_locked(now)


def pending_user(pending_key, step, now):
    """The user of a live pending login (see ``pending_login``) who may still log in; or None."""
    pending = pending_login(pending_key, step, now)
    if pending is None or not _may_log_in(pending.user, now):
        return None
    return pending.user


@write_transaction
def log_in_second_step(pending_key, code):
    """The second step of a login: a TOTP or recovery code. Returns (user, key), or
    (None, reason) on a refusal ("replayed": the page asks for the next code).

    ``pending_key`` is the key of the pending login the password step made; it is used up by
    a right code. A wrong or replayed code counts towards the same lockout as a wrong password.
    """
    now = utcnow()
    pending = pending_login(pending_key, "verify", now)
    if pending is None:
        record("mfa_verify", clinic_id=None, outcome="denied", reason="no_pending_login")
        return None, None
    user = pending.user
    if not _may_log_in(user, now):
        record("mfa_verify", clinic_id=None, outcome="denied", reason="not_allowed",
               user_id=user.id)
        return None, None
    method, reason = mfa.check_code(user, code, now)
    if method is None:
        record("mfa_verify", actor=user, obj=user, outcome="failure", reason=reason)
        _count_failure(user, now)
        return None, reason
    pending.used_at = now
    detail = {"remaining": mfa.recovery_codes_left(user)} if method == "recovery_code" else {}
    record("mfa_verify", actor=user, obj=user, method=method, **detail)
    return user, _open_session(user, now, mfa=method)


@write_transaction
def _enrol_and_log_in(pending_key, code):
    now = utcnow()
    user = pending_user(pending_key, "enrol", now)
    if user is None:
        raise ServiceError("Please log in again.")
    pending = pending_login(pending_key, "enrol", now)
    codes = mfa.enable(user, code, now)
    if codes is None:
        return user, None, None
    pending.used_at = now
    return user, _open_session(user, now, mfa="enrolled"), codes


def enrol_and_log_in(pending_key, code):
    """Finish a login that had to set up two-step login first: returns (user, key, codes).

    ``pending_key`` is the key of the pending login the password step made (used up here).
    A wrong code is audited (the transaction commits) and then raised as a form error.
    """
    user, key, codes = _enrol_and_log_in(pending_key, code)
    if key is None:
        raise ServiceError(mfa.WRONG_SETUP_CODE, field="code")
    return user, key, codes


def user_for_session(user_id, key):
    """The user of a live login session, or None; ends sessions that have timed out.

    Called by Flask-Login's user loader on every request. ``last_seen_at`` is written at most
    once a minute, so reading pages does not mean writing on every request.
    """
    if not key or not user_id:
        return None
    login = db.session.scalar(
        sa.select(LoginSession).where(LoginSession.key_hash == key_hash(key),
                                      LoginSession.ended_at.is_(None))
    )
    if login is None or str(login.user_id) != str(user_id):
        return None
    now = utcnow()
    config = current_app.config
    if now - login.created_at > config["SESSION_ABSOLUTE_LIFETIME"]:
        _end_session(login.id, "absolute_timeout")
        return None
    if now - login.last_seen_at > config["SESSION_IDLE_TIMEOUT"]:
        _end_session(login.id, "idle_timeout")
        return None
    if not login.user.active:
        return None
    if (now - login.last_seen_at).total_seconds() > 60:
        _touch_session(login.id)
    return db.session.get(User, int(user_id))


@write_transaction
def _touch_session(login_id):
    db.session.get(LoginSession, login_id).last_seen_at = utcnow()


@write_transaction
def _end_session(login_id, reason):
    login = db.session.get(LoginSession, login_id)
    login.ended_at = utcnow()
    login.end_reason = reason
    record("session_end", actor=login.user, obj=login.user, reason=reason)


@write_transaction
def log_out(user, key):
    """End this login session on the server, so a copy of the cookie stops working."""
    login = db.session.scalar(
        sa.select(LoginSession).where(LoginSession.key_hash == key_hash(key))
    )
    if login is not None and login.ended_at is None:
        login.ended_at = utcnow()
        login.end_reason = "logout"
    record("logout", actor=user, obj=user)


WRONG_CURRENT = "That is not your current password."


def _count_own_password_failure(user):
    """A logged-in user typed a wrong current password (inside the caller's transaction).

    Guessing here is guessing the password: it counts towards the same lockout, and a
    lockout ends every session (whoever holds this cookie may not be its owner).
    """
    user.failed_logins += 1
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        user.locked_until = utcnow() + current_app.config["LOGIN_LOCKOUT"]
        user.failed_logins = 0
        end_sessions(user, "lockout")
        record("lockout", actor=user, obj=user, outcome="denied",
               until=user.locked_until.isoformat())


@write_transaction
def _confirm_own_password(user, password, action):
    """Whether ``password`` is the user's own; a wrong one is audited as a failed ``action``
    and counted as on the password-change page."""
    if verify_password(user.password_hash, password or ""):
        return True
    record(action, actor=user, obj=user, outcome="failure", reason="wrong_password")
    _count_own_password_failure(user)
    return False


def enable_own_mfa(user, password, code):
    """Turn two-step login on from the account page: the current password again, then the
    first code. Returns the recovery codes; raises ``ServiceError`` on the field at fault.

    Asking for the password means a copied session cookie cannot enrol the thief's
    authenticator.
    """
    if not _confirm_own_password(user, password, "mfa_enrol"):
        raise ServiceError(WRONG_CURRENT, field="password")
    return mfa.confirm_enrolment(user, code)


@write_transaction
def change_own_password(user, current_password, new_password, keep_key):
    """Change a password after checking the current one; every other session ends."""
    if not verify_password(user.password_hash, current_password):
        record("password_change", actor=user, obj=user, outcome="failure")
        _count_own_password_failure(user)
        return WRONG_CURRENT
    problem = password_problem(new_password)
    if problem:
        return problem
    user.password_hash = hash_password(new_password)
    revoked = end_credentials(user, "password_change", keep_key=keep_key)
    record("password_change", actor=user, obj=user, api_tokens_revoked=revoked)
    return None


def change_password(user, current_password, new_password, keep_key):
    """Raise ``ServiceError`` on the right field when the change is refused."""
    problem = change_own_password(user, current_password, new_password, keep_key)
    if problem:
        field = "current_password" if problem.startswith("That is not") else "new_password"
        raise ServiceError(problem, field=field)


# A clinic admin's user management -------------------------------------------------------------


def users_of_clinic(clinic_id):
    """A clinic's users for its admin: active ones first, then by name."""
    return db.session.scalars(
        sa.select(User).where(User.clinic_id == clinic_id).order_by(User.active.desc(), User.name)
    ).all()


def clinicians_of_clinic(clinic_id):
    """Active therapists and trainers: the people who can be on a care team."""
    return db.session.scalars(
        sa.select(User)
        .where(User.clinic_id == clinic_id, User.active.is_(True),
               User.role.in_([Role.THERAPIST, Role.TRAINER]))
        .order_by(User.name)
    ).all()


def _require_admin(actor):
    if not actor.is_admin:
        raise NotAllowed("Only a clinic admin can manage users.")


def _check_email_free(email, except_user_id=None):
    query = sa.select(User.id).where(User.email == email)
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    if db.session.scalar(query) is not None:
        raise ServiceError("Another account already uses this email address.", field="email")


def _lock_clinic(clinic_id):
    """Serialise admin changes within a clinic (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE)."""
    db.session.execute(sa.select(Clinic.id).where(Clinic.id == clinic_id).with_for_update())


def _other_active_admins(user):
    return db.session.scalar(
        sa.select(sa.func.count(User.id)).where(
            User.clinic_id == user.clinic_id, User.role == Role.ADMIN, User.active.is_(True),
            User.id != user.id,
        )
    )


@write_transaction
def create_user(actor, *, email, name, role, password):
    """An admin adds a clinician to their own clinic."""
    _require_admin(actor)
    email = normalise_email(email)
    _check_email_free(email)
    problem = password_problem(password)
    if problem:
        raise ServiceError(problem, field="password")
    user = User(clinic_id=actor.clinic_id, email=email, name=name.strip(), role=Role(role),
                password_hash=hash_password(password))
    db.session.add(user)
    record("user_create", actor=actor, obj=user, role=user.role)
    return user


@write_transaction
def update_user(actor, user, *, email, name, role):
    """Change a user's name, email or role; the clinic never loses its last active admin."""
    _require_admin(actor)
    _lock_clinic(actor.clinic_id)
    email = normalise_email(email)
    _check_email_free(email, except_user_id=user.id)
    role = Role(role)
    if user.role == Role.ADMIN and role != Role.ADMIN and user.active and not _other_active_admins(
        user
    ):
        raise ServiceError("The clinic needs at least one active admin: make someone else an "
                           "admin first.", field="role")
    changed = sorted(
        field for field, old, new in (("email", user.email, email), ("name", user.name, name),
                                      ("role", user.role, role))
        if old != new
    )
    old_role = user.role
    user.email, user.name, user.role = email, name.strip(), role
    if "role" in changed:
        end_sessions(user, "role_change")  # new rights take effect at the next login
        record("role_change", actor=actor, obj=user, old=str(old_role), new=str(role))
    record("user_update", actor=actor, obj=user, fields=changed)
    return user


@write_transaction
def set_user_active(actor, user, active):
    """Deactivate (ending every session at once) or reactivate an account."""
    _require_admin(actor)
    _lock_clinic(actor.clinic_id)
    if not active and user.is_admin and user.active and not _other_active_admins(user):
        raise ServiceError("You cannot deactivate the clinic's last active admin.")
    user.active = active
    detail = {}
    if not active:
        detail["api_tokens_revoked"] = end_credentials(user, "deactivated")
    else:
        user.failed_logins = 0
        user.locked_until = None
    record("user_activate" if active else "user_deactivate", actor=actor, obj=user, **detail)
    return user


@write_transaction
def unlock_user(actor, user):
    """An admin lifts a lockout at once (the user called: it was them); audited with the time
    the lock would have ended."""
    _require_admin(actor)
    now = utcnow()
    if not user.is_locked(now):
        raise ServiceError(f"{user.name}'s account is not locked.")
    until = user.locked_until
    user.locked_until = None
    user.failed_logins = 0
    record("user_unlock", actor=actor, obj=user, was_locked_until=until.isoformat())
    return user


@write_transaction
def reset_password(actor, user, new_password):
    """An admin sets a new password for a user: their sessions end and any lockout lifts."""
    _require_admin(actor)
    problem = password_problem(new_password)
    if problem:
        raise ServiceError(problem, field="password")
    user.password_hash = hash_password(new_password)
    user.failed_logins = 0
    user.locked_until = None
    revoked = end_credentials(user, "password_reset")
    record("password_reset", actor=actor, obj=user, api_tokens_revoked=revoked)
    return user


CLINIC_SETTINGS = ("name", "timezone", "link_expiry_days", "reminder_after_days", "crisis_text",
                   "mfa_required_for_clinicians")


@write_transaction
def update_clinic_settings(actor, data):
    """An admin changes their clinic's name, time zone, link timings or crisis text."""
    _require_admin(actor)
    clinic = db.session.get(Clinic, actor.clinic_id)
    taken = db.session.scalar(sa.select(Clinic.id).where(Clinic.name == data["name"],
                                                         Clinic.id != clinic.id))
    if taken:
        raise ServiceError("Another clinic already has this name.", field="name")
    changed = sorted(f for f in CLINIC_SETTINGS if getattr(clinic, f) != data[f])
    for field in CLINIC_SETTINGS:
        setattr(clinic, field, data[field])
    record("clinic_update", actor=actor, obj=clinic, fields=changed)
    return clinic


# Set-up from the command line ------------------------------------------------------------------


@write_transaction
def create_user_from_cli(*, clinic_name, email, name, role, password):
    """Bootstrap a clinic's first users: the clinic is created when it does not exist yet."""
    email = normalise_email(email)
    if not is_valid_email(email):
        raise ServiceError("That is not a valid email address.", field="email")
    _check_email_free(email)
    problem = password_problem(password)
    if problem:
        raise ServiceError(problem, field="password")
    clinic = db.session.scalar(sa.select(Clinic).where(Clinic.name == clinic_name))
    if clinic is None:
        clinic = Clinic(name=clinic_name)
        db.session.add(clinic)
        db.session.flush()
        record("clinic_create", actor_kind="system", clinic_id=clinic.id, obj=clinic)
    user = User(clinic=clinic, email=email, name=name, role=Role(role),
                password_hash=hash_password(password))
    db.session.add(user)
    record("user_create", actor_kind="system", clinic_id=clinic.id, obj=user, role=str(role))
    return user
