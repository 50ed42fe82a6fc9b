"""The clinic's catalogue: exercises on their ladders, program templates and graded levels.

A patient's program is a snapshot of a template (``clinic.programs.models.Assignment``): nothing
here points at a patient, and editing a template never rewrites anyone's history.
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.database import UTCDateTime, one_of, utcnow
from clinic.extensions import db

PATTERNS = ("squat", "hinge", "push_horizontal", "push_vertical", "pull_horizontal",
            "pull_vertical", "carry", "core")
SETTINGS = ("home", "bands", "dumbbells", "gym")
MEASURES = ("load_reps", "bodyweight_reps", "hold_seconds")
LOAD_KINDS = ("bodyweight", "kg", "rpe", "band")


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
        sa.CheckConstraint(one_of("pattern", PATTERNS), name="pattern"),
        sa.CheckConstraint(one_of("setting", SETTINGS), name="setting"),
        sa.CheckConstraint(one_of("measure", MEASURES), name="measure"),
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
        sa.CheckConstraint(one_of("load_kind", LOAD_KINDS), name="load_kind"),
        sa.CheckConstraint("rest_seconds BETWEEN 0 AND 600", name="rest_seconds"),
    )
