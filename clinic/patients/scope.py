"""The care-team rule, written once: who may see which patient, and who may manage them.

- a clinic admin sees every patient of their clinic;
- a therapist or trainer sees a patient only while on that patient's care team;
- nobody sees another clinic's patients;
- minimum necessary (HIPAA 164.502(b)): a clinical trainer on the care team sees symptom
  totals, bands, change and that a risk alert is open, never item-level answers, and does not
  enter, correct or export questionnaires (``require_item_access``: 403 for a trainer on the
  team, 404 still for anyone off it).

Every view and service that touches a patient goes through ``visible_patients`` or
``visible_patient``; a patient outside the caller's scope answers 404, never 403.
"""

import sqlalchemy as sa

from clinic.errors import NotAllowed, NotFound
from clinic.extensions import db
from clinic.patients.models import CareTeamMember, Patient


def visible_patients(user):
    """A select of the patients ``user`` may see."""
    query = sa.select(Patient).where(Patient.clinic_id == user.clinic_id)
    if not user.is_admin:
        on_team = sa.select(CareTeamMember.id).where(
            CareTeamMember.patient_id == Patient.id, CareTeamMember.user_id == user.id
        )
        query = query.where(on_team.exists())
    return query


def visible_patient(user, patient_id):
    """The patient if ``user`` may see them.

    :raises NotFound: when they may not, exactly as for a missing id.
    """
    patient = db.session.scalar(visible_patients(user).where(Patient.id == patient_id))
    if patient is None:
        raise NotFound("patient")
    return patient


def is_primary_clinician(user, patient):
    """True when ``user`` is the patient's primary clinician."""
    return any(m.user_id == user.id and m.is_primary for m in patient.care_team)


def can_manage(user, patient):
    """Discharge, reactivate and care-team changes: the clinic admin or the primary clinician."""
    return user.clinic_id == patient.clinic_id and (
        user.is_admin or is_primary_clinician(user, patient)
    )


def require_manage(user, patient):
    """:raises NotAllowed: ``user`` may see the patient but not manage their care."""
    if not can_manage(user, patient):
        raise NotAllowed("Only the primary clinician or a clinic admin can do this.")


def is_trainer(user):
    return getattr(user, "role", None) == "trainer"


def can_see_item_answers(user):
    """Item-level questionnaire answers: admins and therapists, never clinical trainers."""
    return not is_trainer(user)


def require_item_access(user, what="see item-level questionnaire answers"):
    """:raises NotAllowed: ``user`` is a clinical trainer (call after ``visible_patient``)."""
    if not can_see_item_answers(user):
        raise NotAllowed(f"Clinical trainers cannot {what}: totals, bands and change only. "
                         "Ask the patient's therapist.")
