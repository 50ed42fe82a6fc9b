"""Patients through the API: the caseload, one record, adding and correcting, in scope only."""

import pytest
import sqlalchemy as sa
from helpers import audit_events

from api.conftest import bearer, make_token
from clinic.extensions import db
from clinic.patients.models import Patient


@pytest.mark.parametrize(("who", "visible"), [
    ("admin", {"A-1"}), ("therapist", {"A-1"}), ("trainer", {"A-1"}), ("therapist2", set()),
    ("admin_b", {"B-1"}), ("therapist_b", {"B-1"})])
def test_the_caseload_is_the_callers_scope(client, world, who, visible):
    response = client.get("/api/v1/patients", headers=world.headers(who))
    assert response.status_code == 200
    body = response.get_json()
    assert {p["reference"] for p in body["items"]} == visible
    assert (body["total"], body["page"], body["per_page"]) == (len(visible), 1, 20)
    assert audit_events("api.patients.list")[-1].actor_id == getattr(world, who).id


def test_list_pages_and_searches(client, world):
    headers = world.headers("therapist")
    for n in range(3):
        client.post("/api/v1/patients", headers=headers,
                    json={"display_name": f"Page {n}", "reference": f"P-{n}"})
    page = client.get("/api/v1/patients?per_page=2&page=2", headers=headers).get_json()
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (4, 2, 2, 2)
    found = client.get("/api/v1/patients?q=P-1", headers=headers).get_json()
    assert [p["reference"] for p in found["items"]] == ["P-1"]


@pytest.mark.parametrize("query", ["per_page=101", "per_page=0", "page=0", "status=gone",
                                   "unknown=1"])
def test_bad_list_arguments_are_422_with_the_field(client, world, query):
    response = client.get(f"/api/v1/patients?{query}", headers=world.headers("therapist"))
    assert response.status_code == 422
    assert query.split("=")[0] in response.get_json()["fields"]


