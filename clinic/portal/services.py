"""The patient's one link: issuing, replacing and ending it, and what it opens.

A patient with a program keeps the program link; a patient without one gets this link from
their clinician. Either opens ``/p/``, which leads to the questionnaire waiting for them, so
questionnaire links by mail are an extra, not a second link to keep.
"""

import sqlalchemy as sa

from clinic import tokens
from clinic.audit.services import record
from clinic.database import utcnow, write_transaction
from clinic.errors import ServiceError
from clinic.extensions import db
from clinic.measures.models import Invitation
from clinic.patients.scope import visible_patient
from clinic.portal.models import PatientLink
from clinic.programs.models import Assignment


def current_patient_link(patient_id):
    """The patient's working link of their own, or None."""
    return db.session.scalar(
        sa.select(PatientLink).where(
            PatientLink.patient_id == patient_id, PatientLink.ended_at.is_(None)
        )
    )


def patient_link_url(link):
    """The address the patient keeps, built from BASE_URL (the token is derived again)."""
    return tokens.link_url(tokens.PROGRAM, tokens.link_token(tokens.PROGRAM, link.token_salt))


def patient_link_by_token(token):
    """The patient link a token opens, whatever its state; None for an unknown token."""
    if not tokens.looks_like_token(token):
        return None
    return db.session.scalar(
        sa.select(PatientLink).where(PatientLink.token_hash == tokens.token_hash(token))
    )


def live_program(patient_id):
    """The patient's program whose link works (active or paused), or None."""
    return db.session.scalar(
        sa.select(Assignment).where(
            Assignment.patient_id == patient_id,
            Assignment.status != "completed",
            Assignment.link_revoked_at.is_(None),
        )
    )


def _end(link, reason, actor, now):
    link.ended_at, link.end_reason = now, reason
    record("patient_link_end", actor=actor, obj=link, patient_id=link.patient_id, reason=reason)


@write_transaction
def issue_patient_link(actor, patient_id):
    """A new link for the patient; the one they had stops working at once.

    :raises ServiceError: the patient is discharged, or their program link is their link.
    """
    patient = visible_patient(actor, patient_id)
    if not patient.is_active:
        raise ServiceError("This patient is discharged: reactivate them to give them a link.")
    if live_program(patient.id) is not None:
        raise ServiceError("This patient's program link is their link: make a new one there.")
    now = utcnow()
    old = current_patient_link(patient.id)
    if old is not None:
        _end(old, "replaced", actor, now)
        db.session.flush()
    minted = tokens.mint_link(tokens.PROGRAM)
    link = PatientLink(
        patient_id=patient.id,
        token_salt=minted.salt,
        token_hash=minted.token_hash,
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(link)
    record("patient_link_issue", actor=actor, obj=link, patient_id=patient.id)
    return link


@write_transaction
def revoke_patient_link(actor, patient_id):
    """Stop the patient's link (a new one can be issued)."""
    patient = visible_patient(actor, patient_id)
    link = current_patient_link(patient.id)
    if link is not None:
        _end(link, "revoked", actor, utcnow())
    return link


def end_on_discharge(actor, patient, now):
    """Discharge ends the patient's link too (inside the discharge's transaction)."""
    link = current_patient_link(patient.id)
    if link is not None:
        _end(link, "discharge", actor, now)


def hand_over_to_program(actor, patient):
    """(salt, hash) of the patient's link for their new program, or None when they have none.

    The program takes the link over, so the address the patient keeps stays the same; the
    patient link row ends with reason "program" (inside the assignment's transaction).
    """
    link = current_patient_link(patient.id)
    if link is None:
        return None
    _end(link, "program", actor, utcnow())
    db.session.flush()
    return link.token_salt, link.token_hash


def program_of_handed_over(link):
    """The program that took ``link`` over (same hash), or None."""
    if link.end_reason != "program":
        return None
    return db.session.scalar(sa.select(Assignment).where(Assignment.token_hash == link.token_hash))


def waiting_invitation(patient_id, now=None):
    """The oldest questionnaire link of the patient still open, or None."""
    now = now or utcnow()
    return db.session.scalar(
        sa.select(Invitation)
        .where(
            Invitation.patient_id == patient_id,
            Invitation.completed_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .order_by(Invitation.created_at, Invitation.id)
        .limit(1)
    )
