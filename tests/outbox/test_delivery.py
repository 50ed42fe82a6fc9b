"""Delivery from the outbox to a real SMTP server (aiosmtpd on 127.0.0.1): once, with retries
by the back-off, dead after the fifth failure, and never twice when workers race or die."""

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from factories import ResponseFactory

from clinic.alerts.models import Alert
from clinic.alerts.services import acknowledge_alert
from clinic.extensions import db
from clinic.outbox import services as outbox
from clinic.outbox.models import DeliveryAttempt, OutboxMessage

PHQ9_RISK = [2, 2, 2, 2, 2, 2, 2, 2, 1]  # total 17, moderately severe, item 9 above 0


@pytest.fixture
def message(patient, therapist):
    """The trainer's mail about a risk alert the therapist entered from a paper form."""
    ResponseFactory(actor=therapist, patient=patient, answers=PHQ9_RISK)
    [message] = db.session.scalars(sa.select(OutboxMessage)).all()
    db.session.commit()
    return message


@pytest.fixture
def t0(message):
    """A moment the message is due at: just after it was queued (on the wall clock)."""
    return message.next_attempt_at + timedelta(seconds=1)


def state_of(message_id):
    db.session.commit()
    row = db.session.get(OutboxMessage, message_id)
    db.session.refresh(row)
    return row


def attempts_of(message_id):
    db.session.commit()
    return [(a.worker, a.outcome, a.error_class) for a in db.session.scalars(
        sa.select(DeliveryAttempt).where(DeliveryAttempt.message_id == message_id)
        .order_by(DeliveryAttempt.id))]


def sweep(now, worker="worker-1"):
    return outbox.deliver_due(now=now, worker_id=worker, limit=50)


def test_a_message_is_delivered_once_naming_no_patient(app, message, patient, sink, t0):
    assert sweep(t0) == 1
    assert sweep(t0 + timedelta(hours=3)) == 0  # nothing more to send

    [mail] = sink.mails
    alert = db.session.scalar(sa.select(Alert))
    assert mail.to == ["trainer@riverside.test"]
    assert mail.subject == "LiftClinic: a new alert"
    assert f"http://clinic.test/alerts/{alert.id}" in mail.text
    assert patient.reference in mail.text and patient.reference in mail.html
    for secret in (*patient.display_name.split(), patient.email, "17", "moderately", "PHQ"):
        assert secret not in mail.everything
    assert mail.message_id == f"<alert.{alert.id}.user.{message.idempotency_key.split(':')[3]}" \
                              "@clinic.test>"
    sent = state_of(message.id)
    assert (sent.state, sent.attempts, sent.claimed_by, sent.sent_at is not None) == (
        "sent", 1, None, True)
    assert attempts_of(message.id) == [("worker-1", "sent", None)]


def test_an_outage_is_retried_by_the_back_off_and_the_mail_arrives_once(app, message, sink, t0):
    sink.refusing = True
    assert sweep(t0) == 0
    failed = state_of(message.id)
    assert (failed.state, failed.attempts, failed.last_error_class) == (
        "pending", 1, "SMTPDataError")
    assert failed.next_attempt_at == t0 + timedelta(minutes=1)

    assert sweep(t0 + timedelta(seconds=59)) == 0  # not due yet: no attempt
    assert sweep(t0 + timedelta(minutes=1)) == 0
    assert state_of(message.id).next_attempt_at == t0 + timedelta(minutes=6)

    sink.refusing = False
    assert sweep(t0 + timedelta(minutes=5)) == 0  # still waiting its 5 minutes
    assert sweep(t0 + timedelta(minutes=6)) == 1
    assert sweep(t0 + timedelta(hours=5)) == 0
    assert len(sink.mails) == 1
    assert attempts_of(message.id) == [("worker-1", "failed", "SMTPDataError")] * 2 + [
        ("worker-1", "sent", None)]


def test_a_mail_server_that_stalls_is_given_up_within_the_smtp_timeout(app, message, sink, t0):
    """Not held until the lease expires (when another worker would send a second copy)."""
    app.config["SMTP_TIMEOUT_SECONDS"] = 1
    sink.stalling = True
    started = time.monotonic()
    assert sweep(t0) == 0
    assert time.monotonic() - started < sink.stall_seconds - 2
    failed = state_of(message.id)
    assert (failed.state, failed.attempts) == ("pending", 1)
    assert failed.last_error_class in {"TimeoutError", "SMTPServerDisconnected"}
    assert sink.mails == []


