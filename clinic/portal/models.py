"""The patient's own link for a patient without a program.

A patient keeps one link. With a program it is the program link (``assignment.token_hash``);
without one, a clinician issues this link from the patient page. It opens the same ``/p/``
pages: the questionnaire waiting for the patient, or a calm "nothing to do" page. When a
program is assigned, the program takes this link's salt and hash over, so the address the
patient keeps does not change (both are minted for the ``tokens.PROGRAM`` purpose).
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.database import UTCDateTime, utcnow
from clinic.extensions import db

END_REASONS = ("replaced", "revoked", "discharge", "program")


class PatientLink(db.Model):
    __tablename__ = "patient_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id"), index=True)
    token_salt: Mapped[str] = mapped_column(sa.String(32))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[object | None] = mapped_column(UTCDateTime)
    # replaced / revoked / discharge / program (a program took the link over)
    end_reason: Mapped[str | None] = mapped_column(sa.String(16))

    patient = relationship("Patient")

    __table_args__ = (
        sa.CheckConstraint(
            "end_reason IS NULL OR end_reason IN ('replaced', 'revoked', 'discharge', 'program')",
            name="end_reason",
        ),
        # One working link per patient, whatever two requests do at once.
        sa.Index(
            "uq_patient_link_one_current",
            "patient_id",
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        ),
    )
