"""Questionnaire links, clinician-entered responses and alerts through the API."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from helpers import count

from clinic.alerts.models import Alert
from clinic.audit.models import AuditEvent
from clinic.extensions import db
from clinic.measures.models import Invitation, Response

CODES = ["PHQ-9", "GAD-7", "RSES", "WHO-5", "PCL-5"]


def test_an_invitation_gives_the_patients_link(client, world):
    response = client.post(f"/api/v1/patients/{world.patient.id}/invitations",
                           headers=world.headers("trainer"),
                           json={"instruments": ["GAD-7", "PHQ-9"]})
    assert response.status_code == 201
    body = response.get_json()
    assert body["url"].startswith("http://clinic.test/q/")
    assert body["instruments"] == ["PHQ-9", "GAD-7"]  # the clinic's order, as on the page
    invitation = db.session.get(Invitation, body["id"])
    assert invitation.patient_id == world.patient.id
    # The link opens the questionnaire for the patient.
    assert client.get(body["url"].removeprefix("http://clinic.test")).status_code == 303
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=3) < expires - datetime.now(UTC) <= timedelta(days=4)


@pytest.mark.parametrize(("body", "field"), [
    ({"instruments": []}, "instruments"), ({"instruments": ["PHQ9"]}, "instruments.0"),
    ({"instruments": ["phq-9"]}, "instruments.0"), ({}, "instruments"),
    ({"instruments": ["PHQ-9"], "patient_id": 1}, "patient_id")])
def test_invitation_validation(client, world, body, field):
    response = client.post(f"/api/v1/patients/{world.patient.id}/invitations",
                           headers=world.headers("therapist"), json=body)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert count(Invitation) == 1  # the world's own link only


def test_a_discharged_patient_gets_no_invitation_409(client, world):
    from clinic.patients.services import set_discharged

    set_discharged(world.therapist, world.patient.id, True)
    response = client.post(f"/api/v1/patients/{world.patient.id}/invitations",
                           headers=world.headers("therapist"), json={"instruments": ["PHQ-9"]})
    assert response.status_code == 409
    assert "discharged" in response.get_json()["error"]


@pytest.mark.parametrize("who", ["therapist2", "admin_b"])
def test_measures_out_of_scope_are_404(client, world, who):
    headers = world.headers(who)
    base = f"/api/v1/patients/{world.patient.id}"
    assert client.post(f"{base}/invitations", headers=headers,
                       json={"instruments": ["PHQ-9"]}).status_code == 404
    assert client.get(f"{base}/responses", headers=headers).status_code == 404
    assert client.post(f"{base}/responses", headers=headers, json={
        "instrument": "GAD-7", "answers": [0] * 7,
        "completed_at": "2026-01-05T10:00:00+00:00"}).status_code == 404
    assert count(Invitation) == 1 and count(Response) == 1  # the world's own


def test_a_clinician_enters_a_paper_form_and_gets_the_score(client, world):
    completed = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    response = client.post(f"/api/v1/patients/{world.patient.id}/responses",
                           headers=world.headers("therapist"), json={
                               "instrument": "PHQ-9", "answers": [3, 3, 3, 2, 2, 2, 1, 1, 0],
                               "completed_at": completed.isoformat()})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["instrument"], body["total"], body["band"], body["risk"], body["source"]) == (
        "PHQ-9", 17, "moderately severe", False, "clinician")
    assert datetime.fromisoformat(body["completed_at"]) == completed
    stored = db.session.get(Response, body["id"])
    assert (stored.entered_by_id, stored.total) == (world.therapist.id, 17)


def test_a_risk_answer_says_risk_and_raises_an_alert(client, world):
    response = client.post(f"/api/v1/patients/{world.patient.id}/responses",
                           headers=world.headers("therapist"), json={
                               "instrument": "PHQ-9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, 2],
                               "completed_at": datetime.now(UTC).isoformat()})
    assert response.status_code == 201
    assert response.get_json()["risk"] is True
    db.session.commit()
    assert db.session.scalar(sa.select(Alert).where(
        Alert.response_id == response.get_json()["id"], Alert.kind == "risk_item"))


@pytest.mark.parametrize(("body", "field"), [
    ({"instrument": "PHQ-9", "answers": [0] * 8}, "answers.8"),  # one answer short
    ({"instrument": "PHQ-9", "answers": [0] * 8 + [4]}, "answers.8"),  # not an option
    ({"instrument": "PHQ-9", "answers": [0] * 10}, "answers.9"),  # one too many
    ({"instrument": "PHQ-9", "answers": ["1"] * 9}, "answers.0"),  # strings are not numbers
    ({"instrument": "PHQ-9", "answers": [True] * 9}, "answers.0"),
    ({"instrument": "PHQ-9", "answers": [0.5] * 9}, "answers.0"),
    ({"instrument": "PHQ9", "answers": [0] * 9}, "instrument"),
    ({"instrument": "PHQ-9", "answers": [0] * 9, "completed_at": "2026-01-05T10:00:00"},
     "completed_at"),  # no time zone
    ({"instrument": "PHQ-9", "answers": [0] * 9, "completed_at": "2999-01-05T10:00:00Z"},
     "completed_at"),  # the future
    ({"instrument": "PHQ-9", "answers": [0] * 9, "completed_at": "0001-01-01T00:00:00+14:00"},
     "completed_at"),
    ({"instrument": "PHQ-9", "answers": [0] * 9, "total": 0}, "total"),
])
def test_invalid_responses_are_422_at_the_field_and_nothing_is_stored(client, world, body,
                                                                       field):
    body = {"completed_at": datetime.now(UTC).isoformat(), **body}
    response = client.post(f"/api/v1/patients/{world.patient.id}/responses",
                           headers=world.headers("therapist"), json=body)
    assert response.status_code == 422
    assert field in response.get_json()["fields"], response.get_json()
    assert count(Response) == 1


def test_a_blank_item_within_the_missing_item_rule_is_prorated(client, world):
    response = client.post(f"/api/v1/patients/{world.patient.id}/responses",
                           headers=world.headers("therapist"), json={
                               "instrument": "PHQ-9",
                               "answers": [1, 1, None, 1, 1, 1, 1, 1, 0],
                               "completed_at": datetime.now(UTC).isoformat()})
    assert response.status_code == 201
    assert response.get_json()["prorated"] is True
    assert response.get_json()["answers"][2] is None


def test_responses_are_listed_newest_first_and_the_read_is_audited(client, world):
    headers = world.headers("therapist")
    for days, code, answers in ((3, "GAD-7", [0] * 7), (2, "WHO-5", [5] * 5)):
        client.post(f"/api/v1/patients/{world.patient.id}/responses", headers=headers, json={
            "instrument": code, "answers": answers,
            "completed_at": (datetime.now(UTC) - timedelta(days=days)).isoformat()})
    body = client.get(f"/api/v1/patients/{world.patient.id}/responses",
                      headers=headers).get_json()
    assert [r["instrument"] for r in body["items"]] == ["PHQ-9", "WHO-5", "GAD-7"]
    assert body["total"] == 3
    assert set(body["items"][0]) >= {"id", "instrument", "total", "band", "risk"}
    db.session.commit()
    [read] = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "api.responses.list")).all()
    assert (read.actor_id, read.patient_id) == (world.therapist.id, world.patient.id)


# Alerts ----------------------------------------------------------------------------------------


def test_open_alerts_in_scope_with_patient_and_kind(client, world):
    body = client.get("/api/v1/alerts", headers=world.headers("trainer")).get_json()
    assert [(a["id"], a["patient_id"], a["kind"]) for a in body["items"]] == [
        (world.alert_id, world.patient.id, "risk_item")]
    for who in ("therapist2", "admin_b"):
        assert client.get("/api/v1/alerts", headers=world.headers(who)).get_json()["total"] == 0
    filtered = client.get(f"/api/v1/alerts?patient_id={world.patient.id}&kind=high_rpe",
                          headers=world.headers("admin")).get_json()
    assert filtered["total"] == 0
    hidden = client.get(f"/api/v1/alerts?patient_id={world.patient.id}",
                        headers=world.headers("therapist2"))
    missing = client.get("/api/v1/alerts?patient_id=99999", headers=world.headers("therapist2"))
    assert hidden.status_code == missing.status_code == 404
    assert client.get("/api/v1/alerts?kind=nope",
                      headers=world.headers("admin")).status_code == 422


def test_acknowledging_an_alert(client, world):
    headers = world.headers("therapist")
    url = f"/api/v1/alerts/{world.alert_id}/acknowledge"
    blank = client.post(url, headers=headers, json={"note": "  "})
    assert blank.status_code == 422 and "note" in blank.get_json()["fields"]
    done = client.post(url, headers=headers, json={"note": "Called; safety plan in place."})
    assert done.status_code == 200
    assert done.get_json()["acknowledged_at"] and done.get_json()["note"].startswith("Called")
    again = client.post(url, headers=headers, json={"note": "Twice."})
    assert again.status_code == 409
    assert client.get("/api/v1/alerts", headers=headers).get_json()["total"] == 0


@pytest.mark.parametrize("who", ["therapist2", "admin_b"])
def test_an_alert_out_of_scope_is_404_and_unchanged(client, world, who):
    response = client.post(f"/api/v1/alerts/{world.alert_id}/acknowledge",
                           headers=world.headers(who), json={"note": "Not mine."})
    missing = client.post(f"/api/v1/alerts/{world.alert_id + 999}/acknowledge",
                          headers=world.headers(who), json={"note": "Not mine."})
    assert response.status_code == missing.status_code == 404
    assert response.get_json() == missing.get_json()
    db.session.commit()
    assert db.session.get(Alert, world.alert_id).acknowledged_at is None
