"""The alerts inbox as a triage list: risk alerts first and set apart, each patient's name a
link to them, a filter by kind, and several alerts acknowledged at once with one note, each
checked against the clinician's access and audited on its own, all or nothing."""

import re
from datetime import timedelta

import pytest
from factories import ClinicFactory, PatientFactory, ResponseFactory, UserFactory
from helpers import audit_events, fresh, rows, words_of

from clinic.alerts.models import Alert
from clinic.auth.models import Role
from clinic.database import utcnow
from clinic.extensions import db

THERAPIST = "inbox@clinic.test"
TRAINER = "trainer@clinic.test"
RISKY = [1, 1, 1, 1, 1, 1, 1, 1, 1]  # item 9 answered: a risk alert


@pytest.fixture
def clinic(app):
    return ClinicFactory()


@pytest.fixture
def therapist(clinic):
    return UserFactory(clinic=clinic, email=THERAPIST)


def alert(patient, kind, *, age_hours, response=None):
    row = Alert(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        kind=kind,
        response_id=getattr(response, "id", None),
        detail={},
        created_at=utcnow() - timedelta(hours=age_hours),
    )
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def inbox(clinic, therapist):
    """One patient of the therapist's with a risk alert (oldest) and two newer ones."""
    patient = PatientFactory(clinic=clinic, primary=therapist, display_name="Robin Ash")
    response = ResponseFactory(actor=therapist, patient=patient, answers=RISKY)
    risk = rows(Alert, Alert.patient_id == patient.id)[0]
    risk.created_at = utcnow() - timedelta(hours=30)
    db.session.commit()
    missed = alert(patient, "missed_sessions", age_hours=2)
    pain = alert(patient, "pain_reported", age_hours=1)
    return patient, {"risk": risk.id, "missed": missed.id, "pain": pain.id}, response


def listed(body):
    """[(row class, words)] of the inbox table, in order."""
    tbody = re.search(r"<tbody>(.*?)</tbody>", body, re.S)
    return [
        (cls, words_of(row))
        for cls, row in re.findall(
            r'<tr class="([^"]*)">(.*?)</tr>', tbody.group(1) if tbody else "", re.S
        )
    ]


def test_risk_alerts_come_first_and_stand_apart(client, auth, inbox):
    patient, _, _ = inbox
    auth.login(THERAPIST)
    body = client.get("/alerts").get_data(as_text=True)
    shown = listed(body)
    assert [cls for cls, _ in shown] == ["alert-risk", "alert-other", "alert-other"]
    assert "Risk Risk item answered" in shown[0][1]
    assert "Pain reported" in shown[1][1]  # then newest first
    assert body.count(f'href="/patients/{patient.id}">Robin Ash</a>') == 3
    history = listed(client.get("/alerts?show=all").get_data(as_text=True))
    assert "Pain reported" in history[0][1]  # the history stays in time order


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("risk", ["Risk item answered"]),
        ("other", ["Pain reported in a session", "No session for two planned weeks"]),
        ("pain_reported", ["Pain reported in a session"]),
        ("review", []),
        (
            "not-a-kind",
            [
                "Risk item answered",
                "Pain reported in a session",
                "No session for two planned weeks",
            ],
        ),
    ],
)
def test_filtered_by_kind(client, auth, inbox, kind, expected):
    auth.login(THERAPIST)
    body = client.get(f"/alerts?kind={kind}").get_data(as_text=True)
    labels = re.findall(r'<a href="/alerts/\d+">(.*?)</a>', body)
    assert labels == expected
    if kind in ("risk", "pain_reported"):
        assert f'<option value="{kind}" selected>' in body


def bulk(auth, ids, note="Reviewed in today's supervision", url="/alerts/acknowledge"):
    return auth.post(url, {"alert_id": [str(i) for i in ids], "note": note}, token_page="/alerts")


