"""The transactional outbox: outgoing messages and their delivery attempts.

Revision ID: 0017
Revises: 0016

Reviewed by hand.
- ``outbox_message``: one message to one recipient, written in the transaction of its cause;
  ``idempotency_key`` unique (one message per alert and care-team member, per invitation mail
  and reminder); ``state`` pending|sending|sent|dead|cancelled, checked; the sweep's index on
  (state, next_attempt_at). The context holds no name, clinical content or link token.
- ``delivery_attempt``: one row per try (worker, times, outcome, error class; never a body).
- Nothing is backfilled: mails sent before this revision were sent inline.
Create Date: 2026-12-03 19:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)
STATES = "state IN ('pending', 'sending', 'sent', 'dead', 'cancelled')"
KINDS = "kind IN ('alert_mail', 'invitation_mail', 'invitation_reminder')"
OUTCOMES = "outcome IN ('sent', 'failed', 'dead', 'in_doubt', 'cancelled')"


def upgrade():
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_DATETIME, nullable=False),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        sa.Column("claimed_until", UTC_DATETIME, nullable=True),
        sa.Column("sent_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("last_error_class", sa.String(length=120), nullable=True),
        sa.CheckConstraint(STATES, name=op.f("ck_outbox_message_state")),
        sa.CheckConstraint(KINDS, name=op.f("ck_outbox_message_kind")),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinic.id"],
                                name=op.f("fk_outbox_message_clinic_id_clinic")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_message_idempotency_key")),
    )
    op.create_index(op.f("ix_outbox_message_clinic_id"), "outbox_message", ["clinic_id"])
    op.create_index("ix_outbox_message_state_next_attempt_at", "outbox_message",
                    ["state", "next_attempt_at"])
    op.create_table(
        "delivery_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=120), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error_class", sa.String(length=120), nullable=True),
        sa.CheckConstraint(OUTCOMES, name=op.f("ck_delivery_attempt_outcome")),
        sa.ForeignKeyConstraint(["message_id"], ["outbox_message.id"],
                                name=op.f("fk_delivery_attempt_message_id_outbox_message")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempt")),
    )
    op.create_index(op.f("ix_delivery_attempt_message_id"), "delivery_attempt", ["message_id"])


def downgrade():
    op.drop_index(op.f("ix_delivery_attempt_message_id"), table_name="delivery_attempt")
    op.drop_table("delivery_attempt")
    op.drop_index("ix_outbox_message_state_next_attempt_at", table_name="outbox_message")
    op.drop_index(op.f("ix_outbox_message_clinic_id"), table_name="outbox_message")
    op.drop_table("outbox_message")
