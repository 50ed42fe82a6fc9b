"""Alerts: the PHQ-9 "not on track" review prompt (a kind of its own) and its closing by a
later answer.

Revision ID: 0014
Revises: 0013

Reviewed by hand. Only the two CHECK constraints of ``alert`` change: ``kind`` gains
``not_on_track`` and ``resolution`` gains ``resolved_by_later_answer``. The downgrade deletes
the rows it can no longer hold: not-on-track prompts (derived from the PHQ-9s, which stay) and
so the resolution only they use.
Create Date: 2026-12-03 16:00:00

"""

import sqlalchemy as sa
from alembic import op

OLD_KINDS = (
    "risk_item",
    "risk_item_unanswered",
    "review_item",
    "reliable_deterioration",
    "missed_questionnaires",
    "missed_sessions",
    "pain_reported",
    "high_rpe",
    "low_mood_skips",
)
NEW_KINDS = OLD_KINDS + ("not_on_track",)
OLD_RESOLUTIONS = ("acknowledged", "resolved_by_correction")
NEW_RESOLUTIONS = OLD_RESOLUTIONS + ("resolved_by_later_answer",)

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _quoted(values):
    return ", ".join(f"'{v}'" for v in values)


def _swap_checks(kinds, resolutions):
    """Swap both checks, on both databases (SQLite rebuilds the table to change a CHECK)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("alert", recreate="always" if sqlite else "auto") as batch_op:
        batch_op.drop_constraint(op.f("ck_alert_kind"), type_="check")
        batch_op.drop_constraint(op.f("ck_alert_resolution"), type_="check")
        batch_op.create_check_constraint("kind", f"kind IN ({_quoted(kinds)})")
        batch_op.create_check_constraint(
            "resolution", f"resolution IS NULL OR resolution IN ({_quoted(resolutions)})"
        )


def upgrade():
    _swap_checks(NEW_KINDS, NEW_RESOLUTIONS)


def downgrade():
    op.execute(sa.text("DELETE FROM alert WHERE kind = 'not_on_track'"))
    _swap_checks(OLD_KINDS, OLD_RESOLUTIONS)
