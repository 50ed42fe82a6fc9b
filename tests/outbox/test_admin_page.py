"""The admin's outgoing-mail page: undelivered and dead messages of their own clinic on the
clinic's clock, and a retry that is audited and refused to anyone else."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from factories import ClinicFactory, ResponseFactory, UserFactory
from helpers import rows, visible

from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.extensions import db
from clinic.outbox import services as outbox
from clinic.outbox.models import OutboxMessage

PHQ9_RISK = [2, 2, 2, 2, 2, 2, 2, 2, 1]
# 3 Dec 2026 14:05 UTC is 15:05 in Berlin (CET): the page shows the clinic's clock.
QUEUED = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)


@pytest.fixture
def dead(app, patient, therapist):
    """The trainer's alert mail, given up after five failures."""
    ResponseFactory(actor=therapist, patient=patient, answers=PHQ9_RISK)
    db.session.execute(sa.update(OutboxMessage).values(
        state="dead", attempts=5, created_at=QUEUED, last_error_class="SMTPRecipientsRefused"))
    db.session.commit()
    return db.session.scalar(sa.select(OutboxMessage))


def retry(client, auth, message_id):
    return auth.post(f"/admin/outbox/{message_id}/retry")


def test_the_admin_sees_a_dead_message_on_the_clinics_clock(app, client, auth, admin, dead):
    auth.login(admin.email)
    page = client.get("/admin/outbox/")
    assert page.status_code == 200
    words = visible(page)
    assert "Queued (Europe/Berlin)" in words
    assert "3 Dec 2026 15:05 CET" in words
    assert "trainer@riverside.test" in words and "Dead" in words
    assert "SMTPRecipientsRefused" in words
    assert "Mail is off" in words  # this app has no SMTP_URL: the page says so
    [viewed] = rows(AuditEvent, AuditEvent.action == "outbox_view")  # addresses are shown
    assert (viewed.actor_id, viewed.detail) == (admin.id, {"shown": 1})


def test_retry_puts_a_dead_message_back_and_is_audited(app, client, auth, admin, dead):
    auth.login(admin.email)
    answered = retry(client, auth, dead.id)
    assert answered.status_code == 303
    assert answered.headers["Location"] == "/admin/outbox/"
    [row] = rows(OutboxMessage)
    assert (row.state, row.attempts) == ("pending", 0)
    assert row.next_attempt_at > datetime.now(UTC) - timedelta(minutes=1)
    [event] = rows(AuditEvent, AuditEvent.action == "outbox_retry")
    assert (event.actor_id, event.object_type, event.object_id, event.detail) == (
        admin.id, "outbox_message", dead.id, {"kind": "alert_mail", "state_before": "dead"})


def test_a_sent_message_cannot_be_retried(app, client, auth, admin, dead):
    db.session.execute(sa.update(OutboxMessage).values(state="sent", sent_at=QUEUED))
    db.session.commit()
    auth.login(admin.email)
    answered = retry(client, auth, dead.id)
    assert answered.status_code == 303
    assert "no longer waiting" in visible(client.get("/admin/outbox/"))
    assert rows(OutboxMessage)[0].state == "sent"
    assert rows(AuditEvent, AuditEvent.action == "outbox_retry") == []


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.TRAINER])
def test_clinicians_who_are_not_admins_are_refused(app, client, auth, clinic, dead, role):
    user = UserFactory(clinic=clinic, role=role, email=f"{role}-two@riverside.test")
    auth.login(user.email)
    assert client.get("/admin/outbox/").status_code == 403
    assert retry(client, auth, dead.id).status_code == 403
    assert rows(OutboxMessage)[0].state == "dead"


def test_another_clinics_admin_neither_sees_nor_retries_the_message(app, client, auth, dead):
    other = UserFactory(clinic=ClinicFactory(name="Hillside"), role=Role.ADMIN,
                        email="admin@hillside.test")
    auth.login(other.email)
    assert "trainer@riverside.test" not in visible(client.get("/admin/outbox/"))
    assert retry(client, auth, dead.id).status_code == 404
    assert rows(OutboxMessage)[0].state == "dead"
    assert rows(AuditEvent, AuditEvent.action == "outbox_retry") == []


def test_a_retry_without_the_csrf_token_is_refused(app, client, auth, admin, dead):
    auth.login(admin.email)
    assert client.post(f"/admin/outbox/{dead.id}/retry").status_code == 400
    assert rows(OutboxMessage)[0].state == "dead"


def test_the_retry_is_a_conditional_update(app, admin, dead):
    """A message a worker took meanwhile (sending) is not pulled back from under it."""
    db.session.execute(sa.update(OutboxMessage).values(state="sending", claimed_by="w"))
    db.session.commit()
    with pytest.raises(outbox.ServiceError):
        outbox.retry_message(admin, dead.id)
    assert rows(OutboxMessage)[0].claimed_by == "w"
