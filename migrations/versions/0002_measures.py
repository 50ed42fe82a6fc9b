"""Outcome measures: schedules, invitations, responses, alerts; link settings per clinic;
the start of each patient's current episode of care (backfilled from created_at).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

Reviewed by hand. The unique constraints carry the rules "one scheduled invitation per
patient and due date" (send-due is idempotent), "one response per invitation and instrument"
(a double submit stores one) and "one alert per cause".
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)
ALERT_KINDS = ("risk_item", "risk_item_unanswered", "review_item", "reliable_deterioration",
               "missed_questionnaires")


def upgrade():
    with op.batch_alter_table("patient") as batch_op:
        batch_op.add_column(sa.Column("episode_started_at", UTC_DATETIME, nullable=True))
    op.execute("UPDATE patient SET episode_started_at = created_at")
    with op.batch_alter_table("patient") as batch_op:
        batch_op.alter_column("episode_started_at", existing_type=UTC_DATETIME, nullable=False)

    with op.batch_alter_table("clinic") as batch_op:
        batch_op.add_column(sa.Column("link_expiry_days", sa.Integer(), server_default="4",
                                      nullable=False))
        batch_op.add_column(sa.Column("reminder_after_days", sa.Integer(), server_default="2",
                                      nullable=False))

    op.create_table(
        "measure_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("instrument_code", sa.String(length=16), nullable=False),
        sa.Column("every_weeks", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on",
                           name=op.f("ck_measure_schedule_dates")),
        sa.CheckConstraint("every_weeks IN (1, 2, 4)", name=op.f("ck_measure_schedule_every_weeks")),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_measure_schedule_weekday")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"],
                                name=op.f("fk_measure_schedule_created_by_id_user")),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"],
                                name=op.f("fk_measure_schedule_patient_id_patient")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_schedule")),
        sa.UniqueConstraint("patient_id", "instrument_code",
                            name=op.f("uq_measure_schedule_patient_id_instrument_code")),
    )
    op.create_index(op.f("ix_measure_schedule_patient_id"), "measure_schedule", ["patient_id"])

    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("instruments", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("token_salt", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("completed_at", UTC_DATETIME, nullable=True),
        sa.Column("revoked_at", UTC_DATETIME, nullable=True),
        sa.Column("emailed_at", UTC_DATETIME, nullable=True),
        sa.Column("reminder_sent_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint("kind IN ('scheduled', 'adhoc')", name=op.f("ck_invitation_kind")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"],
                                name=op.f("fk_invitation_created_by_id_user")),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"],
                                name=op.f("fk_invitation_patient_id_patient")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("patient_id", "due_on", name=op.f("uq_invitation_patient_id_due_on")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_token_hash")),
    )
    op.create_index(op.f("ix_invitation_patient_id"), "invitation", ["patient_id"])

    op.create_table(
        "response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("instrument_code", sa.String(length=16), nullable=False),
        sa.Column("instrument_version", sa.String(length=16), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("extra_answers", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("band", sa.String(length=32), nullable=True),
        sa.Column("is_case", sa.Boolean(), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("prorated", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("completed_at", UTC_DATETIME, nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("correction_reason", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("source IN ('link', 'clinician')", name=op.f("ck_response_source")),
        sa.ForeignKeyConstraint(["entered_by_id"], ["user.id"],
                                name=op.f("fk_response_entered_by_id_user")),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitation.id"],
                                name=op.f("fk_response_invitation_id_invitation")),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"],
                                name=op.f("fk_response_patient_id_patient")),
        sa.ForeignKeyConstraint(["supersedes_id"], ["response.id"],
                                name=op.f("fk_response_supersedes_id_response")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response")),
        sa.UniqueConstraint("invitation_id", "instrument_code",
                            name=op.f("uq_response_invitation_id_instrument_code")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_response_supersedes_id")),
    )
    op.create_index("ix_response_patient_instrument", "response",
                    ["patient_id", "instrument_code", "completed_at"])

    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", UTC_DATETIME, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ({})".format(", ".join(f"'{k}'" for k in ALERT_KINDS)),
                           name=op.f("ck_alert_kind")),
        sa.ForeignKeyConstraint(["acknowledged_by_id"], ["user.id"],
                                name=op.f("fk_alert_acknowledged_by_id_user")),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinic.id"], name=op.f("fk_alert_clinic_id_clinic")),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitation.id"],
                                name=op.f("fk_alert_invitation_id_invitation")),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"],
                                name=op.f("fk_alert_patient_id_patient")),
        sa.ForeignKeyConstraint(["response_id"], ["response.id"],
                                name=op.f("fk_alert_response_id_response")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        sa.UniqueConstraint("kind", "invitation_id", name=op.f("uq_alert_kind_invitation_id")),
        sa.UniqueConstraint("kind", "response_id", name=op.f("uq_alert_kind_response_id")),
    )
    op.create_index(op.f("ix_alert_clinic_id"), "alert", ["clinic_id"])
    op.create_index(op.f("ix_alert_patient_id"), "alert", ["patient_id"])


def downgrade():
    op.drop_table("alert")
    op.drop_table("response")
    op.drop_table("invitation")
    op.drop_table("measure_schedule")
    with op.batch_alter_table("clinic") as batch_op:
        batch_op.drop_column("reminder_after_days")
        batch_op.drop_column("link_expiry_days")
    with op.batch_alter_table("patient") as batch_op:
        batch_op.drop_column("episode_started_at")
