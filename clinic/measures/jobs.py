"""The scheduled work of outcome measures, run by ``flask measures send-due`` (cron, hourly).

Idempotent by construction: an invitation is unique per patient and due date, a mail is queued
only by the run that claims it (a conditional UPDATE, in the same transaction as the outbox
row), and an alert is unique per cause. Two runs at once, or one run twice, create nothing
more. The outbox's worker delivers the mails (clinic/outbox), with retries.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from clinic.alerts.models import Alert
from clinic.alerts.services import raise_alert
from clinic.audit.services import record
from clinic.auth.models import Clinic
from clinic.database import utcnow, write_transaction
from clinic.extensions import db
from clinic.measures import schedule as schedule_rules
from clinic.measures.models import Invitation, MeasureSchedule
from clinic.measures.services import _new_invitation
from clinic.outbox.services import queue_message
from clinic.patients.models import ACTIVE, Patient

log = logging.getLogger(__name__)


@dataclass
class SendReport:
    created: int = 0
    emailed: int = 0
    reminded: int = 0
    missed_alerts: int = 0
    errors: list = field(default_factory=list)


def due_invitations(now):
    """(patient, due_on, [codes]) for every active patient with instruments due now."""
    rows = db.session.execute(
        sa.select(MeasureSchedule, Patient, Clinic)
        .join(Patient, Patient.id == MeasureSchedule.patient_id)
        .join(Clinic, Clinic.id == Patient.clinic_id)
        .where(Patient.status == ACTIVE)
        .order_by(MeasureSchedule.patient_id, MeasureSchedule.id)
    ).all()
    grouped = {}
    for item, patient, clinic in rows:
        due_on = schedule_rules.due_now(
            every_weeks=item.every_weeks, weekday=item.weekday, starts_on=item.starts_on,
            ends_on=item.ends_on, now_utc=now, timezone=clinic.timezone,
            window_days=clinic.link_expiry_days,
        )
        if due_on is not None:
            grouped.setdefault((patient.id, due_on), []).append(item.instrument_code)
    return grouped


@write_transaction
def _create_scheduled(patient_id, due_on, codes, now):
    exists = db.session.scalar(sa.select(Invitation.id).where(
        Invitation.patient_id == patient_id, Invitation.due_on == due_on))
    if exists:
        return None
    patient = db.session.get(Patient, patient_id)
    invitation = _new_invitation(patient, codes, kind="scheduled", due_on=due_on, now=now)
    db.session.flush()
    record("invitation_create", actor_kind="system", clinic_id=patient.clinic_id,
           obj=invitation, patient_id=patient.id, instruments=list(codes), scheduled=True)
    return invitation.id


@write_transaction
def _mail_invitation(invitation_id, now, reminder):
    """Claim the mail with a conditional UPDATE and queue it in the same transaction: only one
    run ever queues it, and the claim exists exactly when the outbox row does. The link is
    built at delivery from the invitation (no token is stored)."""
    column = Invitation.reminder_sent_at if reminder else Invitation.emailed_at
    claimed = db.session.execute(
        sa.update(Invitation).where(Invitation.id == invitation_id, column.is_(None))
        .values({column.key: now})
    ).rowcount
    if claimed != 1:
        return False
    invitation = db.session.get(Invitation, invitation_id)
    patient = db.session.get(Patient, invitation.patient_id)
    clinic = db.session.get(Clinic, patient.clinic_id)
    local_expiry = schedule_rules.local_now(invitation.expires_at, clinic.timezone)
    queue_message(clinic_id=clinic.id,
                  kind="invitation_reminder" if reminder else "invitation_mail",
                  recipient=patient.email, subject="A questionnaire from your clinic",
                  template="questionnaire",
                  context={"reminder": reminder, "clinic_name": clinic.name,
                           "expires": local_expiry.strftime("%A %d %B, %H:%M"),
                           "link": ["invitation", invitation.id]},
                  idempotency_key=f"invitation:{invitation.id}:"
                                  f"{'reminder' if reminder else 'first'}", now=now)
    record("invitation_mail", actor_kind="system", clinic_id=clinic.id, obj=invitation,
           patient_id=patient.id, reminder=reminder)
    return True


def _mail_candidates(now):
    """Open scheduled links whose first mail or reminder is due, for patients with an email.

    The reminder counts from when the first mail went out, so a mail outage never sends the
    link and its reminder an hour apart.
    """
    open_links = (
        sa.select(Invitation.id, Invitation.emailed_at, Invitation.reminder_sent_at,
                  Invitation.created_at, Clinic.reminder_after_days)
        .join(Patient, Patient.id == Invitation.patient_id)
        .join(Clinic, Clinic.id == Patient.clinic_id)
        .where(Invitation.kind == "scheduled", Invitation.completed_at.is_(None),
               Invitation.revoked_at.is_(None), Invitation.expires_at > now,
               Patient.email.is_not(None), Patient.status == ACTIVE)
    )
    first, reminders = [], []
    for row in db.session.execute(open_links):
        if row.emailed_at is None:
            first.append(row.id)
        elif row.reminder_sent_at is None and (
            now >= row.emailed_at + timedelta(days=row.reminder_after_days)
        ):
            reminders.append(row.id)
    return first, reminders


@write_transaction
def _missed_alert(patient_id, now):
    """Two consecutive scheduled links expired unanswered: one alert, named by the later one."""
    last_two = db.session.scalars(
        sa.select(Invitation).where(Invitation.patient_id == patient_id,
                                    Invitation.kind == "scheduled",
                                    Invitation.revoked_at.is_(None),
                                    Invitation.created_at <= now)
        .order_by(Invitation.due_on.desc()).limit(2)
    ).all()
    if len(last_two) < 2 or any(i.state(now) != "expired" for i in last_two):
        return None
    later = last_two[0]
    exists = db.session.scalar(sa.select(Alert.id).where(
        Alert.kind == "missed_questionnaires", Alert.invitation_id == later.id))
    if exists:
        return None
    patient = db.session.get(Patient, patient_id)
    alert = raise_alert(patient, "missed_questionnaires", invitation=later,
                        due_on=[str(i.due_on) for i in reversed(last_two)])
    db.session.flush()
    return alert.id


def send_due(now=None):
    """Create this week's invitations, mail links and reminders, raise missed-week alerts."""
    now = now or utcnow()
    report = SendReport()
    for (patient_id, due_on), codes in due_invitations(now).items():
        try:
            if _create_scheduled(patient_id, due_on, codes, now):
                report.created += 1
        except IntegrityError:
            log.info("invitation for patient %s due %s made by another run", patient_id, due_on)
    # Queued whether or not SMTP_URL is set: the rows wait for mail to be switched on (the
    # outbox drops a link that has closed by then), so a web or cron process started without
    # the mail settings loses nothing.
    first, reminders = _mail_candidates(now)
    for invitation_id in first:
        report.emailed += _try_mail(invitation_id, now, False, report)
    for invitation_id in reminders:
        report.reminded += _try_mail(invitation_id, now, True, report)
    patients = db.session.scalars(
        sa.select(Invitation.patient_id)
        .join(Patient, Patient.id == Invitation.patient_id)
        .where(Invitation.kind == "scheduled", Patient.status == ACTIVE)
        .distinct()
    ).all()
    for patient_id in patients:
        try:
            alert_id = _missed_alert(patient_id, now)
        except IntegrityError:
            continue
        if alert_id:
            report.missed_alerts += 1  # its care-team mails were queued with it
    return report


def _try_mail(invitation_id, now, reminder, report):
    try:
        return int(_mail_invitation(invitation_id, now, reminder))
    except Exception as error:  # one patient's failure must not stop the others' mail
        log.warning("mail for invitation %s failed: %s", invitation_id, type(error).__name__)
        report.errors.append(invitation_id)
        return 0
