"""Schedules, invitations (questionnaire links) and responses.

Instruments themselves are code (``clinic.measures.instruments``); rows name an instrument by
its code and version.
"""

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.database import UTCDateTime, make_immutable, utcnow
from clinic.extensions import db

SOURCES = ("link", "clinician")


class MeasureSchedule(db.Model):
    """One instrument a patient is asked to complete every ``every_weeks`` weeks on a weekday."""

    __tablename__ = "measure_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"), index=True)
    instrument_code: Mapped[str] = mapped_column(sa.String(16))
    every_weeks: Mapped[int]
    weekday: Mapped[int]  # Monday = 0, as datetime.date.weekday()
    starts_on: Mapped[object] = mapped_column(sa.Date)
    ends_on: Mapped[object | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    patient = relationship("Patient")

    __table_args__ = (
        sa.UniqueConstraint("patient_id", "instrument_code"),
        sa.CheckConstraint("every_weeks IN (1, 2, 4)", name="every_weeks"),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates"),
    )


class Invitation(db.Model):
    """A questionnaire link: one or more instruments, completed once, expiring, revocable.

    The token is never stored: ``token_hash`` (SHA-256) finds the row, and the link can be shown
    again to a clinician because the token is re-derived from ``token_salt`` and the app's
    SECRET_KEY (see ``clinic.measures.links``).
    """

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"), index=True)
    instruments: Mapped[list] = mapped_column(sa.JSON)
    kind: Mapped[str] = mapped_column(sa.String(16))  # scheduled / adhoc
    due_on: Mapped[object | None] = mapped_column(sa.Date)
    token_salt: Mapped[str] = mapped_column(sa.String(32))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[object] = mapped_column(UTCDateTime)
    completed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[object | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    reminder_sent_at: Mapped[object | None] = mapped_column(UTCDateTime)
    # The answers of the parts a patient finished, {code: [answers], "extras": {...}}, kept
    # until the whole set is sent: never scored, never alerting, never shown to a clinician.
    # Cleared when the link completes, is revoked, or the patient is discharged.
    draft_answers: Mapped[dict | None] = mapped_column(sa.JSON)

    patient = relationship("Patient")
    responses = relationship("Response", back_populates="invitation")

    __table_args__ = (
        # One scheduled invitation per patient and due date, however often send-due runs.
        sa.UniqueConstraint("patient_id", "due_on"),
        sa.CheckConstraint("kind IN ('scheduled', 'adhoc')", name="kind"),
    )

    def state(self, now):
        """'completed', 'revoked', 'expired' or 'open': what the link can still do."""
        if self.completed_at is not None:
            return "completed"
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "open"


class Response(db.Model):
    """One completed instrument: every raw answer, and the score computed from them.

    Immutable: a correction is a new row that ``supersedes`` this one.
    """

    __tablename__ = "response"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"))
    invitation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invitation.id"))
    instrument_code: Mapped[str] = mapped_column(sa.String(16))
    instrument_version: Mapped[str] = mapped_column(sa.String(16))
    answers: Mapped[list] = mapped_column(sa.JSON)
    extra_answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    total: Mapped[int]
    band: Mapped[str | None] = mapped_column(sa.String(32))
    is_case: Mapped[bool | None]
    flags: Mapped[list] = mapped_column(sa.JSON, default=list)
    prorated: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(sa.String(16))
    completed_at: Mapped[object] = mapped_column(UTCDateTime)
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("response.id"), unique=True)
    correction_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    # The response's id outside this database (FHIR QuestionnaireResponse.id; its Observation's
    # id is derived from it): random per row, so ids from two deployments never collide.
    fhir_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, default=uuid.uuid4, unique=True)

    patient = relationship("Patient")
    invitation = relationship("Invitation", back_populates="responses")
    entered_by = relationship("User")

    __table_args__ = (
        # Submitting twice (double tap, two tabs, retry) stores one response per instrument.
        sa.UniqueConstraint("invitation_id", "instrument_code"),
        sa.CheckConstraint("source IN ('link', 'clinician')", name="source"),
        sa.Index("ix_response_patient_instrument", "patient_id", "instrument_code",
                 "completed_at"),
    )


class ResponsesAreImmutable(RuntimeError):
    """Raised when code tries to change or delete a stored response."""


make_immutable(Response, ResponsesAreImmutable,
               "responses are never changed; supersede them instead")


class ScoreRelease(db.Model):
    """A clinician's decision that the patient may see their own totals of one instrument on
    their "What I have done" page. Off by default: no row, nothing shown. Withdrawing it
    deletes the row; the audit trail keeps both decisions and who made them."""

    __tablename__ = "score_release"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id", ondelete="CASCADE"))
    instrument_code: Mapped[str] = mapped_column(sa.String(16))
    released_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    released_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("patient_id", "instrument_code"),)
