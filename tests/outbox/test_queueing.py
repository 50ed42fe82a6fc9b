"""Messages are written in the transaction of their cause: they exist exactly when it does."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from factories import InvitationFactory, ResponseFactory, link_token
from helpers import answers, open_link, rows

from clinic.alerts.models import Alert
from clinic.alerts.services import raise_alert
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.measures import services as measures
from clinic.outbox.models import OutboxMessage

PHQ9_RISK = [2, 2, 2, 2, 2, 2, 2, 2, 1]  # total 17, moderately severe, item 9 above 0


def messages():
    return rows(OutboxMessage)


def test_a_rolled_back_alert_leaves_no_message(app, patient):
    @write_transaction
    def raise_then_fail(patient_id):
        raise_alert(db.session.get(type(patient), patient_id), "risk_item")
        raise RuntimeError("what raised the alert could not be stored")

    with pytest.raises(RuntimeError):
        raise_then_fail(patient.id)
    assert rows(Alert) == [] and messages() == []


def test_a_committed_alert_has_exactly_one_message_per_active_care_team_member(
    app, patient, therapist, trainer
):
    alert = write_transaction(lambda: raise_alert(patient, "missed_sessions", reason="x"))()
    queued = messages()
    assert sorted((m.recipient, m.kind, m.state, m.idempotency_key) for m in queued) == [
        ("ther@riverside.test", "alert_mail", "pending", f"alert:{alert.id}:user:{therapist.id}"),
        ("trainer@riverside.test", "alert_mail", "pending", f"alert:{alert.id}:user:{trainer.id}"),
    ]  # not the inactive former member, not the colleague off the team
    assert {m.clinic_id for m in queued} == {patient.clinic_id}


def test_a_patients_risk_answer_through_the_link_queues_the_care_teams_mails(
    app, patient, therapist
):
    invitation = InvitationFactory(actor=therapist, patient=patient.id, codes=["PHQ-9"])
    phone = app.test_client()
    page = open_link(phone, link_token(invitation), "q").get_data(as_text=True)
    fields = {name: value for name, value in (
        (n, page.split(f'name="{n}" value="')[1].split('"')[0])
        for n in ("csrf_token", "invitation", "part"))}
    sent = phone.post("/q/", data={**fields, **answers("PHQ-9", PHQ9_RISK)})
    assert sent.status_code == 303

    [alert] = rows(Alert)
    assert alert.kind == "risk_item"
    assert sorted(m.recipient for m in messages()) == ["ther@riverside.test",
                                                       "trainer@riverside.test"]


def test_a_paper_form_mails_the_rest_of_the_team_not_the_clinician_who_entered_it(
    app, patient, therapist
):
    """The clinician who entered it has the alert on the page in front of them."""
    ResponseFactory(actor=therapist, patient=patient, answers=PHQ9_RISK)
    assert [m.recipient for m in messages()] == ["trainer@riverside.test"]


def test_no_name_clinical_content_or_link_token_is_stored_in_a_message(app, patient, therapist):
    invitation = InvitationFactory(actor=therapist, patient=patient.id, codes=["PHQ-9"])
    measures.submit_link_answers(invitation.id, {"PHQ-9": PHQ9_RISK}, {})
    from clinic.measures.jobs import send_due

    send_due(datetime.now(UTC) + timedelta(minutes=1))  # no schedule: nothing more is queued
    stored = json.dumps([[m.recipient, m.subject, m.template, m.context, m.idempotency_key]
                         for m in messages()])
    assert patient.reference in stored  # the reference is how the mail names the patient
    for secret in (*patient.display_name.split(), patient.email, "17", "moderately",
                   link_token(invitation), "/q/", "PHQ9", "PHQ-9"):
        assert secret not in stored


def test_a_scheduled_links_mail_is_queued_with_its_claim(app, patient, therapist):
    """send-due claims ``emailed_at`` and writes the outbox row in one transaction: a row
    per claim, never one without the other."""
    from clinic.measures import jobs

    invitation = InvitationFactory(actor=therapist, patient=patient.id, codes=["PHQ-9"])
    db.session.execute(sa.update(type(invitation)).where(type(invitation).id == invitation.id)
                       .values(kind="scheduled"))
    db.session.commit()
    now = datetime.now(UTC)
    assert jobs._mail_invitation(invitation.id, now, False) is True
    assert jobs._mail_invitation(invitation.id, now, False) is False  # claimed already
    [message] = messages()
    assert (message.kind, message.recipient, message.context["link"]) == (
        "invitation_mail", "zebedee@example.org", ["invitation", invitation.id])
    assert message.idempotency_key == f"invitation:{invitation.id}:first"
