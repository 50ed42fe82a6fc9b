"""Use cases of patients and care teams. Each writing function is one audited transaction."""

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from clinic.audit.services import record
from clinic.auth.models import Role, User
from clinic.database import utcnow, write_transaction
from clinic.errors import NotAllowed, NotFound, ServiceError
from clinic.extensions import db
from clinic.measures.models import Invitation
from clinic.patients.folding import reference_key, search_key
from clinic.patients.models import ACTIVE, DISCHARGED, CareTeamMember, Episode, Patient
from clinic.patients.scope import require_manage, visible_patient, visible_patients
from clinic.programs.models import Assignment, AssignmentEvent

PATIENT_FIELDS = ("display_name", "reference", "email", "date_of_birth")
CARE_TEAM_ROLES = (Role.THERAPIST, Role.TRAINER)


def _escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def caseload(user, *, search="", status=ACTIVE, care_teams=True):
    """A select of the patients ``user`` may see, searched by name or reference.

    Care teams (and their users) come in one extra statement per page, not one per row: the
    list shows each patient's primary clinician. ``care_teams=False`` for a page that shows
    none (the dashboard): two statements and their objects fewer.
    """
    query = visible_patients(user)
    if care_teams:
        query = query.options(selectinload(Patient.care_team).selectinload(CareTeamMember.user))
    if status in (ACTIVE, DISCHARGED):
        query = query.where(Patient.status == status)
    search = (search or "").strip()
    if search:  # on the stored keys: no case, and no accents in names ("zoe" finds "Zoë")
        by_name = f"%{_escape_like(search_key(search))}%"
        by_reference = f"%{_escape_like(reference_key(search))}%"
        query = query.where(
            sa.or_(Patient.name_key.like(by_name, escape="\\"),
                   Patient.reference_key.like(by_reference, escape="\\"))
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
                                        Patient.reference_key == reference_key(reference))
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
    today = actor.clinic.today()
    start = _episode_start_day(data.get("episode_start") or today, today)
    patient = Patient(clinic_id=actor.clinic_id, created_by_id=actor.id, status=ACTIVE, **cleaned)
    patient.care_team.append(CareTeamMember(user=primary, is_primary=True))
    patient.episodes.append(Episode(start=start, started_by_id=actor.id))
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
    episode_start = data.get("episode_start")
    if partial:
        data = {field: getattr(patient, field) for field in PATIENT_FIELDS} | data
    cleaned = _clean(data)
    if episode_start is not None:
        _move_episode_start(actor, patient, episode_start)
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
        episode = current_episode(patient)
        # Discharge ends the episode today, unless a clinician already ended it earlier.
        if episode is not None and (episode.end is None or episode.end > patient.clinic.today()):
            episode.end = max(episode.start, patient.clinic.today())
        record("patient_discharge", actor=actor, obj=patient, patient_id=patient.id)
        _end_links(actor, patient, patient.discharged_at)
    elif not discharged and patient.status != ACTIVE:
        patient.status, patient.discharged_at = ACTIVE, None
        record("patient_reactivate", actor=actor, obj=patient, patient_id=patient.id)
        # A new episode of care from today: a new baseline.
        _open_episode(actor, patient, patient.clinic.today(), reason=None)
    return patient


# Episodes of care ---------------------------------------------------------------------------


def episodes_of(patient):
    """A patient's episodes of care, earliest first."""
    return db.session.scalars(sa.select(Episode).where(Episode.patient_id == patient.id)
                              .order_by(Episode.start)).all()


def episodes_by_patient(patient_ids):
    """{patient id: episodes earliest first} for a page of patients, in one query."""
    result = {patient_id: [] for patient_id in patient_ids}
    if patient_ids:
        for episode in db.session.scalars(
                sa.select(Episode).where(Episode.patient_id.in_(patient_ids))
                .order_by(Episode.patient_id, Episode.start)):
            result[episode.patient_id].append(episode)
    return result


