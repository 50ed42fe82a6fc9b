"""Patient references unique whatever their case and surrounding spaces; names searched
without case or accents.

Revision ID: 0016
Revises: 0015

Reviewed by hand.
- ``patient.reference_key`` (the reference stripped and casefolded) replaces ``reference`` in
  the clinic's unique constraint, so "REF-7" and " ref-7" can no longer be two patients.
  ``patient.name_key`` (the name without case or accents) is what the caseload search reads.
  Both are computed in Python (``clinic.patients.folding``), the same on both databases.
- Existing references are stripped of surrounding spaces. Where two patients of a clinic
  already share a reference up to case, the first added keeps it and each later one gets
  `` (duplicate <id>)`` appended (cut to fit 40 characters), so nobody is merged or lost and
  the clinic can see and correct them on the patients' pages.
- The downgrade drops the keys and puts the old case-sensitive constraint back (the renamed
  references stay distinct, so it always applies).
Batch mode for SQLite (a table copy; migrations/env.py turns foreign keys off around it).
Create Date: 2026-12-03 16:00:00

"""

import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

REFERENCE_MAX = 40


# The functions of clinic.patients.folding, copied: a revision must not change when app code does.
def _reference_key(reference):
    return (reference or "").strip().casefold()


def _search_key(text):
    decomposed = unicodedata.normalize("NFKD", (text or "").strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _fill_keys():
    patient = sa.table(
        "patient",
        sa.column("id", sa.Integer()),
        sa.column("clinic_id", sa.Integer()),
        sa.column("display_name", sa.String()),
        sa.column("reference", sa.String()),
        sa.column("reference_key", sa.String()),
        sa.column("name_key", sa.Text()),
    )
    connection = op.get_bind()
    taken = set()
    rows = connection.execute(
        sa.select(
            patient.c.id, patient.c.clinic_id, patient.c.display_name, patient.c.reference
        ).order_by(patient.c.id)
    ).all()
    for row_id, clinic_id, name, reference in rows:
        reference = (reference or "").strip()
        if (clinic_id, _reference_key(reference)) in taken:
            suffix = f" (duplicate {row_id})"
            reference = reference[: REFERENCE_MAX - len(suffix)] + suffix
        taken.add((clinic_id, _reference_key(reference)))
        connection.execute(
            patient.update()
            .where(patient.c.id == row_id)
            .values(
                reference=reference,
                reference_key=_reference_key(reference),
                name_key=_search_key(name),
            )
        )


def upgrade():
    with op.batch_alter_table("patient") as batch_op:
        batch_op.add_column(sa.Column("reference_key", sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column("name_key", sa.Text(), nullable=True))
    _fill_keys()
    with op.batch_alter_table("patient") as batch_op:
        batch_op.alter_column("reference_key", existing_type=sa.String(length=160), nullable=False)
        batch_op.alter_column("name_key", existing_type=sa.Text(), nullable=False)
        batch_op.drop_constraint(op.f("uq_patient_clinic_id_reference"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_patient_clinic_id_reference_key"), ["clinic_id", "reference_key"]
        )


def downgrade():
    with op.batch_alter_table("patient") as batch_op:
        batch_op.drop_constraint(op.f("uq_patient_clinic_id_reference_key"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_patient_clinic_id_reference"), ["clinic_id", "reference"]
        )
        batch_op.drop_column("name_key")
        batch_op.drop_column("reference_key")