def test_the_fifth_failure_makes_the_message_dead(app, message, sink, t0):
    sink.refusing = True
    moment = t0
    for wait in (timedelta(0), timedelta(minutes=1), timedelta(minutes=5),
                 timedelta(minutes=30), timedelta(hours=2)):
        moment += wait
        assert sweep(moment) == 0
    dead = state_of(message.id)
    assert (dead.state, dead.attempts) == ("dead", 5)
    sink.refusing = False
    assert sweep(moment + timedelta(days=2)) == 0  # dead stays dead until an admin retries
    assert sink.mails == []
    outcomes = [outcome for _, outcome, _ in attempts_of(message.id)]
    assert outcomes == ["failed"] * 4 + ["dead"]


def test_two_workers_racing_for_one_message_send_it_once(app, message, sink, t0):
    barrier = threading.Barrier(2, timeout=30)
    results, errors = {}, []
    message_id = message.id  # read here: the test's session is not the threads' to use
    db.session.commit()

    def work(worker):
        try:
            with app.app_context():
                barrier.wait()
                results[worker] = outbox.deliver_one(message_id, now=t0, worker_id=worker)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("alpha", "beta")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(results.values()) == [False, True]
    assert len(sink.mails) == 1
    [winner] = [name for name, won in results.items() if won]
    assert attempts_of(message.id) == [(winner, "sent", None)]


def test_a_worker_that_died_after_claiming_is_taken_over_once_its_lease_expires(
    app, message, sink
, t0):
    assert outbox._claim(message.id, t0, "worker-that-died")  # ...and then nothing
    assert sweep(t0 + timedelta(minutes=4), "worker-2") == 0  # its lease still holds
    assert outbox.deliver_one(message.id, now=t0 + timedelta(minutes=4),
                              worker_id="worker-2") is False
    after_lease = t0 + outbox.lease() + timedelta(seconds=1)
    assert sweep(after_lease, "worker-2") == 1
    assert sweep(after_lease, "worker-3") == 0
    assert len(sink.mails) == 1
    assert attempts_of(message.id) == [("worker-that-died", "in_doubt", None),
                                       ("worker-2", "sent", None)]
    assert state_of(message.id).attempts == 2  # the dead worker's try counts


def test_a_worker_that_lost_its_lease_does_not_overwrite_the_new_owner(app, message, sink, t0):
    assert outbox._claim(message.id, t0, "slow-worker")
    late = t0 + outbox.lease() + timedelta(seconds=1)
    assert outbox._claim(message.id, late, "worker-2")
    outbox._fail(message.id, "slow-worker", (t0, late), "SMTPServerDisconnected")
    row = state_of(message.id)
    assert (row.state, row.claimed_by) == ("sending", "worker-2")


def test_a_mail_about_an_alert_already_dealt_with_is_cancelled(app, message, therapist, sink, t0):
    acknowledge_alert(therapist, db.session.scalar(sa.select(Alert.id)), "Called them.")
    assert sweep(t0) == 0
    assert state_of(message.id).state == "cancelled"
    assert sink.mails == []
    assert [outcome for _, outcome, _ in attempts_of(message.id)] == ["cancelled"]


def test_attempt_rows_and_log_lines_hold_no_recipient_or_body(
    app, message, patient, sink, logs, t0
):
    sink.refusing = True
    sweep(t0)
    sink.refusing = False
    sweep(t0 + timedelta(minutes=1))
    db.session.commit()
    with db.engine.connect() as connection:
        stored = repr(connection.execute(sa.select(DeliveryAttempt.__table__)).all())
    for secret in ("trainer@riverside.test", patient.reference, patient.display_name,
                   "alert", "LiftClinic"):
        assert secret not in stored
    ours = [line for line in logs.lines if not line.startswith("mail.log ")]  # not the sink's
    assert [line for line in ours if "outbox message" in line]
    assert [line for line in ours if "trainer@riverside.test" in line
            or patient.reference in line] == []


def test_without_smtp_messages_wait_untouched(app, message, t0):
    assert app.config["SMTP_URL"] is None
    assert sweep(t0) == 0
    assert outbox.deliver_one(message.id, now=t0, worker_id="w") is False
    row = state_of(message.id)
    assert (row.state, row.attempts, row.claimed_by) == ("pending", 0, None)
    assert attempts_of(message.id) == []


def test_the_deliver_command_sends_what_is_due(app, runner, message, sink):
    result = runner.invoke(args=["outbox", "deliver"])
    assert (result.exit_code, result.output.strip()) == (0, "sent 1 message(s)")
    assert [m.to for m in sink.mails] == [["trainer@riverside.test"]]
    assert runner.invoke(args=["outbox", "deliver"]).output.strip() == "sent 0 message(s)"


def test_the_deliver_command_says_when_mail_is_off(app, runner, message):
    result = runner.invoke(args=["outbox", "deliver"])
    assert result.output.strip() == "mail is off (SMTP_URL is not set): messages wait"
    assert state_of(message.id).state == "pending"
