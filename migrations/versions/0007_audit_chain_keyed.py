"""The audit chain becomes keyed: every existing row is re-chained with
``HMAC-SHA256(AUDIT_KEY, previous hash + canonical row)`` instead of plain SHA-256.

Revision ID: 0007
Revises: 0006

Reviewed by hand. The key is the running app's ``AUDIT_KEY``, read the way the app reads it:
this revision runs inside the Flask app (``flask db upgrade`` through Flask-Migrate), and takes
``current_app.config["AUDIT_KEY"]``, which ``clinic.config.build`` sets from the ``AUDIT_KEY``
environment variable or, when that is unset, derives from ``SECRET_KEY`` (HKDF). So run the
upgrade with the same ``AUDIT_KEY`` (or ``SECRET_KEY``) as the app that will serve the data, or
``flask audit verify`` fails on every row afterwards. Only the ``hash`` column changes: ``seq``
and the canonical form stay. The append-only triggers (0005) are set aside for the re-chain
only: on PostgreSQL disabled and enabled again (the owner may), on SQLite dropped and created
again from their stored SQL. The downgrade re-chains with the unkeyed SHA-256 of 0005.
No schema change.
Create Date: 2026-12-03 10:00:00

"""
from datetime import UTC

import sqlalchemy as sa
from alembic import op
from flask import current_app

from clinic.audit.chain import CHAINED_FIELDS, GENESIS, link, sha256_link

UTC_DATETIME = sa.DateTime(timezone=True)

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The append-only triggers of 0005, set aside for the re-chain only.
DISABLE_POSTGRES_TRIGGER = "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_delete"
ENABLE_POSTGRES_TRIGGER = "ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update_delete"
SQLITE_TRIGGERS = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' " \
                  "AND tbl_name = 'audit_event'"
DROP_SQLITE_TRIGGERS = ("DROP TRIGGER audit_event_no_update", "DROP TRIGGER audit_event_no_delete")


def _rechain(link_of):
    """Recompute every row's hash in seq order with ``link_of(previous, row)``."""
    bind = op.get_bind()
    audit = sa.table(
        "audit_event", sa.column("id", sa.Integer), sa.column("at", UTC_DATETIME),
        sa.column("detail", sa.JSON), sa.column("hash", sa.String),
        *(sa.column(name) for name in CHAINED_FIELDS if name not in ("at", "detail")),
    )
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        stored = [sql for _, sql in bind.execute(sa.text(SQLITE_TRIGGERS))]
        if len(stored) != len(DROP_SQLITE_TRIGGERS):
            raise RuntimeError("audit_event's append-only triggers (0005) are not in place")
        for statement in DROP_SQLITE_TRIGGERS:
            bind.execute(sa.text(statement))
    else:
        bind.execute(sa.text(DISABLE_POSTGRES_TRIGGER))
    previous = GENESIS
    for row in bind.execute(sa.select(audit).order_by(audit.c.seq)).mappings().all():
        values = dict(row)
        if values["at"].tzinfo is None:
            values["at"] = values["at"].replace(tzinfo=UTC)
        previous = link_of(previous, values)
        bind.execute(audit.update().where(audit.c.id == row["id"]).values(hash=previous))
    if sqlite:
        for sql in stored:  # the triggers' own stored SQL, as 0005 created them
            bind.exec_driver_sql(sql)
    else:
        bind.execute(sa.text(ENABLE_POSTGRES_TRIGGER))


def upgrade():
    key = current_app.config["AUDIT_KEY"]
    _rechain(lambda previous, row: link(key, previous, row))


def downgrade():
    _rechain(sha256_link)
