"""Audit events. Rows are written, never changed: the ORM refuses updates and deletes, the
database's triggers refuse them too (migration 0005), and each row is chained to the one before
by an HMAC-SHA256 keyed with AUDIT_KEY (:mod:`clinic.audit.chain`) so a change made around both
shows, and cannot be re-chained without the key.
"""

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from clinic.audit import chain
from clinic.database import UTCDateTime, make_immutable, utcnow
from clinic.extensions import db

# PostgreSQL advisory lock held (until commit) by a transaction that appends to the chain.
CHAIN_LOCK_KEY = 0x4C43_4155_4449_54  # "LCAUDIT"


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
    # The hash chain: 1, 2, 3... without gaps, and HMAC-SHA256(AUDIT_KEY, previous hash +
    # canonical row).
    seq: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64))

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


def audit_key():
    """The chain's HMAC key: the app's AUDIT_KEY (never stored in the database)."""
    return current_app.config["AUDIT_KEY"]


def chain_head(connection):
    """(seq, hash) of the last chained row; (0, GENESIS) for an empty trail.

    On PostgreSQL it first takes the chain's transaction-level advisory lock, so two
    transactions never read the same head: the second waits until the first commits (READ
    COMMITTED then shows it the new head). SQLite needs no lock: writes run in BEGIN IMMEDIATE,
    one at a time, and the unique ``seq`` turns any other fork into an error, never a branch.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    table = AuditEvent.__table__
    head = connection.execute(
        sa.select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1)).first()
    return (head.seq, head.hash) if head is not None else (0, chain.GENESIS)


@event.listens_for(Session, "before_flush")
def _chain_new_events(session, flush_context, instances):
    """Number and hash new events as they are flushed: the one place the chain grows."""
    new = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not new:
        return
    new.sort(key=lambda obj: sa.inspect(obj).insert_order)  # the order the INSERTs will run
    key = audit_key()
    seq, previous_hash = chain_head(session.connection())
    for audit_event in new:
        seq += 1
        audit_event.seq = seq
        if audit_event.at is None:
            audit_event.at = utcnow()
        if audit_event.outcome is None:
            audit_event.outcome = "success"  # the column default, needed now for the hash
        audit_event.detail = chain.normalise_detail(audit_event.detail)
        audit_event.hash = chain.link(key, previous_hash, {
            field: getattr(audit_event, field) for field in chain.CHAINED_FIELDS})
        previous_hash = audit_event.hash
