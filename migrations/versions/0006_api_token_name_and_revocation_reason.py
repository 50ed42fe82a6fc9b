"""API tokens get a name (shown on their owner's list) and the reason they were revoked.

Revision ID: 0006
Revises: 0005

Reviewed by hand. Two columns on api_token; existing tokens are named "API token" by the
server default and keep a NULL reason (a revocation before this revision did not say why).
Batch mode: SQLite drops a column by rebuilding the table; api_token has no triggers.
Create Date: 2026-12-03 09:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_token") as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=80), server_default="API token",
                                      nullable=False))
        batch_op.add_column(sa.Column("revoked_reason", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("api_token") as batch_op:
        batch_op.drop_column("revoked_reason")
        batch_op.drop_column("name")
