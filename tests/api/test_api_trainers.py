"""Minimum necessary for clinical trainers through the API (HIPAA 164.502(b)): a trainer on the
care team lists responses with totals, bands and the risk flag but no item-level answers, and is
refused (403) entering or correcting responses, the FHIR export and acknowledging symptom or
risk alerts; training alerts and the PDF report stay theirs. Off the care team: 404.
"""

from datetime import UTC, datetime

from factories import UserFactory
from helpers import count, fresh, training_alert

from api.conftest import bearer, make_token
from clinic.alerts.models import Alert
from clinic.auth.models import Role
from clinic.measures.models import Response


def test_a_trainer_lists_totals_without_answers(client, world):
    url = f"/api/v1/patients/{world.patient.id}/responses"
    [item] = client.get(url, headers=world.headers("trainer")).get_json()["items"]
    assert item["answers"] is None
    assert (item["instrument"], item["total"], item["risk"]) == ("PHQ-9", 9, True)
    assert item["band"] and "risk_item" in item["flags"]
    [item] = client.get(url, headers=world.headers("therapist")).get_json()["items"]
    assert item["answers"] == [1] * 9


def test_a_trainer_cannot_enter_or_correct_responses_or_export_fhir(client, world):
    headers = world.headers("trainer")
    base = f"/api/v1/patients/{world.patient.id}"
    answers = {"answers": [0] * 9, "completed_at": datetime.now(UTC).isoformat()}
    before = count(Response)
    refused = [
        client.post(f"{base}/responses", headers=headers, json={"instrument": "PHQ-9",
                                                                **answers}),
        client.post(f"{base}/responses/{world.response_id}/correct", headers=headers,
                    json={"reason": "typo", **answers}),
        client.get(f"{base}/fhir", headers=headers),
    ]
    for response in refused:
        assert response.status_code == 403, response.request.path
        assert "Clinical trainers cannot" in response.get_json()["error"]
    assert count(Response) == before
    report = client.get(f"{base}/report.pdf", headers=headers)
    assert report.status_code == 200 and report.mimetype == "application/pdf"
    assert client.get(f"{base}/fhir", headers=world.headers("therapist")).status_code == 200


def test_a_trainer_acknowledges_training_alerts_only(client, world):
    headers = world.headers("trainer")
    risk = client.post(f"/api/v1/alerts/{world.alert_id}/acknowledge", headers=headers,
                       json={"note": "Told the therapist"})
    assert risk.status_code == 403
    assert "tell the patient's therapist" in risk.get_json()["error"]
    assert fresh(Alert, world.alert_id).acknowledged_at is None
    training = training_alert(world.patient)
    done = client.post(f"/api/v1/alerts/{training}/acknowledge", headers=headers,
                       json={"note": "Lighter load next session"})
    assert done.status_code == 200 and done.get_json()["note"] == "Lighter load next session"
    assert client.post(f"/api/v1/alerts/{world.alert_id}/acknowledge",
                       headers=world.headers("therapist"),
                       json={"note": "Called the patient"}).status_code == 200


def test_a_trainer_off_the_care_team_gets_404(client, world):
    outsider = UserFactory(clinic=world.patient.clinic, role=Role.TRAINER,
                           email="trainer2@a.test")
    headers = bearer(make_token(outsider))
    base = f"/api/v1/patients/{world.patient.id}"
    answers = {"answers": [0] * 9, "completed_at": datetime.now(UTC).isoformat()}
    for response in (
            client.get(f"{base}/responses", headers=headers),
            client.post(f"{base}/responses", headers=headers, json={"instrument": "PHQ-9",
                                                                    **answers}),
            client.get(f"{base}/fhir", headers=headers),
            client.post(f"/api/v1/alerts/{world.alert_id}/acknowledge", headers=headers,
                        json={"note": "seen"})):
        assert response.status_code == 404, response.request.path
