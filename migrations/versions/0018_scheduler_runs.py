"""The scheduler's runs: one row per periodic task and slot, so each slot runs once.

Revision ID: 0018
Revises: 0017

Reviewed by hand.
- ``scheduler_runs`` (task, slot) UNIQUE: every `flask worker` on every machine tries to insert
  the row of the current slot (``measures.send-due`` each hour, ``programs.check-sessions``
  each day); the one whose INSERT commits runs the task, the others get an IntegrityError and
  skip it. ``lease_until`` lets another worker take over a slot whose runner died; ``outcome``
  is running, done or failed. New table only: nothing to carry over, the downgrade drops it.
Create Date: 2026-12-03 19:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scheduler_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=64), nullable=False),
        sa.Column("slot", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(length=128), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.CheckConstraint("outcome IN ('running', 'done', 'failed')",
                           name=op.f("ck_scheduler_runs_outcome")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduler_runs")),
        sa.UniqueConstraint("task", "slot", name=op.f("uq_scheduler_runs_task_slot")),
    )


def downgrade():
    op.drop_table("scheduler_runs")
