"""``send_due`` (``flask measures send-due``): scheduled links, their mail, reminders, and the
missed-questionnaires alert.

Runs are placed in time by passing ``now=`` (and by time_machine where a page or a service
reads the clock itself). The job queues its mails in the outbox; ``send_due`` here then runs
the outbox worker's sweep at the same moment, as ``flask worker`` does, so the mails reach a
real SMTP server (aiosmtpd) on 127.0.0.1 before a test looks.
"""

import os
import re
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from conftest import make_config
from factories import ClinicFactory, InvitationFactory, PatientFactory, UserFactory
from helpers import hashed, rows, utc
from mailsink import Sink

from clinic.alerts.models import Alert
from clinic.audit.models import AuditEvent
from clinic.config import PROJECT_DIR
from clinic.database import utcnow
from clinic.extensions import db, mail
from clinic.mailer import send_mail
from clinic.measures import jobs, services
from clinic.measures import schedule as schedule_rules
from clinic.measures.models import Invitation
from clinic.outbox.models import OutboxMessage
from clinic.outbox.services import deliver_due
from clinic.patients.services import set_discharged

MONDAY, WEDNESDAY = 0, 2
START = date(2026, 1, 5)  # a Monday, in winter: London time is UTC
LINK = re.compile(r"http://clinic\.test/q/([A-Za-z0-9_-]{43})")


def london(*args):
    return datetime(*args, tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)


MON_0905 = london(2026, 1, 5, 9, 5)


def send_due(now=None):
    """The hourly job, then the outbox worker's sweeps: at the job's moment (the links' mails
    are queued on its clock) and at the wall clock's (an alert is raised, and its care-team
    mails queued, on the wall clock)."""
    report = jobs.send_due(now)
    for moment in (now or utcnow(), utcnow()):
        deliver_due(now=moment, worker_id="test-worker", limit=1000)
    return report


# A real SMTP server (tests/mailsink.py) ------------------------------------------------------


@pytest.fixture
def late_sink():
    """SMTP_URL points here, but nothing listens until the test starts it."""
    server = Sink()
    yield server
    server.stop()


@pytest.fixture
def config_overrides(request):
    for name in ("sink", "late_sink"):
        if name in request.fixturenames:
            return {"SMTP_URL": request.getfixturevalue(name).url}
    return {}


# Data -----------------------------------------------------------------------------------------


@pytest.fixture
def clinic():
    return ClinicFactory(name="Riverside Wellbeing")


@pytest.fixture
def therapist(clinic):
    return UserFactory(clinic=clinic, email="therapist@clinic.test")


def make_patient(clinic, therapist, name, email, schedules=(("PHQ-9", 1, MONDAY),),
                 starts_on=START, ends_on=None, team=()):
    patient = PatientFactory(clinic=clinic, primary=therapist, team=list(team),
                             display_name=name, email=email)
    for code, every_weeks, weekday in schedules:
        services.save_schedule(therapist, patient.id, services.ScheduleInput(
            code, every_weeks, weekday, starts_on, ends_on))
    return patient


def by_patient_and_date():
    return {(i.patient_id, i.due_on): set(i.instruments) for i in rows(Invitation)}


def the_invitation(patient, due_on):
    db.session.commit()
    return db.session.scalar(sa.select(Invitation).where(Invitation.patient_id == patient.id,
                                                         Invitation.due_on == due_on))


def token_of(mail_item):
    tokens = set(LINK.findall(mail_item.text)) | set(LINK.findall(mail_item.html))
    assert len(tokens) == 1, mail_item.text
    return tokens.pop()


# Creating invitations ---------------------------------------------------------------------------