def current_episode(patient, episodes=None):
    """The patient's current (latest) episode of care: open, or ended at discharge.

    ``episodes`` (earliest first) when the caller has them already (the dashboard loads every
    patient's in one query). None only for a patient stored without one (none of the app's
    paths does that).
    """
    episodes = episodes_of(patient) if episodes is None else episodes
    return episodes[-1] if episodes else None


def _episode_start_day(start, today, field="episode_start"):
    if not isinstance(start, date):
        raise ServiceError("Enter the date the episode of care began.", field=field)
    if start > today:
        raise ServiceError("The episode of care cannot start in the future.", field=field)
    if start.year < 1900:
        raise ServiceError("Enter a date after 1900.", field=field)
    return start


def _open_episode(actor, patient, start, reason):
    """A new episode from ``start``; the previous one ends the day before (if not earlier).

    Reactivated on the day the episode began (a discharge undone): that episode goes on.
    """
    previous = current_episode(patient)
    if previous is not None and previous.start == start and not reason:
        previous.end = None
        return previous
    if previous is not None and start <= previous.start:
        raise ServiceError("A new episode must start after the current one's start "
                           f"({previous.start.isoformat()}).", field="start")
    if previous is not None and (previous.end is None or previous.end >= start):
        previous.end = start - timedelta(days=1)
    episode = Episode(patient_id=patient.id, start=start, reason=reason,
                      started_by_id=getattr(actor, "id", None))
    db.session.add(episode)
    db.session.flush()
    record("episode_start", actor=actor, obj=episode, patient_id=patient.id,
           reason_given=bool(reason))
    return episode


@write_transaction
def start_episode(actor, patient_id, start, reason):
    """End the current episode of care and start a new one (a new baseline), saying why.

    :raises NotAllowed: ``actor`` may see but not manage the patient.
    :raises ServiceError: no reason, a date in the future or not after the current start.
    """
    patient = visible_patient(actor, patient_id)
    require_manage(actor, patient)
    if not patient.is_active:
        raise ServiceError("This patient is discharged: reactivate them to start an episode.")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Say why a new episode of care starts.", field="reason")
    start = _episode_start_day(start, patient.clinic.today(), field="start")
    return _open_episode(actor, patient, start, reason)


@write_transaction
def set_episode_start(actor, patient_id, start):
    """Move the current episode's start (to the referral date, say); audited."""
    patient = visible_patient(actor, patient_id)
    return _move_episode_start(actor, patient, start)


def _move_episode_start(actor, patient, start):
    require_manage(actor, patient)
    episodes = episodes_of(patient)
    episode = current_episode(patient, episodes)
    start = _episode_start_day(start, patient.clinic.today())
    if episode is None or episode.start == start:
        return episode
    if episode.end is not None and start > episode.end:
        raise ServiceError("The episode cannot start after it ended "
                           f"({episode.end.isoformat()}).", field="episode_start")
    previous = episodes[-2] if len(episodes) > 1 else None
    if previous is not None and previous.end is not None and start <= previous.end:
        raise ServiceError("The previous episode of care ran until "
                           f"{previous.end.isoformat()}: choose a later date.",
                           field="episode_start")
    episode.start = start
    db.session.flush()
    # Field names only, as for every patient change: dates are not copied into the trail.
    record("episode_update", actor=actor, obj=episode, patient_id=patient.id, fields=["start"])
    return episode


def _end_links(actor, patient, now):
    """Discharge ends the patient's links: every open questionnaire link and every working
    program link is revoked, each audited, in the discharge's transaction. Reactivation makes no
    new ones: the clinician sends new links when care starts again."""
    open_links = db.session.scalars(sa.select(Invitation).where(
        Invitation.patient_id == patient.id, Invitation.completed_at.is_(None),
        Invitation.revoked_at.is_(None), Invitation.expires_at > now).order_by(Invitation.id))
    for invitation in open_links:
        invitation.revoked_at = now
        invitation.draft_answers = None
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
    from clinic.portal.services import end_on_discharge  # portal services import patients'

    end_on_discharge(actor, patient, now)


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
