"""Report batches: the batch export's rows (one per patient), claimed by workers with a lease.

Revision ID: 0019
Revises: 0018

Reviewed by hand.
- ``report_batch``: one export run (clinic, the clinician whose caseload it is or none, counts
  of total/done/failed items, state running|finished, the folder of a
  ``--out`` run or none for the shared store).
- ``report_batch_item``: one patient's report in a batch, unique per batch and patient; state
  pending|rendering|done|failed, the claim (worker and lease end), attempts, the stored file's
  key, the last failure's class. Indexed on (state, claimed_until) for the workers' sweep.
- New tables only: the downgrade drops them (with any batch history they hold).
Create Date: 2026-12-03 19:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)  # what clinic.database.UTCDateTime stores


def upgrade():
    op.create_table(
        "report_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("out_dir", sa.String(length=1000), nullable=True),
        sa.CheckConstraint("state IN ('running', 'finished')", name=op.f("ck_report_batch_state")),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinic.id"],
                                name=op.f("fk_report_batch_clinic_id_clinic")),
        sa.ForeignKeyConstraint(["requested_by"], ["user.id"],
                                name=op.f("fk_report_batch_requested_by_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_batch")),
    )
    op.create_index(op.f("ix_report_batch_clinic_id"), "report_batch", ["clinic_id"])
    op.create_table(
        "report_batch_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        sa.Column("claimed_until", UTC_DATETIME, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("file_key", sa.String(length=255), nullable=True),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.Column("error_class", sa.String(length=120), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'rendering', 'done', 'failed')",
                           name=op.f("ck_report_batch_item_state")),
        sa.ForeignKeyConstraint(["batch_id"], ["report_batch.id"],
                                name=op.f("fk_report_batch_item_batch_id_report_batch")),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"],
                                name=op.f("fk_report_batch_item_patient_id_patient")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_batch_item")),
        sa.UniqueConstraint("batch_id", "patient_id",
                            name=op.f("uq_report_batch_item_batch_id_patient_id")),
    )
    op.create_index(op.f("ix_report_batch_item_batch_id"), "report_batch_item", ["batch_id"])
    op.create_index(op.f("ix_report_batch_item_patient_id"), "report_batch_item", ["patient_id"])
    op.create_index("ix_report_batch_item_state_claimed_until", "report_batch_item",
                    ["state", "claimed_until"])


def downgrade():
    op.drop_index("ix_report_batch_item_state_claimed_until", table_name="report_batch_item")
    op.drop_index(op.f("ix_report_batch_item_patient_id"), table_name="report_batch_item")
    op.drop_index(op.f("ix_report_batch_item_batch_id"), table_name="report_batch_item")
    op.drop_table("report_batch_item")
    op.drop_index(op.f("ix_report_batch_clinic_id"), table_name="report_batch")
    op.drop_table("report_batch")
