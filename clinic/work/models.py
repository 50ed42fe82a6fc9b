"""One row per periodic task and slot: the UNIQUE key makes each slot run once across machines."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clinic.database import UTCDateTime, one_of, utcnow
from clinic.extensions import db

OUTCOMES = ("running", "done", "failed")


class SchedulerRun(db.Model):
    __tablename__ = "scheduler_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(sa.String(64))
    # The slot's start in UTC, e.g. 2026-12-03T14:00:00Z for the hour from 14:00.
    slot: Mapped[object] = mapped_column(UTCDateTime)
    worker: Mapped[str] = mapped_column(sa.String(128))
    started_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    # A worker that dies mid-task leaves "running" with a lease: once it has passed, another
    # worker may take the slot over (so may one after "failed").
    lease_until: Mapped[object] = mapped_column(UTCDateTime)
    finished_at: Mapped[object | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(sa.String(16), default="running")
    attempts: Mapped[int] = mapped_column(default=1)

    __table_args__ = (
        sa.UniqueConstraint("task", "slot"),
        sa.CheckConstraint(one_of("outcome", OUTCOMES), name="outcome"),
    )
