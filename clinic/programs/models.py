"""Exercises, program templates with graded levels, assignments and session logs."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.database import UTCDateTime, utcnow
from clinic.extensions import db

PATTERNS = ("squat", "hinge", "push_horizontal", "push_vertical", "pull_horizontal",
            "pull_vertical", "carry", "core")
SETTINGS = ("home", "bands", "dumbbells", "gym")
MEASURES = ("load_reps", "bodyweight_reps", "hold_seconds")
LOAD_KINDS = ("bodyweight", "kg", "rpe", "band")
ASSIGNMENT_STATUSES = ("active", "paused", "completed")
SESSION_STATUSES = ("done", "partial", "skipped")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Exercise(db.Model):
    """An exercise on an ordered ladder of its movement pattern; built-in when clinic_id is NULL.

    Retired, never deleted: session logs refer to it.
    """

    __tablename__ = "exercise"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(120))
    pattern: Mapped[str] = mapped_column(sa.String(24))
    setting: Mapped[str] = mapped_column(sa.String(16))
    equipment: Mapped[str] = mapped_column(sa.String(80), default="none")
    measure: Mapped[str] = mapped_column(sa.String(16))
    ladder: Mapped[str] = mapped_column(sa.String(32))
    ladder_step: Mapped[int]
    cues: Mapped[list] = mapped_column(sa.JSON, default=list)
    easier_tip: Mapped[str | None] = mapped_column(sa.Text)
    retired_at: Mapped[object | None] = mapped_column(UTCDateTime)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("clinic_id", "slug"),
        sa.CheckConstraint(_in("pattern", PATTERNS), name="pattern"),
        sa.CheckConstraint(_in("setting", SETTINGS), name="setting"),
        sa.CheckConstraint(_in("measure", MEASURES), name="measure"),
        sa.CheckConstraint("ladder_step >= 1", name="ladder_step"),
    )

    @property
    def is_builtin(self):
        return self.clinic_id is None


class ProgramTemplate(db.Model):
    """A clinic's graded program: an ordered list of levels. ``version`` grows with each edit."""

    __tablename__ = "program_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    archived_at: Mapped[object | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    levels = relationship("TemplateLevel", back_populates="template",
                          order_by="TemplateLevel.position", cascade="all, delete-orphan")

    __table_args__ = (sa.UniqueConstraint("clinic_id", "name"),)


class TemplateLevel(db.Model):
    """One grade of a program: what a session holds, how often, and when to move up."""

    __tablename__ = "template_level"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        sa.ForeignKey("program_template.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(120))
    min_weeks: Mapped[int] = mapped_column(default=2)
    sessions_per_week: Mapped[int] = mapped_column(default=2)
    criteria: Mapped[str] = mapped_column(sa.Text, default="")

    template = relationship("ProgramTemplate", back_populates="levels")
    exercises = relationship("LevelExercise", back_populates="level",
                             order_by="LevelExercise.position", cascade="all, delete-orphan")

    __table_args__ = (
        sa.UniqueConstraint("template_id", "position"),
        sa.CheckConstraint("sessions_per_week BETWEEN 1 AND 7", name="sessions_per_week"),
        sa.CheckConstraint("min_weeks BETWEEN 0 AND 52", name="min_weeks"),
    )


class LevelExercise(db.Model):
    """One exercise of a level: sets, a rep (or hold) range, a load and rest."""

    __tablename__ = "level_exercise"

    id: Mapped[int] = mapped_column(primary_key=True)
    level_id: Mapped[int] = mapped_column(
        sa.ForeignKey("template_level.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    exercise_id: Mapped[int] = mapped_column(sa.ForeignKey("exercise.id"))
    sets: Mapped[int]
    reps_min: Mapped[int]
    reps_max: Mapped[int]
    load_kind: Mapped[str] = mapped_column(sa.String(16))
    load_target: Mapped[str] = mapped_column(sa.String(32), default="")
    rest_seconds: Mapped[int] = mapped_column(default=90)
    is_key: Mapped[bool] = mapped_column(default=False)

    level = relationship("TemplateLevel", back_populates="exercises")
    exercise = relationship("Exercise")

    __table_args__ = (
        sa.CheckConstraint("sets BETWEEN 1 AND 10", name="sets"),
        sa.CheckConstraint("reps_min >= 1 AND reps_min <= reps_max", name="reps"),
        sa.CheckConstraint(_in("load_kind", LOAD_KINDS), name="load_kind"),
        sa.CheckConstraint("rest_seconds BETWEEN 0 AND 600", name="rest_seconds"),
    )


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

    patient = relationship("Patient")
    events = relationship("AssignmentEvent", back_populates="assignment",
                          order_by="AssignmentEvent.id")

    __table_args__ = (
        sa.CheckConstraint(_in("status", ASSIGNMENT_STATUSES), name="status"),
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
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    submission_key: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object | None] = mapped_column(UTCDateTime)

    assignment = relationship("Assignment")
    sets = relationship("SetLog", back_populates="session", order_by="SetLog.id",
                        cascade="all, delete-orphan")
    entered_by = relationship("User")

    __table_args__ = (
        # One stored session per submitted form: a double tap or a retry stores it once.
        sa.UniqueConstraint("assignment_id", "submission_key"),
        sa.CheckConstraint(_in("status", SESSION_STATUSES), name="status"),
        sa.CheckConstraint("source IN ('patient', 'clinician')", name="source"),
        sa.CheckConstraint("rpe IS NULL OR rpe BETWEEN 0 AND 10", name="rpe"),
        sa.CheckConstraint("mood_before IS NULL OR mood_before BETWEEN 0 AND 10",
                           name="mood_before"),
        sa.CheckConstraint("mood_after IS NULL OR mood_after BETWEEN 0 AND 10", name="mood_after"),
        sa.CheckConstraint("pain IS NULL OR pain BETWEEN 0 AND 10", name="pain"),
        sa.CheckConstraint("duration_minutes IS NULL OR duration_minutes BETWEEN 1 AND 600",
                           name="duration"),
        sa.Index("ix_session_log_assignment_performed", "assignment_id", "performed_on"),
    )


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