def test_one_patient_in_scope_is_read_and_audited(client, world):
    response = client.get(f"/api/v1/patients/{world.patient.id}",
                          headers=world.headers("trainer"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["reference"] == "A-1" and body["status"] == "active"
    assert [(m["user_id"], m["is_primary"]) for m in body["care_team"]] == [
        (world.therapist.id, True), (world.trainer.id, False)]
    [view] = audit_events("patient_view")
    assert (view.actor_id, view.patient_id) == (world.trainer.id, world.patient.id)


@pytest.mark.parametrize("who", ["therapist2", "admin_b"])
def test_out_of_scope_is_the_same_404_as_a_missing_id(client, world, who):
    headers = world.headers(who)
    for method, body in (("get", None), ("patch", {"display_name": "X"})):
        hidden = getattr(client, method)(f"/api/v1/patients/{world.patient.id}",
                                          headers=headers, json=body)
        missing = getattr(client, method)(f"/api/v1/patients/{world.patient.id + 999}",
                                           headers=headers, json=body)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.get_json() == missing.get_json() == {"error": "Not found.", "fields": {}}
    assert reload_name(world.patient.id) == "Alex A"


def reload_name(patient_id):
    db.session.commit()
    return db.session.get(Patient, patient_id).display_name


@pytest.mark.parametrize("patient_id", ["0", "-1", "2147483648", "99999999999999999999", "x"])
def test_ids_outside_the_database_range_are_404_not_an_overflow(client, world, patient_id):
    response = client.get(f"/api/v1/patients/{patient_id}", headers=world.headers("admin"))
    assert response.status_code == 404
    assert response.get_json()["error"]


def test_a_therapist_adds_a_patient_and_becomes_primary(client, world):
    response = client.post("/api/v1/patients", headers=world.headers("therapist2"), json={
        "display_name": "  Sam  ", "reference": "A-2", "email": "Sam@Example.org",
        "date_of_birth": "1990-02-03"})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["display_name"], body["email"], body["date_of_birth"]) == (
        "Sam", "sam@example.org", "1990-02-03")
    assert [(m["user_id"], m["is_primary"]) for m in body["care_team"]] == [
        (world.therapist2.id, True)]
    assert audit_events("patient_create")[0].actor_id == world.therapist2.id


def test_an_admin_names_the_primary_clinician(client, world):
    headers = world.headers("admin")
    missing = client.post("/api/v1/patients", headers=headers,
                          json={"display_name": "Kim", "reference": "A-3"})
    assert missing.status_code == 422
    assert "primary_clinician_id" in missing.get_json()["fields"]
    other_clinic = client.post("/api/v1/patients", headers=headers, json={
        "display_name": "Kim", "reference": "A-3", "primary_clinician_id": world.therapist_b.id})
    assert other_clinic.status_code == 422
    assert other_clinic.get_json()["fields"] == missing.get_json()["fields"]
    made = client.post("/api/v1/patients", headers=headers, json={
        "display_name": "Kim", "reference": "A-3", "primary_clinician_id": world.trainer.id})
    assert made.status_code == 201
    assert made.get_json()["care_team"][0]["user_id"] == world.trainer.id


def test_a_trainer_cannot_add_patients(client, world):
    response = client.post("/api/v1/patients", headers=world.headers("trainer"),
                           json={"display_name": "Kim", "reference": "A-3"})
    assert response.status_code == 403
    assert set(response.get_json()) == {"error", "fields"}


@pytest.mark.parametrize(("body", "field"), [
    ({"reference": "A-9"}, "display_name"),
    ({"display_name": "   ", "reference": "A-9"}, "display_name"),
    ({"display_name": "x" * 121, "reference": "A-9"}, "display_name"),
    ({"display_name": "Kim", "reference": "A-9", "email": "not-an-email"}, "email"),
    ({"display_name": "Kim", "reference": "A-9", "date_of_birth": "03/02/1990"},
     "date_of_birth"),
    ({"display_name": "Kim\x00", "reference": "A-9"}, "display_name"),
    ({"display_name": "Kim", "reference": "A-9", "clinic_id": 2}, "clinic_id"),
    ({"display_name": "Kim", "reference": "A-9", "status": "discharged"}, "status"),
    ({"display_name": "Kim", "reference": "A-1"}, "reference"),  # already in use
])
def test_invalid_patients_are_422_with_field_errors_and_nothing_stored(
        client, world, body, field):
    response = client.post("/api/v1/patients", headers=world.headers("therapist"), json=body)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Patient)) == 2


def test_malformed_json_is_400(client, world):
    response = client.post("/api/v1/patients", headers={**world.headers("therapist"),
                                                        "Content-Type": "application/json"},
                           data="{not json")
    assert response.status_code == 400
    assert set(response.get_json()) == {"error", "fields"}


def test_patch_changes_only_what_is_sent(client, world):
    headers = world.headers("trainer")
    client.patch(f"/api/v1/patients/{world.patient.id}", headers=headers,
                 json={"email": "alex@example.org"})
    response = client.patch(f"/api/v1/patients/{world.patient.id}", headers=headers,
                            json={"display_name": "Alex Again"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["display_name"], body["reference"], body["email"]) == (
        "Alex Again", "A-1", "alex@example.org")
    assert audit_events("patient_update")[-1].detail["fields"] == ["display_name"]


def test_patch_validation_and_conflicts(client, world):
    headers = world.headers("therapist")
    client.post("/api/v1/patients", headers=headers,
                json={"display_name": "Other", "reference": "A-7"})
    taken = client.patch(f"/api/v1/patients/{world.patient.id}", headers=headers,
                         json={"reference": "A-7"})
    assert taken.status_code == 422 and "reference" in taken.get_json()["fields"]
    unknown = client.patch(f"/api/v1/patients/{world.patient.id}", headers=headers,
                           json={"care_team": []})
    assert unknown.status_code == 422 and "care_team" in unknown.get_json()["fields"]


def test_responses_never_carry_secrets(client, world):
    token = make_token(world.admin)
    text = client.get(f"/api/v1/patients/{world.patient.id}",
                      headers=bearer(token)).get_data(as_text=True)
    for forbidden in ("password", "token_hash", "clinic_id", token):
        assert forbidden not in text
