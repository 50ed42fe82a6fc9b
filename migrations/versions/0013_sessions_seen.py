"""When a clinician last looked at a patient's session logs (the dashboard's "new notes" flag).

Revision ID: 0013
Revises: 0012

Reviewed by hand.
- ``sessions_seen`` (user, patient, seen_at), unique per user and patient: a read marker the
  program page moves forward; a session note or pain report logged after it is flagged on that
  clinician's dashboard. Existing clinicians start with no row: every note and pain report
  already logged shows as new once, which is the safe side.
Create Date: 2026-12-03 16:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sessions_seen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"],
                                name=op.f("fk_sessions_seen_patient_id_patient"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"],
                                name=op.f("fk_sessions_seen_user_id_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions_seen")),
        sa.UniqueConstraint("user_id", "patient_id",
                            name=op.f("uq_sessions_seen_user_id_patient_id")),
    )


def downgrade():
    op.drop_table("sessions_seen")
