"""Clinics, users and their server-side login sessions."""

import enum
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.database import UTCDateTime, utcnow
from clinic.extensions import db

# The default of shared/INSTRUMENTS.md ("What the patient sees after a risk answer"); a clinic
# replaces it with its own.
DEFAULT_CRISIS_TEXT = (
    "Thank you for telling us. Your clinician will see your answers, but this form is not "
    "watched in real time. If you might act on thoughts of harming yourself, or you are in "
    "danger now, call your local emergency number (999 in the UK, 911 in the US, 112 in the EU) "
    "or go to the nearest emergency department. In the UK you can also call NHS 111 and choose "
    "the mental health option, or Samaritans on 116 123, any time."
)


class Role(enum.StrEnum):
    THERAPIST = "therapist"
    TRAINER = "trainer"
    ADMIN = "admin"

    @property
    def label(self):
        return {"therapist": "Therapist", "trainer": "Clinical trainer", "admin": "Clinic admin"}[
            self.value
        ]


class Clinic(db.Model):
    """A clinic: every row of clinical data belongs to exactly one."""

    __tablename__ = "clinic"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/London")
    crisis_text: Mapped[str] = mapped_column(sa.Text, default=DEFAULT_CRISIS_TEXT)
    # Questionnaire links: how long they stay open, and when an unanswered one gets a reminder.
    link_expiry_days: Mapped[int] = mapped_column(default=4, server_default="4")
    reminder_after_days: Mapped[int] = mapped_column(default=2, server_default="2")
    # Two-step login: always required of admins; this requires it of therapists and trainers.
    mfa_required_for_clinicians: Mapped[bool] = mapped_column(default=False,
                                                              server_default=sa.false())
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    users = relationship("User", back_populates="clinic", order_by="User.name")

    @property
    def zone(self):
        """The clinic's time zone: every date and time a person sees is in it."""
        return ZoneInfo(self.timezone)

    def now(self):
        """This moment on the clinic's clock."""
        return utcnow().astimezone(self.zone)

    def today(self):
        """Today where the clinic is: a session's day, a link's due day, a report's end."""
        return self.now().date()


class User(UserMixin, db.Model):
    """A clinician account: therapist, clinical trainer or clinic admin."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(16))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[object | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[object | None] = mapped_column(UTCDateTime)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    clinic = relationship("Clinic", back_populates="users")

    __table_args__ = (
        sa.CheckConstraint("role IN ('therapist', 'trainer', 'admin')", name="role"),
    )

    @property
    def is_active(self):
        """Flask-Login refuses inactive users."""
        return self.active

    @property
    def is_admin(self):
        return self.role == Role.ADMIN

    @property
    def role_label(self):
        return Role(self.role).label

    def is_locked(self, now):
        return self.locked_until is not None and self.locked_until > now


class LoginSession(db.Model):
    """One login. The browser's signed cookie holds only a random key; its hash is stored here.

    Ending the row (logout, deactivation, password change, timeouts) makes a copied cookie
    useless, which Flask's signed-cookie session alone cannot do.
    """

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[object | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(sa.String(32))

    user = relationship("User")


class PendingLogin(db.Model):
    """A login half done: the password was right, the second step (a code, or setting one up)
    is still to come.

    Made by the password step; the browser's signed cookie holds only its random key (the
    hash is stored here), so a cookie forged with the app's SECRET_KEY that names a user
    reaches nothing. Used once (``used_at``), and only within ``MFA_PENDING_TIMEOUT`` of
    ``created_at``.
    """

    __tablename__ = "pending_login"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    step: Mapped[str] = mapped_column(sa.String(16))  # "verify" or "enrol"
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[object | None] = mapped_column(UTCDateTime)

    user = relationship("User")


class ApiToken(db.Model):
    """One bearer token of one clinician."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[object] = mapped_column(UTCDateTime)
    revoked_at: Mapped[object | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[object | None] = mapped_column(UTCDateTime)
    # What its owner called it ("records system export"), shown on their token list.
    name: Mapped[str] = mapped_column(sa.String(80), default="API token",
                                      server_default="API token")
    # Why it stopped: "owner", "admin", or the event that ended every credential of its user
    # ("password_change", "password_reset", "mfa_reset", "deactivated").
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(32))

    user = relationship("User")

    def state(self, now):
        """'active', 'expired' or 'revoked': what the admin page shows."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"
