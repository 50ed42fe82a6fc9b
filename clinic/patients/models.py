"""Patients and care teams. PHI is kept minimal: a display name, the clinic's reference."""

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from clinic.database import UTCDateTime, utcnow
from clinic.extensions import db
from clinic.patients.folding import reference_key, search_key

ACTIVE = "active"
DISCHARGED = "discharged"


class Patient(db.Model):
    """A person in the clinic's care; they never log in (they get links)."""

    __tablename__ = "patient"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(sa.ForeignKey("clinic.id"), index=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    reference: Mapped[str] = mapped_column(sa.String(40))
    # Kept in step with the two columns above (see the validators): the reference as it is
    # unique (no case, no surrounding spaces) and the name as it is searched (no accents).
    reference_key: Mapped[str] = mapped_column(sa.String(160))  # casefold can lengthen text
    name_key: Mapped[str] = mapped_column(sa.Text)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    date_of_birth: Mapped[object | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), default=ACTIVE)
    discharged_at: Mapped[object | None] = mapped_column(UTCDateTime)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # The patient's id outside this database (the FHIR Patient.id): random, so two deployments
    # never issue the same one, and stored, so every export names the patient the same way.
    fhir_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, default=uuid.uuid4, unique=True)

    clinic = relationship("Clinic")
    care_team = relationship(
        "CareTeamMember", back_populates="patient", cascade="all, delete-orphan",
        order_by="(CareTeamMember.is_primary.desc(), CareTeamMember.id)",
    )
    episodes = relationship("Episode", back_populates="patient", cascade="all, delete-orphan",
                            order_by="Episode.start")

    __table_args__ = (
        sa.UniqueConstraint("clinic_id", "reference_key"),
        sa.CheckConstraint("status IN ('active', 'discharged')", name="status"),
    )

    @validates("reference")
    def _keep_reference_key(self, _key, value):
        self.reference_key = reference_key(value)
        return value

    @validates("display_name")
    def _keep_name_key(self, _key, value):
        self.name_key = search_key(value)
        return value

    @property
    def is_active(self):
        return self.status == ACTIVE

    @property
    def primary_clinician(self):
        return next((m.user for m in self.care_team if m.is_primary), None)


class CareTeamMember(db.Model):
    """A clinician on a patient's care team; exactly one member is the primary clinician."""

    __tablename__ = "care_team"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    is_primary: Mapped[bool] = mapped_column(default=False)
    added_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    patient = relationship("Patient", back_populates="care_team")
    user = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("patient_id", "user_id"),
        # At most one primary per patient, enforced by the database on both engines.
        sa.Index(
            "uq_care_team_one_primary", "patient_id", unique=True,
            sqlite_where=sa.text("is_primary"), postgresql_where=sa.text("is_primary"),
        ),
    )


class Episode(db.Model):
    """An episode of care: from its start (the referral date the clinician sets) to discharge.

    Dates are calendar days in the clinic's time zone. A response belongs to the episode whose
    dates contain its clinical date (the day it was completed), never the day it was entered
    (shared/INSTRUMENTS.md, "Episodes of care and the clinical timeline"). A patient's episodes
    never overlap: a new one starts after the previous one's start, and ends that one the day
    before (``clinic.patients.services.start_episode``).
    """

    __tablename__ = "episode"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patient.id", ondelete="CASCADE"))
    start: Mapped[object] = mapped_column("starts_on", sa.Date)
    end: Mapped[object | None] = mapped_column("ends_on", sa.Date)
    # Why a clinician started it ("" for the first episode and a reactivation).
    reason: Mapped[str | None] = mapped_column(sa.Text)
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    patient = relationship("Patient", back_populates="episodes")
    started_by = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("patient_id", "starts_on"),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates"),
    )

    def contains(self, day):
        """Whether the calendar ``day`` lies in this episode."""
        return self.start <= day and (self.end is None or day <= self.end)
