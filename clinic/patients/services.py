"""Use cases of patients and care teams. Each writing function is one audited transaction."""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from clinic.audit.services import record
from clinic.auth.models import Role, User
from clinic.database import utcnow, write_transaction
from clinic.errors import NotAllowed, NotFound, ServiceError
from clinic.extensions import db
from clinic.measures.models import Invitation
from clinic.patients.models import ACTIVE, DISCHARGED, CareTeamMember, Patient
from clinic.patients.scope import require_manage, visible_patient, visible_patients
from clinic.programs.models import Assignment, AssignmentEvent

PATIENT_FIELDS = ("display_name", "reference", "email", "date_of_birth")
CARE_TEAM_ROLES = (Role.THERAPIST, Role.TRAINER)


def _escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def caseload(user, *, search="", status=ACTIVE):
    """A select of the patients ``user`` may see, searched by name or reference.

    Care teams (and their users) come in one extra statement per page, not one per row: the
    list shows each patient's primary clinician.
    """
    query = visible_patients(user).options(
        selectinload(Patient.care_team).selectinload(CareTeamMember.user))
    if status in (ACTIVE, DISCHARGED):
        query = query.where(Patient.status == status)
    search = (search or "").strip()
    if search:
        pattern = f"%{_escape_like(search)}%"
        query = query.where(
            sa.or_(Patient.display_name.ilike(pattern, escape="\\"),
                   Patient.reference.ilike(pattern, escape="\\"))
        )
    return query.order_by(sa.func.lower(Patient.display_name), Patient.id)


def can_create_patients(user):
    """Therapists and clinic admins add patients; a trainer works with those assigned."""
    return user.role in (Role.THERAPIST, Role.ADMIN)


@write_transaction
def open_patient(user, patient_id):
    """Load a patient for their page, recording that ``user`` viewed the record."""
    patient = visible_patient(user, patient_id)
    record("patient_view", actor=user, obj=patient, patient_id=patient.id)
    return patient


def _clean(data):
    cleaned = {field: data.get(field) for field in PATIENT_FIELDS}
    cleaned["display_name"] = (cleaned["display_name"] or "").strip()
    cleaned["reference"] = (cleaned["reference"] or "").strip()
    cleaned["email"] = (cleaned["email"] or "").strip().lower() or None
    # The forms check this too; the service holds the rule for every caller (the API included).
    if not cleaned["display_name"]:
        raise ServiceError("Enter the name the patient goes by.", field="display_name")
    if not cleaned["reference"]:
        raise ServiceError("Enter the clinic's reference (case number).", field="reference")
    return cleaned


def _check_reference_free(clinic_id, reference, except_id=None):
    query = sa.select(Patient.id).where(Patient.clinic_id == clinic_id,
                                        Patient.reference == reference)
    if except_id is not None:
        query = query.where(Patient.id != except_id)
    if db.session.scalar(query) is not None:
        raise ServiceError("Another patient of this clinic already has this reference.",
                           field="reference")


def _flush_or_reference_taken():
    try:
        db.session.flush()
    except IntegrityError as error:  # two clinicians saving the same reference at once
        raise ServiceError("Another patient of this clinic already has this reference.",
                           field="reference") from error


def _clinician_of_clinic(clinic_id, user_id, field):
    user = db.session.scalar(
        sa.select(User).where(User.id == user_id, User.clinic_id == clinic_id,
                              User.active.is_(True), User.role.in_(CARE_TEAM_ROLES))
    )
    if user is None:
        raise ServiceError("Choose an active therapist or trainer of this clinic.", field=field)
    return user


@write_transaction
def create_patient(actor, data, primary_clinician_id=None):
    """Add a patient; a therapist becomes their primary clinician, an admin names one."""
    if not can_create_patients(actor):
        raise NotAllowed("Only therapists and clinic admins can add patients.")
    cleaned = _clean(data)
    _check_reference_free(actor.clinic_id, cleaned["reference"])
    if actor.is_admin:
        primary = _clinician_of_clinic(actor.clinic_id, primary_clinician_id, "primary_clinician")
    else:
        primary = actor
    patient = Patient(clinic_id=actor.clinic_id, created_by_id=actor.id, status=ACTIVE, **cleaned)
    patient.care_team.append(CareTeamMember(user=primary, is_primary=True))
    db.session.add(patient)
    _flush_or_reference_taken()
    record("patient_create", actor=actor, obj=patient, patient_id=patient.id)
    return patient