def test_several_acknowledged_with_one_note_each_audited(client, auth, inbox, therapist):
    _, ids, _ = inbox
    auth.login(THERAPIST)
    done = bulk(auth, [ids["risk"], ids["pain"]], url="/alerts/acknowledge?kind=other")
    assert done.status_code == 303 and done.headers["Location"] == "/alerts?kind=other"
    for key in ("risk", "pain"):
        row = fresh(Alert, ids[key])
        assert (row.acknowledged_by_id, row.note, row.resolution) == (
            therapist.id,
            "Reviewed in today's supervision",
            "acknowledged",
        )
    assert fresh(Alert, ids["missed"]).is_open
    events = audit_events("alert_acknowledge")
    assert sorted(e.object_id for e in events) == sorted([ids["risk"], ids["pain"]])
    assert all(e.detail["bulk"] == 2 and e.actor_id == therapist.id for e in events)
    assert "2 alerts acknowledged." in client.get("/alerts").get_data(as_text=True)


def test_a_foreign_alert_id_refuses_the_lot(client, auth, inbox, clinic):
    _, ids, _ = inbox
    colleague = UserFactory(clinic=clinic)
    theirs = PatientFactory(clinic=clinic, primary=colleague)
    foreign = alert(theirs, "pain_reported", age_hours=1)
    other_clinic = ClinicFactory()
    elsewhere = alert(PatientFactory(clinic=other_clinic), "pain_reported", age_hours=1)
    auth.login(THERAPIST)
    for stranger in (foreign.id, elsewhere.id, 2**31 - 1):
        refused = bulk(auth, [ids["pain"], stranger])
        assert refused.status_code == 404
    assert bulk(auth, [ids["pain"], "12x"]).status_code == 404
    assert all(fresh(Alert, i).is_open for i in (*ids.values(), foreign.id, elsewhere.id))
    assert audit_events("alert_acknowledge") == []


def test_a_trainer_ticking_a_risk_alert_is_refused_with_nothing_done(
    client, auth, clinic, therapist, inbox
):
    patient, ids, _ = inbox
    trainer = UserFactory(clinic=clinic, email=TRAINER, role=Role.TRAINER)
    patient.care_team.append(type(patient.care_team[0])(user_id=trainer.id, is_primary=False))
    db.session.commit()
    auth.login(TRAINER)
    body = client.get("/alerts").get_data(as_text=True)
    assert f'value="{ids["risk"]}"' not in body  # no tick box for what is not theirs
    assert f'value="{ids["pain"]}"' in body
    assert bulk(auth, [ids["pain"], ids["risk"]]).status_code == 403
    assert fresh(Alert, ids["pain"]).is_open and fresh(Alert, ids["risk"]).is_open
    assert bulk(auth, [ids["pain"], ids["missed"]]).status_code == 303  # training alerts: yes


def test_refused_forms_come_back_with_the_ticks_and_the_note(client, auth, inbox, therapist):
    _, ids, _ = inbox
    auth.login(THERAPIST)
    no_note = bulk(auth, [ids["pain"], ids["missed"]], note="  ")
    body = no_note.get_data(as_text=True)
    assert no_note.status_code == 422 and "Write a short note on what you did." in body
    assert f'value="{ids["pain"]}" checked' in body and f'value="{ids["missed"]}" checked' in body
    none_ticked = bulk(auth, [])
    assert none_ticked.status_code == 422
    assert "Choose the alerts to acknowledge." in none_ticked.get_data(as_text=True)
    assert "Reviewed in today&#39;s supervision" in none_ticked.get_data(as_text=True)
    # One closed meanwhile (another tab): nothing changes, the rest stay ticked.
    assert bulk(auth, [ids["pain"]]).status_code == 303
    stale = bulk(auth, [ids["pain"], ids["missed"]])
    assert stale.status_code == 422
    assert "had already been acknowledged: nothing was changed" in stale.get_data(as_text=True)
    assert fresh(Alert, ids["missed"]).is_open
    assert len(audit_events("alert_acknowledge")) == 1
