"""A batch export's rows: the source of truth of what is done, whoever renders it.

A queue (RQ) only wakes workers early; any worker finds the same rows by polling, and one that
dies leaves a claim whose lease expires (``claimed_until``) so another takes the item up.
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.database import UTCDateTime, one_of, utcnow
from clinic.extensions import db

BATCH_STATES = ("running", "finished")
PENDING, RENDERING, DONE, FAILED = "pending", "rendering", "done", "failed"
ITEM_STATES = (PENDING, RENDERING, DONE, FAILED)


class ReportBatch(db.Model):
    """One ``flask reports export`` run: a clinic's or a clinician's active patients."""

    __tablename__ = "report_batch"
    __table_args__ = (sa.CheckConstraint(one_of("state", BATCH_STATES), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    # The clinician whose caseload was exported (their scope); None: the whole clinic.
    requested_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(sa.String(16), default="running")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    # The folder given to ``flask reports export --out`` (this machine's business: resumed
    # with --resume, never swept by the queue workers); None: the shared store, REPORTS_DIR.
    out_dir: Mapped[str | None] = mapped_column(sa.String(1000))

    items: Mapped[list["ReportBatchItem"]] = relationship(
        back_populates="batch", order_by="ReportBatchItem.id", cascade="all, delete-orphan")


class ReportBatchItem(db.Model):
    """One patient's report in a batch; its state changes only by conditional UPDATE."""

    __tablename__ = "report_batch_item"
    __table_args__ = (
        sa.UniqueConstraint("batch_id", "patient_id"),
        sa.CheckConstraint(one_of("state", ITEM_STATES), name="state"),
        # A sweep looks for pending items and expired claims.
        sa.Index("ix_report_batch_item_state_claimed_until", "state", "claimed_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("report_batch.id"), index=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"), index=True)
    state: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(120))
    claimed_until: Mapped[object | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    file_key: Mapped[str | None] = mapped_column(sa.String(255))
    finished_at: Mapped[object | None] = mapped_column(UTCDateTime)
    # The class of the last failure (never its message: it may quote data).
    error_class: Mapped[str | None] = mapped_column(sa.String(120))

    batch: Mapped[ReportBatch] = relationship(back_populates="items")
