"""Safe progression and honest logs (the patient's equipment, the quick log's marker) and FHIR
ids that are globally unique.

Revision ID: 0010
Revises: 0009

Reviewed by hand.
- ``assignment.equipment_loads`` (JSON, nullable): the loads the patient can make with their own
  equipment; NULL (not recorded) for every existing program.
- ``session_log.as_planned`` (boolean, default false): the session was logged with the quick
  "done as planned" path, its reps not counted. Existing rows stay false and keep their reps:
  before this revision the quick path stored the bottom of the rep range and kept no marker
  (no source, no flag), so a stored set cannot be told from one the patient typed. History is
  left as it is; only sessions logged from now on are marked.
- ``patient.fhir_id`` and ``response.fhir_id`` (UUID, unique, not null): the ids a FHIR export
  gives them. Existing rows get a random UUID each here (row by row, so the upgrade needs no
  database-specific function); the ids an export made before this revision gave (uuid5 of the
  local database id) are not kept: they could collide across deployments.
Batch mode for SQLite (a table copy; migrations/env.py turns foreign keys off around it).
Create Date: 2026-12-03 13:00:00

"""
import uuid

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _backfill_uuid(table_name):
    table = sa.table(table_name, sa.column("id", sa.Integer()), sa.column("fhir_id", sa.Uuid()))
    connection = op.get_bind()
    ids = connection.execute(sa.select(table.c.id).order_by(table.c.id)).scalars().all()
    for row_id in ids:
        connection.execute(table.update().where(table.c.id == row_id)
                           .values(fhir_id=uuid.uuid4()))


def upgrade():
    with op.batch_alter_table("assignment") as batch_op:
        batch_op.add_column(sa.Column("equipment_loads", sa.JSON(), nullable=True))
    with op.batch_alter_table("session_log") as batch_op:
        batch_op.add_column(sa.Column("as_planned", sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    for table_name in ("patient", "response"):
        with op.batch_alter_table(table_name) as batch_op:
            batch_op.add_column(sa.Column("fhir_id", sa.Uuid(), nullable=True))
        _backfill_uuid(table_name)
        with op.batch_alter_table(table_name) as batch_op:
            batch_op.alter_column("fhir_id", existing_type=sa.Uuid(), nullable=False)
            batch_op.create_unique_constraint(op.f(f"uq_{table_name}_fhir_id"), ["fhir_id"])


def downgrade():
    for table_name in ("response", "patient"):
        with op.batch_alter_table(table_name) as batch_op:
            batch_op.drop_constraint(op.f(f"uq_{table_name}_fhir_id"), type_="unique")
            batch_op.drop_column("fhir_id")
    with op.batch_alter_table("session_log") as batch_op:
        batch_op.drop_column("as_planned")
    with op.batch_alter_table("assignment") as batch_op:
        batch_op.drop_column("equipment_loads")