def test_one_invitation_per_patient_and_due_date_bundles_the_instruments_due_that_date(
    app, clinic, therapist
):
    ada = make_patient(clinic, therapist, "Ada Quill", None, schedules=[
        ("PHQ-9", 1, MONDAY), ("GAD-7", 2, MONDAY), ("WHO-5", 1, WEDNESDAY)])
    ben = make_patient(clinic, therapist, "Ben Marsh", None)

    assert send_due(london(2026, 1, 5, 7, 59)).created == 0  # not before 08:00
    assert rows(Invitation) == []

    assert send_due(london(2026, 1, 5, 8, 0)).created == 2
    assert send_due(london(2026, 1, 7, 9, 0)).created == 1  # Ada's Wednesday WHO-5
    assert send_due(london(2026, 1, 12, 9, 0)).created == 2  # GAD-7 is off this week
    assert send_due(london(2026, 1, 19, 9, 0)).created == 2

    assert by_patient_and_date() == {
        (ada.id, date(2026, 1, 5)): {"PHQ-9", "GAD-7"},
        (ada.id, date(2026, 1, 7)): {"WHO-5"},
        (ada.id, date(2026, 1, 12)): {"PHQ-9"},
        (ada.id, date(2026, 1, 19)): {"PHQ-9", "GAD-7"},
        (ben.id, date(2026, 1, 5)): {"PHQ-9"},
        (ben.id, date(2026, 1, 12)): {"PHQ-9"},
        (ben.id, date(2026, 1, 19)): {"PHQ-9"},
    }
    first = the_invitation(ada, date(2026, 1, 5))
    assert first.kind == "scheduled"
    assert first.created_at == london(2026, 1, 5, 8, 0)
    assert first.expires_at == first.created_at + timedelta(days=4)
    assert len(first.instruments) == 2  # each instrument once


def test_running_again_creates_nothing_more(app, clinic, therapist):
    make_patient(clinic, therapist, "Ada Quill", None, schedules=[
        ("PHQ-9", 1, MONDAY), ("GAD-7", 1, MONDAY)])
    make_patient(clinic, therapist, "Ben Marsh", None)

    assert send_due(MON_0905).created == 2
    before = by_patient_and_date()
    for now in (MON_0905, london(2026, 1, 5, 10, 5), london(2026, 1, 8, 23, 0)):
        report = send_due(now)
        assert (report.created, report.emailed, report.reminded) == (0, 0, 0)
    assert by_patient_and_date() == before
    assert len(rows(Invitation)) == 2
    created_events = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "invitation_create"))
    assert created_events == 2


def test_the_clinic_time_zone_decides_when_0800_is(app, therapist, clinic):
    new_york = ClinicFactory(name="Hudson Clinic", timezone="America/New_York")
    nyc_therapist = UserFactory(clinic=new_york)
    london_patient = make_patient(clinic, therapist, "Ada Quill", None)
    nyc_patient = make_patient(new_york, nyc_therapist, "Cal Reyes", None)

    send_due(utc(2026, 1, 5, 9, 0))  # 09:00 in London, 04:00 in New York
    assert set(by_patient_and_date()) == {(london_patient.id, START)}
    send_due(utc(2026, 1, 5, 13, 0))  # 08:00 in New York
    assert set(by_patient_and_date()) == {(london_patient.id, START), (nyc_patient.id, START)}


def test_summer_time_links_go_out_at_0800_london_time(app, clinic, therapist):
    patient = make_patient(clinic, therapist, "Ada Quill", None, starts_on=date(2026, 3, 23))
    send_due(utc(2026, 3, 30, 6, 59))  # 07:59 BST
    assert the_invitation(patient, date(2026, 3, 30)) is None
    assert send_due(utc(2026, 3, 30, 7, 30)).created == 1  # 08:30 BST
    assert the_invitation(patient, date(2026, 3, 30)) is not None


def test_ends_on_is_respected(app, clinic, therapist):
    ada = make_patient(clinic, therapist, "Ada Quill", None, ends_on=date(2026, 1, 12))
    ben = make_patient(clinic, therapist, "Ben Marsh", None, schedules=[
        ("PHQ-9", 1, MONDAY)])
    services.save_schedule(therapist, ben.id, services.ScheduleInput(
        "GAD-7", 1, MONDAY, START, date(2026, 1, 7)))

    for day in (5, 12, 19, 26):
        send_due(london(2026, 1, day, 9, 0))
    assert by_patient_and_date() == {
        (ada.id, date(2026, 1, 5)): {"PHQ-9"},
        (ada.id, date(2026, 1, 12)): {"PHQ-9"},  # the end date itself is included
        (ben.id, date(2026, 1, 5)): {"PHQ-9", "GAD-7"},
        (ben.id, date(2026, 1, 12)): {"PHQ-9"},
        (ben.id, date(2026, 1, 19)): {"PHQ-9"},
        (ben.id, date(2026, 1, 26)): {"PHQ-9"},
    }


