"""Alerts: something a clinician must look at, raised by outcome measures or by training logs.

A package of its own so that measures and programs can both raise alerts without importing
each other; rows refer to what raised them (a response, a week's link, a session log).
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.database import UTCDateTime, utcnow
from clinic.extensions import db

ALERT_KINDS = (
    "risk_item",
    "risk_item_unanswered",
    "review_item",
    "reliable_deterioration",
    "missed_questionnaires",
    "missed_sessions",
    "pain_reported",
    "high_rpe",
    "low_mood_skips",
    "not_on_track",
)
NOT_ON_TRACK = "not_on_track"
# Someone may be at risk: first in the inbox and on the dashboard, and set apart.
RISK_ALERT_KINDS = frozenset({"risk_item", "risk_item_unanswered"})
# Symptoms moving the wrong way: a review of the plan (after risk, before the rest).
REVIEW_ALERT_KINDS = frozenset({"reliable_deterioration", NOT_ON_TRACK})
# Alerts raised by training logs: a clinical trainer on the care team may acknowledge these.
# The others (risk items, symptom change, missed questionnaires) are the therapist's: a trainer
# sees that they are open and is told to tell the therapist (minimum necessary).
TRAINING_ALERT_KINDS = frozenset(
    {"missed_sessions", "pain_reported", "high_rpe", "low_mood_skips"})
ALERT_LABELS = {
    "risk_item": "Risk item answered",
    "risk_item_unanswered": "Risk item unanswered",
    "review_item": "Review item answered",
    "reliable_deterioration": "Reliable deterioration",
    "missed_questionnaires": "Two questionnaires missed in a row",
    "missed_sessions": "No session for two planned weeks",
    "pain_reported": "Pain reported in a session",
    "high_rpe": "Very hard sessions twice in a row",
    "low_mood_skips": "Three sessions skipped for low mood",
    "not_on_track": "Not on track: review the plan",
}
# The inbox's filter, in the order of need.
ALERT_KIND_GROUPS = {
    "risk": ("Risk", RISK_ALERT_KINDS),
    "review": ("Deterioration and not on track", REVIEW_ALERT_KINDS),
    "other": ("Missed weeks and training",
              frozenset(ALERT_KINDS) - RISK_ALERT_KINDS - REVIEW_ALERT_KINDS),
}


# How a closed alert was closed. Both fill ``acknowledged_at``/``acknowledged_by`` (when and by
# whom it left the inbox), so every "open alerts" query stays ``acknowledged_at IS NULL``.
ACKNOWLEDGED = "acknowledged"
RESOLVED_BY_CORRECTION = "resolved_by_correction"
# A not-on-track prompt whose window a later-dated PHQ-9 judged on track (or that a form
# entered late left without a decider): closed by the system when no clinician acted.
RESOLVED_BY_LATER_ANSWER = "resolved_by_later_answer"
RESOLUTIONS = (ACKNOWLEDGED, RESOLVED_BY_CORRECTION, RESOLVED_BY_LATER_ANSWER)
RESOLUTION_LABELS = {ACKNOWLEDGED: "Acknowledged", RESOLVED_BY_CORRECTION: "Resolved by correction",
                     RESOLVED_BY_LATER_ANSWER: "Resolved by a later answer"}


class Alert(db.Model):
    """Something a clinician must look at: a risk answer, a deterioration, missed weeks."""

    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    response_id: Mapped[int | None] = mapped_column(sa.ForeignKey("response.id"))
    invitation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invitation.id"))
    session_log_id: Mapped[int | None] = mapped_column(sa.ForeignKey("session_log.id"))
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    acknowledged_at: Mapped[object | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(sa.Text)
    # NULL while open; RESOLVED_BY_CORRECTION when a correction of the response that raised it
    # no longer meets it (``resolved_by_response_id`` is that correction).
    resolution: Mapped[str | None] = mapped_column(sa.String(32))
    resolved_by_response_id: Mapped[int | None] = mapped_column(sa.ForeignKey("response.id"))

    patient = relationship("Patient")
    response = relationship("Response", foreign_keys=[response_id])
    invitation = relationship("Invitation")
    session_log = relationship("SessionLog")
    acknowledged_by = relationship("User")
    resolved_by_response = relationship("Response", foreign_keys=[resolved_by_response_id])

    __table_args__ = (
        # The same cause never raises the same alert twice (send-due runs every hour).
        sa.UniqueConstraint("kind", "response_id"),
        sa.UniqueConstraint("kind", "invitation_id"),
        sa.UniqueConstraint("kind", "session_log_id"),
        sa.CheckConstraint("kind IN ({})".format(", ".join(f"'{k}'" for k in ALERT_KINDS)),
                           name="kind"),
        sa.CheckConstraint("resolution IS NULL OR resolution IN ({})".format(
            ", ".join(f"'{r}'" for r in RESOLUTIONS)), name="resolution"),
    )

    @property
    def is_open(self):
        return self.acknowledged_at is None

    @property
    def resolution_label(self):
        """"Acknowledged" or "Resolved by correction" for a closed alert; None while open."""
        if self.is_open:
            return None
        return RESOLUTION_LABELS[self.resolution or ACKNOWLEDGED]

    def resolve_by_correction(self, actor, now, correction, reason):
        """Close: the corrected answers no longer meet this alert. It stays in history."""
        self.acknowledged_at = now
        self.acknowledged_by_id = actor.id
        self.resolution = RESOLVED_BY_CORRECTION
        self.resolved_by_response_id = correction.id
        self.note = f"Resolved by correction: {reason}"

    def resolve_by_later_answer(self, actor, now, response_id):
        """Close a not-on-track prompt: its window's latest PHQ-9 is now under the cut point."""
        self.acknowledged_at = now
        self.acknowledged_by_id = getattr(actor, "id", None)
        self.resolution = RESOLVED_BY_LATER_ANSWER
        self.resolved_by_response_id = response_id
        self.note = "Resolved by a later answer: the window's latest PHQ-9 is under the cut point."
