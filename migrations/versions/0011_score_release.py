"""The patient's own scores, released per instrument by a clinician ("What I have done").

Revision ID: 0011
Revises: 0010

Reviewed by hand.
- ``score_release`` (new table): one row per patient and instrument whose totals the patient
  may see on their own progress page. No row means not released, so every existing patient
  starts with nothing shown (off by default); the audit trail records each release and
  withdrawal.
Create Date: 2026-12-03 16:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "score_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("instrument_code", sa.String(length=16), nullable=False),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.Column("released_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            ondelete="CASCADE",
            name=op.f("fk_score_release_patient_id_patient"),
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"], ["user.id"], name=op.f("fk_score_release_released_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_release")),
        sa.UniqueConstraint(
            "patient_id",
            "instrument_code",
            name=op.f("uq_score_release_patient_id_instrument_code"),
        ),
    )


def downgrade():
    op.drop_table("score_release")
