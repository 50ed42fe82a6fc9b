"""Writing and reading the audit trail.

``record`` adds the event to the current session without committing: it lands in the same
transaction as the change it describes, or not at all.
"""

import sqlalchemy as sa
from flask import g, has_request_context, request

from clinic.audit.models import AuditEvent
from clinic.extensions import db


def record(action, *, actor=None, actor_kind=None, clinic_id=None, obj=None, patient_id=None,
           outcome="success", **detail):
    """Add one audit event for ``action`` to the current transaction."""
    if obj is not None and obj.id is None:
        db.session.flush()  # the new object needs its id before the event can name it
    if actor_kind is None:
        actor_kind = "user" if actor is not None else "anonymous"
    event = AuditEvent(
        clinic_id=clinic_id if clinic_id is not None else getattr(actor, "clinic_id", None),
        actor_kind=actor_kind,
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=obj.__tablename__ if obj is not None else None,
        object_id=obj.id if obj is not None else None,
        patient_id=patient_id,
        outcome=outcome,
        detail=detail,
    )
    if has_request_context():
        event.ip = request.remote_addr
        event.request_id = g.get("request_id")
    db.session.add(event)
    return event


def events_for_clinic(clinic_id, *, user_id=None, user_email=None, patient_id=None,
                      patient_reference=None):
    """A select of a clinic's events, newest first, filtered by user and patient if asked."""
    query = sa.select(AuditEvent).where(AuditEvent.clinic_id == clinic_id)
    if user_id is not None:
        query = query.where(AuditEvent.actor_id == user_id)
    if user_email:
        query = query.where(AuditEvent.actor.has(email=user_email.strip().lower()))
    if patient_id is not None:
        query = query.where(AuditEvent.patient_id == patient_id)
    if patient_reference:
        query = query.where(AuditEvent.patient.has(reference=patient_reference.strip()))
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
