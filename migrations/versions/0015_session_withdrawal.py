"""A patient's session entry can be withdrawn (removed, or replaced by a new entry for the
same day) and still be kept.

Revision ID: 0015
Revises: 0014

Reviewed by hand.
- ``session_log.withdrawn_at`` (UTC time, nullable) and ``session_log.withdrawn_reason``
  (``removed`` / ``replaced``, nullable, set together: check ``ck_session_log_withdrawn``).
  Existing rows stay NULL: every session logged so far counts, as before.
- The idempotency key of a session form (``session_log.submission_key``, unique per program
  since 0003) is unchanged: the offline queue reuses it.
Batch mode for SQLite (a table copy; migrations/env.py turns foreign keys off around it).
Create Date: 2026-12-03 16:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

WITHDRAWN_CHECK = (
    "(withdrawn_at IS NULL) = (withdrawn_reason IS NULL) AND "
    "(withdrawn_reason IS NULL OR withdrawn_reason IN ('removed', 'replaced'))"
)


def upgrade():
    with op.batch_alter_table("session_log") as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_reason", sa.String(length=16), nullable=True))
        batch_op.create_check_constraint(op.f("ck_session_log_withdrawn"), WITHDRAWN_CHECK)


def downgrade():
    with op.batch_alter_table("session_log") as batch_op:
        batch_op.drop_constraint(op.f("ck_session_log_withdrawn"), type_="check")
        batch_op.drop_column("withdrawn_reason")
        batch_op.drop_column("withdrawn_at")
