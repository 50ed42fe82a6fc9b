"""Nothing lost, nothing sent twice, on two machines (issue 15, item 5).

The topology (conftest.py): app1 and app2 under gunicorn, worker1 and worker2 (``flask
worker``), one PostgreSQL database, one Redis, one SMTP sink, all on 127.0.0.1. Mails are
counted as the sink received them: by Message-ID and by raw count, per recipient.
"""

import time

import pytest

from topology.conftest import alert_id_for, risk_link, submit_risk_answer
from topology.processes import wait_until

pytestmark = [pytest.mark.topology, pytest.mark.slow, pytest.mark.xdist_group("topology")]

ARRIVAL_TIMEOUT_S = 30
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


def wait_for_alert_mails(topo, alert_id):
    expected = len(topo.world["care_team"])
    wait_until(lambda: len(alert_mails(topo, alert_id)) >= expected,
               timeout=ARRIVAL_TIMEOUT_S, what=f"{expected} mails about alert {alert_id}",
               details=lambda: f"sink kept: {topo.sink.messages()}")
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
