"""Pending logins: the half-done login between the password and the second step, server-side.

Revision ID: 0008
Revises: 0007

Reviewed by hand. A new table only: no batch mode is needed on SQLite. Pending logins held
in the signed cookie before this revision are not carried over (they last five minutes; a
user in the middle of one logs in again).
Create Date: 2026-12-03 10:00:00

"""
import sqlalchemy as sa
from alembic import op

UTC_DATETIME = sa.DateTime(timezone=True)

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pending_login",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("used_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"],
                                name=op.f("fk_pending_login_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_login")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_pending_login_key_hash")),
    )
    op.create_index(op.f("ix_pending_login_user_id"), "pending_login", ["user_id"])


def downgrade():
    op.drop_table("pending_login")  # its index goes with it
