"""The patient's one link, and the answers of finished questionnaire parts.

Revision ID: 0012
Revises: 0011

Reviewed by hand.
- ``patient_link``: the link a clinician issues to a patient without a program (the program
  link is the patient's link otherwise). At most one working (``ended_at IS NULL``) per patient.
- ``invitation.draft_answers`` (JSON, nullable): the answers of the parts a patient finished,
  kept until the whole set is sent; NULL for every existing link.
Create Date: 2026-12-03 16:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "patient_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("token_salt", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("ended_at", UTC_DATETIME, nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.CheckConstraint(
            "end_reason IS NULL OR end_reason IN ('replaced', 'revoked', 'discharge', 'program')",
            name=op.f("ck_patient_link_end_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_patient_link_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_patient_link_created_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_patient_link_token_hash")),
    )
    op.create_index(
        op.f("ix_patient_link_patient_id"), "patient_link", ["patient_id"], unique=False
    )
    op.create_index(
        "uq_patient_link_one_current",
        "patient_link",
        ["patient_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    with op.batch_alter_table("invitation") as batch_op:
        batch_op.add_column(sa.Column("draft_answers", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("invitation") as batch_op:
        batch_op.drop_column("draft_answers")
    op.drop_index("uq_patient_link_one_current", table_name="patient_link")
    op.drop_index(op.f("ix_patient_link_patient_id"), table_name="patient_link")
    op.drop_table("patient_link")
