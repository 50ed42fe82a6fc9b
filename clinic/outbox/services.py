"""Queueing messages inside the caller's transaction, and delivering them from a worker.

Delivery is claim, send, finish, each state change a conditional UPDATE checked by its row
count: two workers racing never both claim a message, and a worker that dies after claiming
leaves a lease that expires so another takes the message up (in doubt: the Message-ID, built
from the idempotency key, lets the receiving server drop a second copy).
"""

import importlib
import logging
import time
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from clinic.audit.services import record
from clinic.database import get_in_clinic, utcnow, write_transaction
from clinic.errors import ServiceError
from clinic.extensions import db
from clinic.mailer import mail_enabled, send_mail
from clinic.outbox.backoff import next_attempt
from clinic.outbox.models import (
    CANCELLED,
    DEAD,
    PENDING,
    SENDING,
    SENT,
    DeliveryAttempt,
    OutboxMessage,
)
from clinic.work.queue import wake_after_commit

log = logging.getLogger(__name__)

# What a message's {"link": [kind, id]} is built from at delivery: a function of the id that
# returns the URL, or None when the message no longer has a purpose (a closed alert, a used,
# revoked or expired link). By import path: the areas that raise messages stand above this one.
LINKS = {
    "alert": "clinic.alerts.services:alert_mail_link",
    "invitation": "clinic.measures.services:invitation_mail_link",
}


def queue_message(*, clinic_id, kind, recipient, subject, template, context, idempotency_key,
                  now=None):
    """Add one message to the current transaction (no commit here): it exists exactly when
    its cause does. A worker is woken once the transaction commits."""
    now = now or utcnow()
    message = OutboxMessage(clinic_id=clinic_id, kind=kind, channel="email", recipient=recipient,
                            subject=subject, template=template, context=context,
                            idempotency_key=idempotency_key, state=PENDING, attempts=0,
                            next_attempt_at=now, created_at=now)
    db.session.add(message)
    db.session.flush()
    wake_after_commit("outbox", message.id)
    return message


# Delivery -------------------------------------------------------------------------------------


def lease():
    """How long a claim holds: longer than any SMTP conversation (SMTP_TIMEOUT_SECONDS)."""
    return timedelta(seconds=current_app.config.get("OUTBOX_LEASE_SECONDS", 300))


def _claimable(now):
    return sa.or_(
        sa.and_(OutboxMessage.state == PENDING, OutboxMessage.next_attempt_at <= now),
        sa.and_(OutboxMessage.state == SENDING, OutboxMessage.claimed_until < now),
    )


