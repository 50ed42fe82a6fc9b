"""Audit events. Rows are written, never changed: the ORM refuses updates and deletes."""

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from clinic.database import UTCDateTime, utcnow
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


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTrailIsAppendOnly("audit events cannot be changed or deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_audit_changes(state):
    """Bulk ``update(AuditEvent)`` / ``delete(AuditEvent)`` bypass flush: refuse them too."""
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is AuditEvent for mapper in state.all_mappers
    ):
        raise AuditTrailIsAppendOnly("audit events cannot be changed or deleted")