@write_transaction
def update_patient(actor, patient_id, data, *, partial=False):
    """Change a patient's details; anyone who may see the patient may correct them.

    With ``partial`` (the API's PATCH), fields left out of ``data`` keep their value.
    """
    patient = visible_patient(actor, patient_id)
    if partial:
        data = {field: getattr(patient, field) for field in PATIENT_FIELDS} | data
    cleaned = _clean(data)
    _check_reference_free(actor.clinic_id, cleaned["reference"], except_id=patient.id)
    changed = sorted(f for f in PATIENT_FIELDS if getattr(patient, f) != cleaned[f])
    for field, value in cleaned.items():
        setattr(patient, field, value)
    _flush_or_reference_taken()
    # Field names only: the audit trail never holds PHI values.
    record("patient_update", actor=actor, obj=patient, patient_id=patient.id, fields=changed)
    return patient


@write_transaction
def set_discharged(actor, patient_id, discharged):
    """Discharge a patient from care, or reactivate them; their history stays."""
    patient = visible_patient(actor, patient_id)
    require_manage(actor, patient)
    if discharged and patient.status != DISCHARGED:
        patient.status, patient.discharged_at = DISCHARGED, utcnow()
        record("patient_discharge", actor=actor, obj=patient, patient_id=patient.id)
        _end_links(actor, patient, patient.discharged_at)
    elif not discharged and patient.status != ACTIVE:
        patient.status, patient.discharged_at = ACTIVE, None
        patient.episode_started_at = utcnow()  # a new episode of care: a new baseline
        record("patient_reactivate", actor=actor, obj=patient, patient_id=patient.id)
    return patient


def _end_links(actor, patient, now):
    """Discharge ends the patient's links: every open questionnaire link and every working
    program link is revoked, each audited, in the discharge's transaction. Reactivation makes no
    new ones: the clinician sends new links when care starts again."""
    open_links = db.session.scalars(sa.select(Invitation).where(
        Invitation.patient_id == patient.id, Invitation.completed_at.is_(None),
        Invitation.revoked_at.is_(None), Invitation.expires_at > now).order_by(Invitation.id))
    for invitation in open_links:
        invitation.revoked_at = now
        record("invitation_revoke", actor=actor, obj=invitation, patient_id=patient.id,
               reason="discharge")
    live_programs = db.session.scalars(sa.select(Assignment).where(
        Assignment.patient_id == patient.id, Assignment.link_revoked_at.is_(None))
        .order_by(Assignment.id))
    for assignment in live_programs:
        assignment.link_revoked_at = now
        db.session.add(AssignmentEvent(assignment=assignment, kind="link_revoke",
                                       reason="discharge", by_id=actor.id, detail={}))
        record("program_link_revoke", actor=actor, obj=assignment, patient_id=patient.id,
               reason="discharge")


def candidates_for_care_team(patient):
    """Active therapists and trainers of the clinic not yet on the team."""
    on_team = {m.user_id for m in patient.care_team}
    return [
        u for u in db.session.scalars(
            sa.select(User).where(User.clinic_id == patient.clinic_id, User.active.is_(True),
                                  User.role.in_(CARE_TEAM_ROLES)).order_by(User.name)
        )
        if u.id not in on_team
    ]


@write_transaction
def add_to_care_team(actor, patient_id, user_id):
    """Add a clinician of the same clinic to a patient's care team."""
    patient = visible_patient(actor, patient_id)
    require_manage(actor, patient)
    user = _clinician_of_clinic(patient.clinic_id, user_id, "user_id")
    if any(m.user_id == user.id for m in patient.care_team):
        raise ServiceError(f"{user.name} is already on the care team.", field="user_id")
    patient.care_team.append(CareTeamMember(user=user, is_primary=False))
    db.session.flush()
    record("care_team_add", actor=actor, obj=patient, patient_id=patient.id, user_id=user.id)
    return patient


def _member(patient, member_id):
    """A row of this patient's care team; another patient's row is as missing as none."""
    member = next((m for m in patient.care_team if m.id == member_id), None)
    if member is None:
        raise NotFound("care team member")
    return member


@write_transaction
def remove_from_care_team(actor, patient_id, member_id):
    """Take a clinician off the care team; the primary clinician must be replaced first."""
    patient = visible_patient(actor, patient_id)
    member = _member(patient, member_id)  # another patient's row: 404 before any 403
    require_manage(actor, patient)
    if member.is_primary:
        raise ServiceError("Make someone else the primary clinician before removing this one.")
    patient.care_team.remove(member)
    record("care_team_remove", actor=actor, obj=patient, patient_id=patient.id,
           user_id=member.user_id)
    return patient


@write_transaction
def make_primary(actor, patient_id, member_id):
    """Hand the primary-clinician role to another care-team member."""
    patient = visible_patient(actor, patient_id)
    member = _member(patient, member_id)  # another patient's row: 404 before any 403
    require_manage(actor, patient)
    if member.is_primary:
        return patient
    for other in patient.care_team:
        if other.is_primary:
            other.is_primary = False
    db.session.flush()  # clear the old primary before the one-primary index sees the new one
    member.is_primary = True
    record("care_team_primary", actor=actor, obj=patient, patient_id=patient.id,
           user_id=member.user_id)
    return patient
