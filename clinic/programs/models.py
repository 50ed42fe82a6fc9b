"""A patient's program: the assignment (a snapshot of a template), its events, session logs.

Exercises and templates are the clinic's catalogue (``clinic.catalogue.models``); rows here refer
to them by table name and class name only.
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.database import UTCDateTime, one_of, utcnow
from clinic.extensions import db

ASSIGNMENT_STATUSES = ("active", "paused", "completed")
SESSION_STATUSES = ("done", "partial", "skipped")
# Why an entry stopped counting: the patient removed it, or replaced it with a new entry for
# the same day. The row stays (history and audit); every count and view leaves it out.
WITHDRAWN_REASONS = ("removed", "replaced")


class Assignment(db.Model):
    """A patient's program: a snapshot of the template as assigned, and where they are in it.

    ``snapshot`` holds every level with its exercises and targets as prescribed; later edits of
    the template never touch it. Approved progressions change the snapshot, each with an event.
    The program link's token is derived from ``token_salt`` (see ``clinic.tokens``).
    """

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"), index=True)
    template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("program_template.id"))
    template_version: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(120))
    snapshot: Mapped[dict] = mapped_column(sa.JSON)
    level_position: Mapped[int] = mapped_column(default=0)
    start_date: Mapped[object] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    token_salt: Mapped[str] = mapped_column(sa.String(32))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    link_revoked_at: Mapped[object | None] = mapped_column(UTCDateTime)
    # The loads (kg) the patient can make with their own equipment (their dumbbells, their plate
    # pairs on a bar), as decimal strings, lightest first; None when the clinician has not
    # recorded it. Load suggestions then go to the next load on this list.
    equipment_loads: Mapped[list | None] = mapped_column(sa.JSON)

    patient = relationship("Patient")
    events = relationship("AssignmentEvent", back_populates="assignment",
                          order_by="AssignmentEvent.id")

    __table_args__ = (
        sa.CheckConstraint(one_of("status", ASSIGNMENT_STATUSES), name="status"),
        # One current (not completed) program per patient, whatever two requests do at once.
        sa.Index("uq_assignment_one_current", "patient_id", unique=True,
                 sqlite_where=sa.text("status <> 'completed'"),
                 postgresql_where=sa.text("status <> 'completed'")),
    )

    @property
    def current_level(self):
        return self.snapshot["levels"][self.level_position]


class AssignmentEvent(db.Model):
    """A change to an assignment: level, target, pause, resume, complete, link rotation."""

    __tablename__ = "assignment_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignment.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    assignment = relationship("Assignment", back_populates="events")
    by = relationship("User")


class SessionLog(db.Model):
    """One training session as done (or skipped), by the patient or with a clinician."""

    __tablename__ = "session_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignment.id"), index=True)
    level_position: Mapped[int]
    performed_on: Mapped[object] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16))
    low_energy: Mapped[bool] = mapped_column(default=False)
    skip_reason: Mapped[str | None] = mapped_column(sa.String(32))
    duration_minutes: Mapped[int | None]
    rpe: Mapped[int | None]
    mood_before: Mapped[int | None]
    mood_after: Mapped[int | None]
    pain: Mapped[int | None]
    pain_where: Mapped[str | None] = mapped_column(sa.String(120))
    note: Mapped[str | None] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.String(16))
    # Logged with the quick "done as planned" path: the sets were done at the prescribed load,
    # their reps were not counted (stored as NULL, never as a guess).
    as_planned: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    submission_key: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[object | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.String(16))

    assignment = relationship("Assignment")
    sets = relationship("SetLog", back_populates="session", order_by="SetLog.id",
                        cascade="all, delete-orphan")
    entered_by = relationship("User")

    __table_args__ = (
        # One stored session per submitted form: a double tap or a retry stores it once.
        sa.UniqueConstraint("assignment_id", "submission_key"),
        sa.CheckConstraint(one_of("status", SESSION_STATUSES), name="status"),
        sa.CheckConstraint("source IN ('patient', 'clinician')", name="source"),
        sa.CheckConstraint("(withdrawn_at IS NULL) = (withdrawn_reason IS NULL) AND "
                           "(withdrawn_reason IS NULL OR withdrawn_reason IN "
                           "('removed', 'replaced'))", name="withdrawn"),
        sa.CheckConstraint("rpe IS NULL OR rpe BETWEEN 0 AND 10", name="rpe"),
        sa.CheckConstraint("mood_before IS NULL OR mood_before BETWEEN 0 AND 10",
                           name="mood_before"),
        sa.CheckConstraint("mood_after IS NULL OR mood_after BETWEEN 0 AND 10", name="mood_after"),
        sa.CheckConstraint("pain IS NULL OR pain BETWEEN 0 AND 10", name="pain"),
        sa.CheckConstraint("duration_minutes IS NULL OR duration_minutes BETWEEN 1 AND 600",
                           name="duration"),
        sa.Index("ix_session_log_assignment_performed", "assignment_id", "performed_on"),
    )

    @classmethod
    def counted(cls):
        """The SQL condition of an entry that counts: not removed or replaced by the patient."""
        return cls.withdrawn_at.is_(None)


class SetLog(db.Model):
    """One set as done, with the prescribed target copied in (history survives plan changes)."""

    __tablename__ = "set_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("session_log.id", ondelete="CASCADE"), index=True)
    exercise_id: Mapped[int] = mapped_column(sa.ForeignKey("exercise.id"), index=True)
    set_number: Mapped[int]
    reps: Mapped[int | None]
    load_kg: Mapped[object | None] = mapped_column(sa.Numeric(6, 2))
    seconds: Mapped[int | None]
    target_sets: Mapped[int]
    target_reps_min: Mapped[int]
    target_reps_max: Mapped[int]
    target_load: Mapped[str] = mapped_column(sa.String(32), default="")

    session = relationship("SessionLog", back_populates="sets")
    exercise = relationship("Exercise")

    __table_args__ = (
        sa.CheckConstraint("reps IS NULL OR reps BETWEEN 0 AND 200", name="reps"),
        sa.CheckConstraint("load_kg IS NULL OR (load_kg >= 0 AND load_kg <= 500)", name="load"),
        sa.CheckConstraint("seconds IS NULL OR seconds BETWEEN 0 AND 3600", name="seconds"),
    )


class SessionsSeen(db.Model):
    """When a clinician last opened a patient's session logs (the program page).

    A note or a pain report logged after this moment is flagged on that clinician's dashboard:
    the patient's words must not go unseen. One row per clinician and patient, moved forward
    at each look; a read marker, not clinical data (the audit trail keeps each view).
    """

    __tablename__ = "sessions_seen"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id", ondelete="CASCADE"))
    seen_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("user_id", "patient_id"),)