def test_discharged_patients_get_no_invitations_and_no_mail(app, clinic, therapist, sink):
    make_patient(clinic, therapist, "Ada Quill", "ada@example.org")
    dan = make_patient(clinic, therapist, "Dan Frost", "dan@example.org")
    set_discharged(therapist, dan.id, True)

    for day in (5, 7, 12):
        send_due(london(2026, 1, day, 9, 0))
    assert {i.patient_id for i in rows(Invitation)} != set()
    assert all(i.patient_id != dan.id for i in rows(Invitation))
    assert sink.to("dan@example.org") == []
    assert len(sink.to("ada@example.org")) == 3  # two links and one reminder


def test_a_patient_discharged_with_open_links_gets_no_reminder_and_raises_no_missed_alert(
    app, clinic, therapist, sink
):
    """Discharge ends the job's work for a patient: no reminder, no new link, and no alert
    that the questionnaires they were sent before discharge went unanswered."""
    dan = make_patient(clinic, therapist, "Dan Frost", "dan@example.org")
    send_due(london(2026, 1, 5, 9, 0))
    send_due(london(2026, 1, 12, 9, 0))
    assert len(sink.to("dan@example.org")) == 2
    set_discharged(therapist, dan.id, True)

    for now in (london(2026, 1, 14, 10, 0), london(2026, 1, 17, 10, 0),
                london(2026, 1, 19, 10, 0)):
        report = send_due(now)
        assert (report.created, report.reminded) == (0, 0)
    assert len(sink.to("dan@example.org")) == 2
    assert sink.to("therapist@clinic.test") == []
    db.session.commit()
    assert db.session.scalars(sa.select(Alert.kind)).all() == []


# Two runs at once ------------------------------------------------------------------------------


def _run_in_threads(app, now, count=2):
    reports, errors = [], []
    db.session.commit()  # no read transaction of ours left open while they write

    def run():
        try:
            with app.app_context():
                reports.append(send_due(now))
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    return reports


def _meet_after(monkeypatch, name, barrier):
    """Both runs finish ``name`` (what to do) before either starts doing it."""
    original = getattr(jobs, name)

    def wrapped(*args, **kwargs):
        result = original(*args, **kwargs)
        barrier.wait()
        return result

    monkeypatch.setattr(jobs, name, wrapped)


def test_two_runs_at_once_in_threads_create_and_mail_each_link_once(
    app, clinic, therapist, sink, monkeypatch
):
    patients = [make_patient(clinic, therapist, f"Pat Number{n}", f"pat{n}@example.org",
                             schedules=[("PHQ-9", 1, MONDAY), ("GAD-7", 1, MONDAY)])
                for n in range(4)]
    barrier = threading.Barrier(2, timeout=60)
    # Both runs decide what is due, and which links to mail, before either acts on it.
    _meet_after(monkeypatch, "due_invitations", barrier)
    _meet_after(monkeypatch, "_mail_candidates", barrier)

    reports = _run_in_threads(app, MON_0905)

    assert [r.errors for r in reports] == [[], []]
    assert sum(r.created for r in reports) == 4
    assert sum(r.emailed for r in reports) == 4
    assert by_patient_and_date() == {(p.id, START): {"PHQ-9", "GAD-7"} for p in patients}
    assert sorted(m.to[0] for m in sink.mails) == sorted(p.email for p in patients)
    assert all(i.emailed_at == MON_0905 for i in rows(Invitation))


@pytest.mark.slow
def test_two_runs_at_once_in_threads_raise_one_missed_alert(app, clinic, therapist, sink):
    patient = make_patient(clinic, therapist, "Ada Quill", "ada@example.org")
    send_due(london(2026, 1, 5, 9, 0))
    send_due(london(2026, 1, 12, 9, 0))

    reports = _run_in_threads(app, london(2026, 1, 16, 10, 0), count=3)

    assert sum(r.missed_alerts for r in reports) == 1
    db.session.commit()
    alerts = db.session.scalars(sa.select(Alert)).all()
    assert [(a.patient_id, a.kind) for a in alerts] == [(patient.id, "missed_questionnaires")]
    assert len(sink.to("therapist@clinic.test")) == 1


