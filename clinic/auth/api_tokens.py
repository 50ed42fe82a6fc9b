"""API tokens: bearer credentials for the JSON API, stored only as a SHA-256.

A token is ``secrets.token_urlsafe(32)``; the row keeps its hash, so a copy of the database
opens nothing. Tokens expire (``API_TOKEN_LIFETIME``), can be revoked by their owner or a clinic
admin, and stop working when their user is deactivated.
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.database import UTCDateTime, utcnow
from clinic.extensions import db


class ApiToken(db.Model):
    """One bearer token of one clinician."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[object] = mapped_column(UTCDateTime)
    revoked_at: Mapped[object | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[object | None] = mapped_column(UTCDateTime)

    user = relationship("User")

    def state(self, now):
        """'active', 'expired' or 'revoked': what the admin page shows."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"
