"""The PDF progress report and the FHIR Bundle through the API (the reports area's services)."""

import io
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from clinic.audit.models import AuditEvent
from clinic.extensions import db
from clinic.programs.services import clinic_today


def test_the_report_pdf_is_a_real_pdf_of_the_patient(client, world):
    response = client.get(f"/api/v1/patients/{world.patient.id}/report.pdf",
                          headers=world.headers("trainer"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "A-1" in " ".join(text.split())
    db.session.commit()
    [event] = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "report_export")).all()
    assert (event.actor_id, event.patient_id) == (world.trainer.id, world.patient.id)


def test_the_report_period_comes_from_the_query(client, world):
    today = clinic_today(world.patient.id)
    start = (today - timedelta(days=7)).isoformat()
    ok = client.get(f"/api/v1/patients/{world.patient.id}/report.pdf?from={start}"
                    f"&to={today.isoformat()}", headers=world.headers("therapist"))
    assert ok.status_code == 200
    future = client.get(f"/api/v1/patients/{world.patient.id}/report.pdf"
                        f"?to={(today + timedelta(days=2)).isoformat()}",
                        headers=world.headers("therapist"))
    assert future.status_code == 422 and "to" in future.get_json()["fields"]
    reversed_ = client.get(f"/api/v1/patients/{world.patient.id}/report.pdf?from={today}"
                           f"&to={today - timedelta(days=3)}", headers=world.headers("therapist"))
    assert reversed_.status_code == 422 and "from" in reversed_.get_json()["fields"]
    garbled = client.get(f"/api/v1/patients/{world.patient.id}/report.pdf?from=yesterday",
                         headers=world.headers("therapist"))
    assert garbled.status_code == 422 and "from" in garbled.get_json()["fields"]


def test_the_fhir_bundle(client, world):
    response = client.get(f"/api/v1/patients/{world.patient.id}/fhir",
                          headers=world.headers("therapist"))
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    bundle = json.loads(response.data)
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "collection")
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"Patient", "QuestionnaireResponse", "Observation"} <= kinds


@pytest.mark.parametrize("who", ["therapist2", "admin_b"])
@pytest.mark.parametrize("suffix", ["report.pdf", "fhir"])
def test_exports_out_of_scope_are_404_and_write_nothing(client, world, who, suffix):
    hidden = client.get(f"/api/v1/patients/{world.patient.id}/{suffix}",
                        headers=world.headers(who))
    missing = client.get(f"/api/v1/patients/{world.patient.id + 999}/{suffix}",
                         headers=world.headers(who))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json() == missing.get_json()
    db.session.commit()
    assert not db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action.in_(["report_export", "fhir_export"]))).all()


def test_exports_need_a_token(client, world):
    for suffix in ("report.pdf", "fhir"):
        response = client.get(f"/api/v1/patients/{world.patient.id}/{suffix}")
        assert response.status_code == 401


def test_exports_share_the_export_pages_rate_limit(app, client, world):
    app.config["RATELIMIT_EXPORTS"] = "2 per minute"
    headers = world.headers("therapist")
    assert client.get(f"/api/v1/patients/{world.patient.id}/fhir",
                      headers=headers).status_code == 200
    assert client.get(f"/api/v1/patients/{world.patient.id}/fhir",
                      headers=headers).status_code == 200
    limited = client.get(f"/api/v1/patients/{world.patient.id}/fhir", headers=headers)
    assert limited.status_code == 429 and "Retry-After" in limited.headers


@pytest.mark.parametrize("config_overrides", [{"PDF_RENDER_WAIT_SECONDS": 0.2}])
def test_a_busy_process_answers_the_api_503_with_retry_after(client, world):
    from reports.test_render_slots import every_slot_taken

    url = f"/api/v1/patients/{world.patient.id}/report.pdf"
    with every_slot_taken():
        busy = client.get(url, headers=world.headers("trainer"))
    assert busy.status_code == 503 and int(busy.headers["Retry-After"]) >= 10
    assert busy.get_json() == {"error": "Busy just now: please try again in a few seconds "
                                        "(Retry-After).", "fields": {}}
    assert client.get(url, headers=world.headers("trainer")).status_code == 200