def deliver_due(*, now=None, worker_id, limit=100):
    """Deliver the messages that are due or in doubt (at most ``limit``); the number sent.

    Without SMTP_URL nothing is claimed: the messages wait, and the admin page says mail is off.
    """
    if not mail_enabled():
        return 0
    now = now or utcnow()
    ids = db.session.scalars(
        sa.select(OutboxMessage.id).where(_claimable(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)).all()
    db.session.commit()  # end the read: each message is claimed in its own transaction
    return sum(deliver_one(message_id, now=now, worker_id=worker_id) for message_id in ids)


def deliver_one(message_id, *, now=None, worker_id):
    """Claim, send and finish one message; True when this call sent it."""
    if not mail_enabled():
        return False
    now = now or utcnow()
    if not _claim(message_id, now, worker_id):
        return False
    message = db.session.get(OutboxMessage, message_id)
    clock = time.monotonic()

    def took():  # the attempt's times on the caller's clock (a test's ``now``, or the wall's)
        return now, now + timedelta(seconds=time.monotonic() - clock)

    try:
        url = _link(message, now)
        if url is None:
            _finish(message_id, worker_id, took(), CANCELLED)
            return False
        context = {key: value for key, value in message.context.items() if key != "link"}
        send_mail(message.recipient, message.subject, message.template,
                  message_id=message_id_header(message), url=url, **context)
    except Exception as error:  # an outage, a refusal, a bad address: tried again later
        db.session.rollback()
        _fail(message_id, worker_id, took(), type(error).__name__)
        return False
    _finish(message_id, worker_id, took(), SENT)
    return True


@write_transaction
def _claim(message_id, now, worker_id):
    """Take the message for ``worker_id`` if it is due, or in doubt (its claim expired)."""
    seen = db.session.execute(
        sa.select(OutboxMessage.state, OutboxMessage.claimed_by, OutboxMessage.claimed_until,
                  OutboxMessage.attempts)
        .where(OutboxMessage.id == message_id, _claimable(now))).one_or_none()
    if seen is None:
        return False
    condition = [OutboxMessage.id == message_id, OutboxMessage.state == seen.state,
                 OutboxMessage.attempts == seen.attempts]
    if seen.state == SENDING:
        condition.append(OutboxMessage.claimed_by == seen.claimed_by)
    claimed = db.session.execute(
        sa.update(OutboxMessage).where(*condition)
        .values(state=SENDING, claimed_by=worker_id, claimed_until=now + lease(),
                attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        return False
    if seen.state == SENDING:  # its worker vanished: the message may or may not have left
        db.session.add(DeliveryAttempt(message_id=message_id, worker=seen.claimed_by,
                                       started_at=seen.claimed_until - lease(), finished_at=now,
                                       outcome="in_doubt"))
        log.warning("outbox message %s in doubt: taken over from %s", message_id,
                    seen.claimed_by)
    return True


@write_transaction
def _finish(message_id, worker_id, times, state):
    """Sent (or cancelled), if the message is still this worker's; the attempt is kept either
    way (a worker that lost its lease still sent, and says so)."""
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.state == SENDING,
               OutboxMessage.claimed_by == worker_id)
        .values(state=state, sent_at=times[1] if state == SENT else None, claimed_by=None,
                claimed_until=None,
                last_error_class=None if state == SENT else OutboxMessage.last_error_class)
        .execution_options(synchronize_session=False))
    db.session.add(DeliveryAttempt(message_id=message_id, worker=worker_id, started_at=times[0],
                                   finished_at=times[1], outcome=state))
    log.info("outbox message %s %s by %s", message_id, state, worker_id)


@write_transaction
def _fail(message_id, worker_id, times, error_class):
    """One more failure: back to pending at the back-off's time, or dead after the last."""
    attempts = db.session.scalar(sa.select(OutboxMessage.attempts)
                                 .where(OutboxMessage.id == message_id))
    retry_at = next_attempt(times[0], attempts,  # counted from when the try began
                            current_app.config.get("OUTBOX_BACKOFF_SCALE", 1.0))
    state = PENDING if retry_at is not None else DEAD
    values = {"state": state, "claimed_by": None, "claimed_until": None,
              "last_error_class": error_class}
    if retry_at is not None:
        values["next_attempt_at"] = retry_at
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.state == SENDING,
               OutboxMessage.claimed_by == worker_id)
        .values(**values).execution_options(synchronize_session=False))
    db.session.add(DeliveryAttempt(message_id=message_id, worker=worker_id, started_at=times[0],
                                   finished_at=times[1],
                                   outcome="failed" if state == PENDING else "dead",
                                   error_class=error_class))
    log.warning("outbox message %s attempt %s failed: %s%s", message_id, attempts, error_class,
                "" if retry_at else " (dead)")


def _link(message, now):
    link = message.context.get("link")
    if not link:
        return ""
    kind, object_id = link
    module, name = LINKS[kind].split(":")
    return getattr(importlib.import_module(module), name)(object_id, now)


def message_id_header(message):
    """The Message-ID of every copy of ``message``: the same key gives the same header."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "liftclinic.invalid"
    return f"<{message.idempotency_key.replace(':', '.')}@{host}>"


# The admin page -------------------------------------------------------------------------------


def undelivered(clinic_id, now=None):
    """The clinic's messages that need an eye: failed and waiting, stuck past their lease,
    dead; and how many wait untried (all of them while mail is off)."""
    now = now or utcnow()
    trouble = sa.or_(
        sa.and_(OutboxMessage.state == PENDING, OutboxMessage.attempts > 0),
        sa.and_(OutboxMessage.state == SENDING, OutboxMessage.claimed_until < now),
        OutboxMessage.state == DEAD,
    )
    rows = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.clinic_id == clinic_id, trouble)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(200)).all()
    waiting = db.session.scalar(
        sa.select(sa.func.count(OutboxMessage.id))
        .where(OutboxMessage.clinic_id == clinic_id, OutboxMessage.state == PENDING,
               OutboxMessage.attempts == 0))
    return rows, waiting


@write_transaction
def retry_message(actor, message_id, now=None):
    """An admin sends a dead or waiting message again now (audited).

    :raises NotFound: another clinic's message or a missing one.
    :raises ServiceError: the message was sent, cancelled or is being sent.
    """
    now = now or utcnow()
    message = get_in_clinic(OutboxMessage, message_id, actor.clinic_id)
    before = message.state
    values = {"state": PENDING, "next_attempt_at": now}
    if before == DEAD:
        values["attempts"] = 0  # a fresh round of tries
    changed = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.state == before,
               OutboxMessage.state.in_((DEAD, PENDING)))
        .values(**values).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise ServiceError("This message is no longer waiting: it was sent, is being sent, "
                           "or has nothing left to announce.")
    record("outbox_retry", actor=actor, obj=message, kind=message.kind, state_before=before)
    wake_after_commit("outbox", message.id)
    db.session.expire(message)
    return message
