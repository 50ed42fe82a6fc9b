"""Nothing lost, nothing sent twice, on two machines (issue 15, item 5).

The topology (conftest.py): app1 and app2 under gunicorn, worker1 and worker2 (``flask
worker``), one PostgreSQL database, one Redis, one SMTP sink, all on 127.0.0.1. Mails are
counted as the sink received them: by Message-ID and by raw count, per recipient.
"""

import time

import pytest
import sqlalchemy as sa

from clinic.extensions import db
from topology.conftest import alert_id_for, outbox_rows, risk_link, submit_risk_answer
from topology.processes import wait_until

pytestmark = [pytest.mark.topology, pytest.mark.slow, pytest.mark.xdist_group("topology")]

ARRIVAL_TIMEOUT_S = 45  # a deadline, met in a few seconds unless something is wrong
# After the expected mails arrived, how long a duplicate would still have to show up: longer
# than a worker's poll and the shortened first back-off together.
SETTLE_S = 3


def alert_mails(topo, alert_id):
    """The mails the sink kept about one alert (its page's address is in the text)."""
    return topo.sink.messages(containing=f"/alerts/{alert_id}")


def assert_once_per_member(topo, mails):
    recipients = sorted(r for mail in mails for r in mail.recipients)
    assert recipients == sorted(topo.world["care_team"]), mails
    message_ids = [mail.message_id for mail in mails]
    assert all(message_ids) and len(set(message_ids)) == len(message_ids), message_ids


def assert_quiet_logs(topo):
    """No process of the topology logged an error or a traceback (a refused or in-doubt
    delivery is a warning; a lost one would be an error)."""
    for child in topo.topology.children:
        noisy = [line for line in child.log_lines()
                 if "Traceback" in line or " ERROR " in line or "[ERROR]" in line]
        assert noisy == [], f"{child.name}: {noisy}"


def wait_for_alert_mails(topo, alert_id):
    """The alert's mails once the sink has one per member AND the database says each message
    is sent (so a copy still to come from a taken-over claim would be counted), and a while
    longer for any duplicate."""
    expected = len(topo.world["care_team"])

    def delivered():
        messages, _ = outbox_rows(alert_id)
        return (len(alert_mails(topo, alert_id)) >= expected
                and [m.state for m in messages] == ["sent"] * expected)

    wait_until(delivered, timeout=ARRIVAL_TIMEOUT_S,
               what=f"{expected} mails about alert {alert_id}, sent in the database",
               details=lambda: f"sink kept: {topo.sink.messages()}\noutbox: "
                               f"{[(m.id, m.state, m.attempts) for m in outbox_rows(alert_id)[0]]}")
    time.sleep(SETTLE_S)
    return alert_mails(topo, alert_id)


def test_a_risk_answer_through_app1_mails_each_care_team_member_once(topo):
    reference, token = risk_link(topo.world)
    app1_base = topo.apps[0][1]
    submit_risk_answer(app1_base, token)
    alert_id = alert_id_for(reference)
    mails = wait_for_alert_mails(topo, alert_id)
    assert_once_per_member(topo, mails)
    for mail in mails:  # a reference and a link, never the patient's name
        assert f"Patient {reference}" not in mail.text + mail.subject
    messages, attempts = outbox_rows(alert_id)
    assert sorted(m.recipient for m in messages) == sorted(topo.world["care_team"])
    assert [[a.outcome for a in attempts[m.id]] for m in messages] == [["sent"], ["sent"]]
    assert_quiet_logs(topo)


def test_a_mail_outage_then_every_mail_arrives_once(topo):
    """The sink answers 451 to every recipient for a while (a greylisting or overloaded
    server); the workers retry on the (shortened) back-off; each mail arrives once."""
    reference, token = risk_link(topo.world)
    refusals_before = topo.sink.refusals
    topo.sink.refuse_for(2.5)
    submit_risk_answer(topo.apps[1][1], token)  # through app 2 this time
    alert_id = alert_id_for(reference)
    mails = wait_for_alert_mails(topo, alert_id)
    assert topo.sink.refusals - refusals_before >= len(topo.world["care_team"])
    assert_once_per_member(topo, mails)
    messages, attempts = outbox_rows(alert_id)
    assert [m.state for m in messages] == ["sent"] * len(topo.world["care_team"])
    for message in messages:  # at least one refused attempt before the one that was sent
        outcomes = [a.outcome for a in attempts[message.id]]
        assert outcomes[-1] == "sent" and outcomes.count("sent") == 1, outcomes
        assert "failed" in outcomes and message.attempts == len(outcomes), outcomes
    assert_quiet_logs(topo)


