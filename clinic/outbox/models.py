"""Outgoing messages and their delivery attempts.

A message row carries what its template needs except the link (rebuilt at delivery from the
row it points to, so no link token is ever stored) and never a patient's name or clinical
content. Every state change is a conditional UPDATE (see services.py).
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clinic.database import UTCDateTime, one_of, utcnow
from clinic.extensions import db

PENDING, SENDING, SENT, DEAD, CANCELLED = "pending", "sending", "sent", "dead", "cancelled"
STATES = (PENDING, SENDING, SENT, DEAD, CANCELLED)
KINDS = ("alert_mail", "invitation_mail", "invitation_reminder")
# An attempt ends sent, failed (retried later), dead (the last failure), in_doubt (its worker
# vanished after claiming: the message may or may not have left) or cancelled (what the message
# announced is gone: a closed alert, a used or expired link).
OUTCOMES = ("sent", "failed", "dead", "in_doubt", "cancelled")


class OutboxMessage(db.Model):
    """One message to one recipient, delivered at most once (``idempotency_key``)."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    channel: Mapped[str] = mapped_column(sa.String(16), default="email")
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    template: Mapped[str] = mapped_column(sa.String(64))
    # The template's values, minus the link; {"link": [kind, id]} names the row it is built from.
    context: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    idempotency_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    state: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(120))
    claimed_until: Mapped[object | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[object | None] = mapped_column(UTCDateTime)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    last_error_class: Mapped[str | None] = mapped_column(sa.String(120))

    __table_args__ = (
        sa.CheckConstraint(one_of("state", STATES), name="state"),
        sa.CheckConstraint(one_of("kind", KINDS), name="kind"),
        # The sweep's question: what is due (pending) or in doubt (sending), by time.
        sa.Index("ix_outbox_message_state_next_attempt_at", "state", "next_attempt_at"),
    )


class DeliveryAttempt(db.Model):
    """One try at delivering a message: when, by which worker, how it ended (never the body
    or the recipient: the message row has the address, the log has neither)."""

    __tablename__ = "delivery_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("outbox_message.id"), index=True)
    worker: Mapped[str] = mapped_column(sa.String(120))
    started_at: Mapped[object] = mapped_column(UTCDateTime)
    finished_at: Mapped[object] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(sa.String(16))
    error_class: Mapped[str | None] = mapped_column(sa.String(120))

    __table_args__ = (sa.CheckConstraint(one_of("outcome", OUTCOMES), name="outcome"),)