@pytest.mark.slow
def test_two_processes_at_once_create_one_invitation_per_patient(
    app, clinic, therapist, migrated_schema
):
    """Two ``flask measures send-due`` processes (cron on two machines) against one database."""
    now = utcnow()
    local = schedule_rules.local_now(now, clinic.timezone)
    due_on = local.date()
    if now < schedule_rules.send_moment(due_on, clinic.timezone):
        due_on -= timedelta(days=1)
    # A schedule with exactly one occurrence, due now, whenever the processes start.
    patients = [make_patient(clinic, therapist, f"Pat Number{n}", None,
                             schedules=[("PHQ-9", 1, due_on.weekday())], starts_on=due_on,
                             ends_on=due_on) for n in range(3)]
    db.session.commit()
    env = {k: v for k, v in os.environ.items()
           if k not in ("SMTP_URL", "REDIS_URL", "FLASK_APP", "BASE_URL", "FLASK_DEBUG")}
    config = make_config(migrated_schema)
    env.update(DATABASE_URL=migrated_schema, LIFTCLINIC_ENV="development",
               SECRET_KEY=config["SECRET_KEY"], BASE_URL=config["BASE_URL"])
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "measures", "send-due"]
    processes = [subprocess.Popen(command, cwd=PROJECT_DIR, env=env,  # noqa: S603 (fixed argv)
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]

    assert [p.returncode for p in processes] == [0, 0], outputs
    created = [int(re.search(r"created (\d+) invitation", out).group(1)) for out, _ in outputs]
    assert sum(created) == 3
    assert by_patient_and_date() == {(p.id, due_on): {"PHQ-9"} for p in patients}


# The command -----------------------------------------------------------------------------------


def test_the_command_exits_0_and_reports_its_counts(app, runner, clinic, therapist):
    make_patient(clinic, therapist, "Ada Quill", None)
    make_patient(clinic, therapist, "Ben Marsh", None)
    with time_machine.travel(MON_0905, tick=False):
        first = runner.invoke(args=["measures", "send-due"])
        second = runner.invoke(args=["measures", "send-due"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == ("created 2 invitation(s), mails queued 0, "
                                    "reminders queued 0, missed-week alerts 0")
    assert second.exit_code == 0, second.output
    assert second.output.startswith("created 0 invitation(s)")
    assert len(rows(Invitation)) == 2


def test_a_mail_server_outage_does_not_fail_the_command_and_the_mail_arrives_later(
    app, runner, clinic, therapist, late_sink
):
    """The command only queues (its claim and the outbox row commit together); the worker
    meets the outage, tries again by the back-off, and the mail arrives once."""
    patient = make_patient(clinic, therapist, "Ada Quill", "ada@example.org")
    with time_machine.travel(MON_0905, tick=False):
        queued = runner.invoke(args=["measures", "send-due"])
    assert queued.exit_code == 0, queued.output
    assert "mails queued 1" in queued.output
    assert the_invitation(patient, START).emailed_at == MON_0905
    assert deliver_due(now=MON_0905, worker_id="w", limit=10) == 0  # nothing listens yet
    [message] = rows(OutboxMessage)
    assert (message.state, message.attempts) == ("pending", 1)

    late_sink.start()
    assert deliver_due(now=MON_0905 + timedelta(seconds=59), worker_id="w", limit=10) == 0
    assert deliver_due(now=MON_0905 + timedelta(minutes=1), worker_id="w", limit=10) == 1
    with time_machine.travel(MON_0905 + timedelta(hours=1), tick=False):
        again = runner.invoke(args=["measures", "send-due"])
    assert "mails queued 0" in again.output
    assert deliver_due(now=MON_0905 + timedelta(hours=1), worker_id="w", limit=10) == 0
    assert len(late_sink.to("ada@example.org")) == 1


# Mail ------------------------------------------------------------------------------------------


def test_a_mail_can_be_sent_outside_a_request_as_cron_does(app, sink):
    """``flask measures send-due`` has an app context but no request (and no current user)."""
    assert send_mail("someone@example.org", "A questionnaire from your clinic", "questionnaire",
                     url="http://clinic.test/q/x", reminder=False, clinic_name="Riverside",
                     expires="Friday 09 January, 09:05")
    assert [m.to for m in sink.mails] == [["someone@example.org"]]


def test_each_new_link_is_mailed_once_to_patients_with_an_email_and_names_nobody(
    app, client, clinic, therapist, sink
):
    ada = make_patient(clinic, therapist, "Ada Quill", "ada@example.org")
    make_patient(clinic, therapist, "Ben Marsh", None)
    InvitationFactory(actor=therapist, patient=ada, codes=["GAD-7"])  # never mailed by the job

    with time_machine.travel(MON_0905, tick=False):
        report = send_due(MON_0905)
        assert (report.created, report.emailed, report.errors) == (2, 1, [])
        assert [m.to for m in sink.mails] == [["ada@example.org"]]
        message = sink.mails[0]
        token = token_of(message)
        invitation = the_invitation(ada, START)
        assert invitation.token_hash == hashed(token)
        assert invitation.emailed_at == MON_0905
        for secret in ("Ada Quill", ada.reference, "Ben Marsh"):
            assert secret not in message.everything
        assert "Riverside Wellbeing" in message.text
        # The mailed link opens the questionnaire.
        opened = client.get(f"/q/{token}")
        assert opened.status_code == 303
        assert opened.headers["Location"].endswith("/q/")

    report = send_due(MON_0905 + timedelta(hours=1))
    assert (report.created, report.emailed, report.reminded) == (0, 0, 0)
    assert len(sink.mails) == 1


def test_one_reminder_after_reminder_after_days_and_only_one(app, clinic, therapist, sink):
    ada = make_patient(clinic, therapist, "Ada Quill", "ada@example.org")
    make_patient(clinic, therapist, "Ben Marsh", None)
    send_due(MON_0905)
    assert len(sink.mails) == 1

    for now in (london(2026, 1, 6, 9, 5), MON_0905 + timedelta(days=2, seconds=-1)):
        assert send_due(now).reminded == 0
    assert len(sink.mails) == 1

    assert send_due(MON_0905 + timedelta(days=2)).reminded == 1
    for now in (london(2026, 1, 7, 10, 5), london(2026, 1, 8, 9, 5), london(2026, 1, 9, 9, 6)):
        assert send_due(now).reminded == 0

    first, reminder = sink.mails
    assert reminder.to == ["ada@example.org"]
    assert "reminder" in reminder.text and "reminder" not in first.text
    assert token_of(reminder) == token_of(first)
    assert "Ada Quill" not in reminder.everything and ada.reference not in reminder.everything
    assert the_invitation(ada, START).reminder_sent_at == MON_0905 + timedelta(days=2)


def test_no_reminder_for_completed_or_revoked_links(app, clinic, therapist, sink):
    ada = make_patient(clinic, therapist, "Ada Quill", "ada@example.org")
    ben = make_patient(clinic, therapist, "Ben Marsh", "ben@example.org")
    cleo = make_patient(clinic, therapist, "Cleo Dunn", "cleo@example.org")
    send_due(MON_0905)
    assert len(sink.mails) == 3

    with time_machine.travel(london(2026, 1, 6, 12, 0), tick=False):
        services.submit_link_answers(the_invitation(ada, START).id, {"PHQ-9": [0] * 9}, {})
        services.revoke_invitation(therapist, ben.id, the_invitation(ben, START).id)

    assert send_due(london(2026, 1, 7, 9, 10)).reminded == 1
    assert len(sink.to("ada@example.org")) == 1
    assert len(sink.to("ben@example.org")) == 1
    assert len(sink.to("cleo@example.org")) == 2
    assert the_invitation(cleo, START).reminder_sent_at is not None


def test_without_smtp_no_mail_is_sent_and_the_link_is_on_the_patient_page(
    app, client, auth, clinic, therapist
):
    """Mail off: the mail is queued and waits (the link is on the patient page meanwhile)."""
    ada = make_patient(clinic, therapist, "Ada Quill", "ada@example.org")
    with time_machine.travel(MON_0905, tick=False), mail.record_messages() as outbox:
        report = send_due()
        assert (report.created, report.emailed) == (1, 1)
        assert send_due(MON_0905 + timedelta(days=2)).reminded == 1
        assert outbox == []
        assert [(m.kind, m.state, m.attempts) for m in rows(OutboxMessage)] == [
            ("invitation_mail", "pending", 0), ("invitation_reminder", "pending", 0)]
        invitation = the_invitation(ada, START)

        auth.login("therapist@clinic.test")
        page = client.get(f"/patients/{ada.id}").get_data(as_text=True)
        href = f"/patients/{ada.id}/invitations/{invitation.id}"
        assert f'href="{href}"' in page
        link_page = client.get(href).get_data(as_text=True)
    tokens = set(LINK.findall(link_page))
    assert len(tokens) == 1
    assert hashed(tokens.pop()) == invitation.token_hash


# Missed questionnaires ---------------------------------------------------------------------------


def test_two_expired_links_in_a_row_raise_one_alert_naming_the_later_one(
    app, clinic, therapist, sink
):
    colleague = UserFactory(clinic=clinic, email="colleague@clinic.test")
    former = UserFactory(clinic=clinic, email="former@clinic.test", active=False)
    UserFactory(clinic=clinic, email="bystander@clinic.test")
    ada = make_patient(clinic, therapist, "Ada Quill", "ada@example.org",
                       team=[colleague, former])
    make_patient(clinic, therapist, "Ben Marsh", None)  # answers nothing, but only once yet

    send_due(london(2026, 1, 5, 9, 0))
    assert send_due(london(2026, 1, 9, 9, 30)).missed_alerts == 0  # one expired: no alert
    send_due(london(2026, 1, 12, 9, 0))
    assert send_due(london(2026, 1, 16, 8, 59)).missed_alerts == 0  # the second is still open

    assert send_due(london(2026, 1, 16, 9, 30)).missed_alerts == 2  # Ada's and Ben's
    for now in (london(2026, 1, 16, 10, 30), london(2026, 1, 17, 9, 0)):
        assert send_due(now).missed_alerts == 0

    db.session.commit()
    alerts = db.session.scalars(sa.select(Alert).where(Alert.patient_id == ada.id)).all()
    assert len(alerts) == 1
    alert = alerts[0]
    later = the_invitation(ada, date(2026, 1, 12))
    assert (alert.kind, alert.invitation_id) == ("missed_questionnaires", later.id)
    assert alert.detail == {"due_on": ["2026-01-05", "2026-01-12"]}

    alert_mails = [m for m in sink.mails if m.subject == "LiftClinic: a new alert"
                   and f"/alerts/{alert.id}" in m.text]
    assert sorted(m.to[0] for m in alert_mails) == ["colleague@clinic.test",
                                                    "therapist@clinic.test"]
    assert sink.to("former@clinic.test") == [] and sink.to("bystander@clinic.test") == []
    for message in alert_mails:
        assert ada.reference in message.text and ada.reference in message.html
        assert f"http://clinic.test/alerts/{alert.id}" in message.text
        for secret in ("Ada Quill", "ada@example.org", "/q/", "Ben Marsh"):
            assert secret not in message.everything


def test_no_missed_alert_when_the_later_link_was_answered(app, clinic, therapist):
    ada = make_patient(clinic, therapist, "Ada Quill", None)
    send_due(london(2026, 1, 5, 9, 0))
    send_due(london(2026, 1, 12, 9, 0))
    with time_machine.travel(london(2026, 1, 13, 12, 0), tick=False):
        services.submit_link_answers(the_invitation(ada, date(2026, 1, 12)).id,
                                     {"PHQ-9": [1] * 9}, {})
    assert send_due(london(2026, 1, 16, 9, 30)).missed_alerts == 0
    db.session.commit()
    assert db.session.scalars(
        sa.select(Alert).where(Alert.kind == "missed_questionnaires")).all() == []
