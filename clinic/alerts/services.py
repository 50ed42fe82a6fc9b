"""Raising, reading and acknowledging alerts; mailing the care team about a new one."""

import sqlalchemy as sa
from flask import current_app

from clinic.alerts.models import (
    ACKNOWLEDGED,
    ALERT_KIND_GROUPS,
    ALERT_KINDS,
    ALERT_LABELS,
    NOT_ON_TRACK,
    RISK_ALERT_KINDS,
    TRAINING_ALERT_KINDS,
    Alert,
)
from clinic.audit.services import record
from clinic.auth.models import User
from clinic.database import utcnow, write_transaction
from clinic.errors import NotAllowed, NotFound, ServiceError
from clinic.extensions import db
from clinic.outbox.services import queue_message
from clinic.patients.models import CareTeamMember, Patient
from clinic.patients.scope import is_trainer, visible_patients


def raise_alert(patient, kind, *, response=None, invitation=None, session_log=None, **detail):
    """Add an alert to the current transaction (the one that stores its cause), with one mail
    to each active member of the patient's care team queued in that same transaction.

    The clinician who entered the answers or the session that raised it is not mailed: the
    alert is on the page in front of them, and a mail would only be one more copy of a
    patient reference in a mailbox. The rest of the team is (a colleague's paper form with a
    risk answer must reach the therapist as surely as the patient's own).
    """
    alert = Alert(clinic_id=patient.clinic_id, patient_id=patient.id, kind=kind,
                  response_id=getattr(response, "id", None),
                  invitation_id=getattr(invitation, "id", None),
                  session_log_id=getattr(session_log, "id", None), detail=detail)
    db.session.add(alert)
    db.session.flush()  # the mails' idempotency keys name the alert
    entered_by = getattr(response or session_log, "entered_by_id", None)
    _queue_alert_mails(alert, patient, exclude_user_id=entered_by)
    return alert


def _queue_alert_mails(alert, patient, *, exclude_user_id=None):
    """One mail per active care-team member with an address: a reference and a link (built
    at delivery), never a name."""
    team = db.session.execute(
        sa.select(User.id, User.email).join(CareTeamMember, CareTeamMember.user_id == User.id)
        .where(CareTeamMember.patient_id == patient.id, User.active.is_(True))
        .order_by(User.id)
    ).all()
    for user_id, email in team:
        if user_id == exclude_user_id or not email:
            continue
        queue_message(clinic_id=alert.clinic_id, kind="alert_mail", recipient=email,
                      subject="LiftClinic: a new alert", template="alert",
                      context={"label": ALERT_LABELS[alert.kind],
                               "reference": patient.reference, "link": ["alert", alert.id]},
                      idempotency_key=f"alert:{alert.id}:user:{user_id}")


def alert_mail_link(alert_id, now):
    """The alert's page for its mail at delivery; None once the alert is closed (the mail
    would announce a new alert that a colleague has already dealt with)."""
    alert = db.session.get(Alert, alert_id)
    if alert is None or not alert.is_open:
        return None
    return f"{current_app.config['BASE_URL']}/alerts/{alert.id}"


def alerts_of(*, response=None, session_log=None):
    """The alerts one response or one logged session raised."""
    query = sa.select(Alert)
    if response is not None:
        query = query.where(Alert.response_id == response.id)
    if session_log is not None:
        query = query.where(Alert.session_log_id == session_log.id)
    return db.session.scalars(query).all()


def alerts_query(user, *, open_only=True, patient_id=None, kinds=None, risk_first=False):
    """Alerts of the patients ``user`` may see, newest first (``risk_first``: risk alerts
    before all others, the inbox's triage order); ``kinds`` narrows to those kinds."""
    visible = visible_patients(user).with_only_columns(Patient.id)
    query = sa.select(Alert).where(Alert.patient_id.in_(visible))
    if open_only:
        query = query.where(Alert.acknowledged_at.is_(None))
    if patient_id is not None:
        query = query.where(Alert.patient_id == patient_id)
    if kinds is not None:
        query = query.where(Alert.kind.in_(sorted(kinds)))
    order = [Alert.created_at.desc(), Alert.id.desc()]
    if risk_first:
        order.insert(0, sa.case((Alert.kind.in_(sorted(RISK_ALERT_KINDS)), 0), else_=1))
    return query.order_by(*order)


def kinds_of_filter(name):
    """The alert kinds the inbox's ``kind`` filter names (a group or one kind), or None for
    every kind (absent or unknown: a stale bookmark still opens the inbox)."""
    if name in ALERT_KIND_GROUPS:
        return ALERT_KIND_GROUPS[name][1]
    if name in ALERT_KINDS:
        return frozenset({name})
    return None


