"""Two-step login (TOTP credentials, recovery codes, the clinic's requirement) and an audit
trail you can prove: a hash chain over audit_event and triggers that refuse UPDATE and DELETE.

Revision ID: 0005
Revises: 0004

Reviewed by hand. Existing audit rows are chained in id order during the upgrade, with the same
canonical form the app uses (clinic.audit.chain: a stored format, changed only by a migration).
SQLite rebuilds audit_event in batch mode (NOT NULL and UNIQUE on the new columns), which drops
its triggers: they are created after every rebuild, and dropped before the downgrade's.
Create Date: 2026-11-25 02:00:00

"""
from datetime import UTC

import sqlalchemy as sa
from alembic import op

from clinic.audit.chain import CHAINED_FIELDS, GENESIS
from clinic.audit.chain import sha256_link as link  # 0005's unkeyed format (0007 keys it)

UTC_DATETIME = sa.DateTime(timezone=True)

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END",
)
POSTGRES_TRIGGERS = (
    "CREATE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP; END $$",
    "CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()",
    # TRUNCATE fires no row trigger: it gets a statement trigger of its own.
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()",
)
DROP_SQLITE_TRIGGERS = ("DROP TRIGGER IF EXISTS audit_event_no_update",
                        "DROP TRIGGER IF EXISTS audit_event_no_delete")
DROP_POSTGRES_TRIGGERS = (
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
    "DROP TRIGGER IF EXISTS audit_event_no_update_delete ON audit_event",
    "DROP FUNCTION IF EXISTS audit_event_refuse_change()",
)


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def _chain_existing_rows():
    """Number and hash the rows written before the chain existed, oldest first."""
    audit = sa.table(
        "audit_event", sa.column("id", sa.Integer), sa.column("at", UTC_DATETIME),
        sa.column("detail", sa.JSON), sa.column("seq", sa.BigInteger),
        sa.column("hash", sa.String),
        *(sa.column(name) for name in CHAINED_FIELDS if name not in ("at", "detail", "seq")),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(audit).order_by(audit.c.id)).mappings().all()
    previous = GENESIS
    for seq, row in enumerate(rows, start=1):
        values = dict(row, seq=seq)
        if values["at"].tzinfo is None:
            values["at"] = values["at"].replace(tzinfo=UTC)
        previous = link(previous, values)
        bind.execute(audit.update().where(audit.c.id == row["id"]).values(seq=seq, hash=previous))


def upgrade():
    op.create_table(
        "mfa_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("last_used_step", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("enabled_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"],
                                name=op.f("fk_mfa_credential_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_credential")),
        sa.UniqueConstraint("user_id", name=op.f("uq_mfa_credential_user_id")),
    )
    op.create_table(
        "mfa_recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("used_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"],
                                name=op.f("fk_mfa_recovery_code_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_recovery_code")),
        sa.UniqueConstraint("user_id", "code_hash",
                            name=op.f("uq_mfa_recovery_code_user_id_code_hash")),
    )
    op.create_index(op.f("ix_mfa_recovery_code_user_id"), "mfa_recovery_code", ["user_id"])
    with op.batch_alter_table("clinic") as batch_op:
        batch_op.add_column(sa.Column("mfa_required_for_clinicians", sa.Boolean(),
                                      server_default=sa.false(), nullable=False))

    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing_rows()
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(op.f("uq_audit_event_seq"), ["seq"])
    for statement in SQLITE_TRIGGERS if _sqlite() else POSTGRES_TRIGGERS:
        op.execute(statement)


def downgrade():
    for statement in DROP_SQLITE_TRIGGERS if _sqlite() else DROP_POSTGRES_TRIGGERS:
        op.execute(statement)
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.drop_constraint(op.f("uq_audit_event_seq"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("seq")
    with op.batch_alter_table("clinic") as batch_op:
        batch_op.drop_column("mfa_required_for_clinicians")
    op.drop_table("mfa_recovery_code")  # its index goes with it
    op.drop_table("mfa_credential")
