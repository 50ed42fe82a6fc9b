"""Episodes of care on the clinical timeline; alerts resolved by correction.

Revision ID: 0009
Revises: 0008

Reviewed by hand. A new ``episode`` table (start and end dates on the clinic's calendar, the
reason a clinician gave, who started it) replaces ``patient.episode_started_at``. Existing
patients get:
- their current episode from ``episode_started_at`` as a date in the clinic's time zone, ended
  on the discharge date (same zone) when discharged;
- when ``episode_started_at`` fell after the day they were added (a reactivation), an earlier
  episode from that day to the day before, so the forms of that time keep an episode.
Alerts gain ``resolution`` (acknowledged / resolved_by_correction; existing acknowledged rows
become "acknowledged") and ``resolved_by_response_id``.
The downgrade puts ``episode_started_at`` back as the current episode's start at midnight in
the clinic's zone (``created_at`` for a patient without an episode) and drops the rest.
Create Date: 2026-12-03 12:30:00

"""
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

UTC_DATETIME = sa.DateTime(timezone=True)

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _aware(value):
    """A stored UTC moment as an aware datetime (SQLite returns it naive, or as text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def upgrade():
    op.create_table(
        "episode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on",
                           name=op.f("ck_episode_dates")),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"], ondelete="CASCADE",
                                name=op.f("fk_episode_patient_id_patient")),
        sa.ForeignKeyConstraint(["started_by_id"], ["user.id"],
                                name=op.f("fk_episode_started_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episode")),
        sa.UniqueConstraint("patient_id", "starts_on",
                            name=op.f("uq_episode_patient_id_starts_on")),
    )
    bind = op.get_bind()
    episode = sa.table("episode", sa.column("patient_id", sa.Integer),
                       sa.column("starts_on", sa.Date), sa.column("ends_on", sa.Date),
                       sa.column("reason", sa.Text), sa.column("created_at", UTC_DATETIME))
    now = datetime.now(UTC)
    rows = []
    for patient_id, created_at, started_at, status, discharged_at, zone in bind.execute(sa.text(
            "SELECT patient.id, patient.created_at, patient.episode_started_at, patient.status, "
            "patient.discharged_at, clinic.timezone FROM patient "
            "JOIN clinic ON clinic.id = patient.clinic_id ORDER BY patient.id")):
        tz = ZoneInfo(zone)
        added = _aware(created_at).astimezone(tz).date()
        start = _aware(started_at).astimezone(tz).date()
        end = None
        if status == "discharged" and discharged_at is not None:
            end = max(start, _aware(discharged_at).astimezone(tz).date())
        if added < start:
            rows.append({"patient_id": patient_id, "starts_on": added,
                         "ends_on": start - timedelta(days=1),
                         "reason": "Before a reactivation (carried over)", "created_at": now})
        rows.append({"patient_id": patient_id, "starts_on": start, "ends_on": end,
                     "reason": None, "created_at": now})
    if rows:
        op.bulk_insert(episode, rows)
    with op.batch_alter_table("patient") as batch_op:
        batch_op.drop_column("episode_started_at")

    with op.batch_alter_table("alert") as batch_op:
        batch_op.add_column(sa.Column("resolution", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("resolved_by_response_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_alert_resolved_by_response_id_response"),
                                    "response", ["resolved_by_response_id"], ["id"])
        batch_op.create_check_constraint(
            op.f("ck_alert_resolution"),
            "resolution IS NULL OR resolution IN ('acknowledged', 'resolved_by_correction')")
    op.execute("UPDATE alert SET resolution = 'acknowledged' WHERE acknowledged_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table("alert") as batch_op:
        batch_op.drop_constraint(op.f("ck_alert_resolution"), type_="check")
        batch_op.drop_constraint(op.f("fk_alert_resolved_by_response_id_response"),
                                 type_="foreignkey")
        batch_op.drop_column("resolved_by_response_id")
        batch_op.drop_column("resolution")

    with op.batch_alter_table("patient") as batch_op:
        batch_op.add_column(sa.Column("episode_started_at", UTC_DATETIME, nullable=True))
    bind = op.get_bind()
    patient = sa.table("patient", sa.column("id", sa.Integer),
                       sa.column("episode_started_at", UTC_DATETIME))
    for patient_id, zone, start in bind.execute(sa.text(
            "SELECT patient.id, clinic.timezone, (SELECT max(episode.starts_on) FROM episode "
            "WHERE episode.patient_id = patient.id) FROM patient "
            "JOIN clinic ON clinic.id = patient.clinic_id")).all():
        if start is None:
            continue
        if isinstance(start, str):
            start = datetime.fromisoformat(start).date()
        moment = datetime.combine(start, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)
        bind.execute(sa.update(patient).where(patient.c.id == patient_id)
                     .values(episode_started_at=moment))
    op.execute("UPDATE patient SET episode_started_at = created_at "
               "WHERE episode_started_at IS NULL")
    with op.batch_alter_table("patient") as batch_op:
        batch_op.alter_column("episode_started_at", existing_type=UTC_DATETIME, nullable=False)
    op.drop_table("episode")
