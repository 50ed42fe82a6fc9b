"""Audit events. Rows are written, never changed: the ORM refuses updates and deletes."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.database import UTCDateTime, make_immutable, utcnow
from clinic.extensions import db


class AuditEvent(db.Model):
    """One thing that happened: an actor, an action, an object, an outcome. Never PHI values."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, index=True)
    clinic_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    actor_kind: Mapped[str] = mapped_column(sa.String(16))  # user / link / system / anonymous
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(32))
    object_id: Mapped[int | None]
    patient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("patient.id"), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(16), default="success")
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    # By class name: audit sits below auth and patients and never imports them.
    actor = relationship("User", lazy="joined")
    patient = relationship("Patient", lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(
            "actor_kind IN ('user', 'link', 'system', 'anonymous')", name="actor_kind"
        ),
        sa.CheckConstraint("outcome IN ('success', 'failure', 'denied')", name="outcome"),
    )


class AuditTrailIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit event."""


make_immutable(AuditEvent, AuditTrailIsAppendOnly, "audit events cannot be changed or deleted")