def test_the_scheduler_on_both_machines_makes_each_invitation_once(topo):
    """Both workers started with the patient's GAD-7 due: one of them won the hour's slot;
    one link, one mail."""
    from clinic.measures.models import Invitation
    from clinic.work.models import SchedulerRun

    patient_id = topo.world["scheduled_patient_id"]
    address = "scheduled@patient.test"
    wait_until(lambda: [m for m in topo.sink.messages() if address in m.recipients],
               timeout=ARRIVAL_TIMEOUT_S, what="the scheduled link's mail",
               details=lambda: f"sink kept: {topo.sink.messages()}")
    wait_until(lambda: all(f"worker {w.name}:" in w.log() for w in topo.workers),
               timeout=ARRIVAL_TIMEOUT_S, what="both workers running")
    time.sleep(SETTLE_S)
    db.session.rollback()
    invitations = db.session.scalars(sa.select(Invitation).where(
        Invitation.patient_id == patient_id)).all()
    assert [(i.kind, i.instruments) for i in invitations] == [("scheduled", ["GAD-7"])]
    mails = [m for m in topo.sink.messages() if address in m.recipients]
    assert len(mails) == 1 and mails[0].message_id, mails
    runs = db.session.scalars(sa.select(SchedulerRun).where(
        SchedulerRun.task == "measures.send-due")).all()
    assert runs and all(run.outcome == "done" for run in runs), runs
    assert len({run.slot for run in runs}) == len(runs)  # one run per hour slot, whoever ran it
    assert {run.worker.split(":")[0] for run in runs} <= {"worker1", "worker2"}
    for run in runs:  # the slot's job line, in one worker's log only
        line = f"job kind=measures.send-due id={run.slot.isoformat()} "
        assert sum(w.log().count(line) for w in topo.workers) == 1, line
    assert_quiet_logs(topo)  # "scheduler tick failed" is an error line


@pytest.mark.parametrize("server_has_it", [False, True], ids=["before-250", "250-lost"])
def test_a_worker_killed_inside_a_send_the_other_delivers_it_once(topo, server_has_it):
    """The sink holds the next DATA (the whole message sent, no answer yet); the worker in
    that conversation is SIGKILLed with its process group, as a machine that dies. Its claim
    expires (OUTBOX_LEASE_SECONDS) and the other worker sends the message again, in doubt.

    before-250: the sink never answered 250, so it never took the first copy: each member
    gets the mail once, raw count included.
    250-lost: the sink had queued the message and only its 250 was lost with the machine (the
    same as a crash after the 250 and before the worker's commit): the second copy arrives
    too, under the same Message-ID, for the receiving server or mail client to drop. At
    least once on the wire, exactly once per Message-ID: SMTP offers no more.
    """
    reference, token = risk_link(topo.world)
    topo.sink.stall_next_data(keep=server_has_it)
    submit_risk_answer(topo.apps[0][1], token)
    alert_id = alert_id_for(reference)
    assert topo.sink.stalled.wait(ARRIVAL_TIMEOUT_S), "no worker started a send"
    victim = topo.worker_holding(topo.sink.stalled_peer)
    survivor = next(w for w in topo.workers if w is not victim)
    victim.kill()
    topo.sink.release()
    mails = wait_for_alert_mails(topo, alert_id)
    by_message_id = sorted({m.message_id: m for m in mails}.values(), key=lambda m: m.message_id)
    assert_once_per_member(topo, by_message_id)
    team = len(topo.world["care_team"])
    assert len(mails) == team + (1 if server_has_it else 0), mails  # the raw count
    messages, attempts = outbox_rows(alert_id)
    assert [m.state for m in messages] == ["sent"] * team
    taken_over = [m for m in messages if any(a.outcome == "in_doubt" for a in attempts[m.id])]
    assert len(taken_over) == 1, {m.id: [a.outcome for a in attempts[m.id]] for m in messages}
    [doubtful] = taken_over
    outcomes = [(a.outcome, a.worker.split(":")[0]) for a in attempts[doubtful.id]]
    assert outcomes == [("in_doubt", victim.name), ("sent", survivor.name)], outcomes
    assert survivor.alive()
    assert_quiet_logs(topo)
    topo.restart_worker(victim)  # the machine comes back: the next scenario has two again