def open_alert_count(user):
    """How many open alerts ``user`` may see: the navigation badge."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(alerts_query(user).subquery())
    )


def open_alert_counts(patient_ids):
    """{patient id: open alerts} for a page of patients, in one query."""
    return dict(db.session.execute(
        sa.select(Alert.patient_id, sa.func.count(Alert.id))
        .where(Alert.patient_id.in_(patient_ids), Alert.acknowledged_at.is_(None))
        .group_by(Alert.patient_id)
    ).all())


def open_not_on_track(patient_ids):
    """The open not-on-track review prompts of a page of patients (one query), latest first:
    the dashboard and the patient page mark them with the cut point and its source."""
    return db.session.scalars(
        sa.select(Alert).where(Alert.patient_id.in_(patient_ids), Alert.kind == NOT_ON_TRACK,
                               Alert.acknowledged_at.is_(None))
        .order_by(Alert.created_at.desc(), Alert.id.desc())).all()


def alert_of(user, alert_id):
    """The alert if ``user`` may see its patient.

    :raises NotFound: for a missing alert and an out-of-scope one alike.
    """
    alert = db.session.scalar(alerts_query(user, open_only=False).where(Alert.id == alert_id))
    if alert is None:
        raise NotFound("alert")
    return alert


@write_transaction
def open_alert(user, alert_id):
    """An alert for its page, recording the view (what raised it is patient data)."""
    alert = alert_of(user, alert_id)
    record("alert_view", actor=user, obj=alert, patient_id=alert.patient_id)
    return alert


def may_acknowledge(user, alert):
    """Clinical trainers acknowledge training alerts only; symptom and risk alerts are the
    therapist's (or an admin's)."""
    return not is_trainer(user) or alert.kind in TRAINING_ALERT_KINDS


def acknowledgeable_alert(user, alert_id):
    """The alert if ``user`` may see and acknowledge it.

    :raises NotFound: the alert is missing or out of scope.
    :raises NotAllowed: a clinical trainer and a symptom or risk alert.
    """
    alert = alert_of(user, alert_id)
    if not may_acknowledge(user, alert):
        raise NotAllowed("Clinical trainers cannot acknowledge symptom or risk alerts: tell "
                         "the patient's therapist.")
    return alert


@write_transaction
def acknowledge_alert(actor, alert_id, note):
    """A clinician has looked and acted: the alert leaves the inbox but stays in history."""
    return _acknowledge(actor, acknowledgeable_alert(actor, alert_id), _note(note), utcnow())


def _note(note):
    note = (note or "").strip()
    if not note:
        raise ServiceError("Write a short note on what you did.", field="note")
    return note


def _acknowledge(actor, alert, note, now, **detail):
    if alert.acknowledged_at is not None:
        raise ServiceError("This alert was already acknowledged.")
    alert.acknowledged_at = now
    alert.acknowledged_by_id = actor.id
    alert.note = note
    alert.resolution = ACKNOWLEDGED
    record("alert_acknowledge", actor=actor, obj=alert, patient_id=alert.patient_id,
           kind=alert.kind, **detail)
    return alert


MAX_BULK_ACKNOWLEDGE = 100


@write_transaction
def acknowledge_alerts(actor, alert_ids, note):
    """Several alerts acknowledged with one note, each checked and audited on its own: all of
    them or none (one out of scope, not the actor's to acknowledge, or already closed refuses
    the lot, and the transaction writes nothing).

    :raises NotFound: an alert is missing or out of scope.
    :raises NotAllowed: a clinical trainer and a symptom or risk alert.
    :raises ServiceError: no alert chosen, too many, no note, or one already acknowledged.
    """
    alert_ids = list(dict.fromkeys(alert_ids))  # a repeated id counts once
    if not alert_ids:
        raise ServiceError("Choose the alerts to acknowledge.", field="alert_id")
    if len(alert_ids) > MAX_BULK_ACKNOWLEDGE:
        raise ServiceError(f"Acknowledge at most {MAX_BULK_ACKNOWLEDGE} alerts at once.",
                           field="alert_id")
    note = _note(note)
    alerts = [acknowledgeable_alert(actor, alert_id) for alert_id in alert_ids]
    closed = [alert for alert in alerts if not alert.is_open]
    if closed:
        raise ServiceError(f"{len(closed)} of the chosen alerts had already been acknowledged: "
                           "nothing was changed. Choose again.", field="alert_id")
    now = utcnow()
    return [_acknowledge(actor, alert, note, now, bulk=len(alerts)) for alert in alerts]
