"""The FHIR export is a Bundle the HL7 validator accepts (issue 13, part C, items 8 and 9).

A dated timeline: a PHQ-9 through the clinic two weeks ago, a paper PHQ-9 last week with item
5 left blank (prorated), an RSES last week. The export is then checked against the official FHIR
R4 JSON schema and the rules a schema cannot state (tests/fhir_validity.py); each rule is also
shown failing on a Bundle broken on purpose, so none of these checks can pass by doing nothing.
"""

import copy
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from factories import ClinicFactory, PatientFactory, ResponseFactory, UserFactory
from fhir_validity import assert_valid_bundle, bundle_problems, schema_errors
from helpers import make_token

from clinic.auth.models import Role
from clinic.measures.instruments import get_instrument
from clinic.reports import fhir

RSES_RAW = [2, 1, 2, 2, 1, 1, 2, 1, 1, 2]  # INSTRUMENTS.md worked example: total 20
PHQ9_MISSING_5 = [2, 2, 1, 1, None, 1, 1, 0, 0]
BORN = date(1987, 4, 12)


@pytest.fixture
def world(app):
    clinic = ClinicFactory(name="Harbour Clinic")
    therapist = UserFactory(clinic=clinic, role=Role.THERAPIST, email="thea@harbour.test")
    patient = PatientFactory(clinic=clinic, primary=therapist, display_name="Ada Vale",
                             date_of_birth=BORN)
    now = datetime.now(UTC)
    full = ResponseFactory(actor=therapist, patient=patient, code="PHQ-9",
                           answers=(3, 3, 2, 2, 2, 1, 1, 1, 0),
                           completed_at=now - timedelta(days=14))
    paper = ResponseFactory(actor=therapist, patient=patient, code="PHQ-9",
                            answers=PHQ9_MISSING_5, completed_at=now - timedelta(days=7))
    rses = ResponseFactory(actor=therapist, patient=patient, code="RSES", answers=RSES_RAW,
                           completed_at=now - timedelta(days=7, hours=-1))
    headers = {"Authorization": f"Bearer {make_token(therapist)}"}
    return {"patient": patient, "full": full, "paper": paper, "rses": rses,
            "headers": headers}


def export(client, world, patient=None):
    patient = patient or world["patient"]
    response = client.get(f"/api/v1/patients/{patient.id}/fhir", headers=world["headers"])
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.loads(response.data)


def resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def by_id(bundle, resource_id):
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == resource_id)


def test_the_bundle_passes_the_official_r4_schema_and_the_validator_rules(client, world):
    bundle = assert_valid_bundle(export(client, world))
    [patient] = resources(bundle, "Patient")
    assert patient["birthDate"] == BORN.isoformat()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Questionnaire":
            assert entry["fullUrl"] == f"{fhir.QUESTIONNAIRE_BASE}{resource['id']}"
        else:
            assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
    for observation in resources(bundle, "Observation"):
        assert observation["valueQuantity"]["code"] == "{score}"


def test_a_paper_form_with_an_item_missing_is_stopped_not_completed(client, world):
    bundle = export(client, world)
    paper = by_id(bundle, str(world["paper"].fhir_id))
    assert paper["status"] == "stopped"
    assert "5" not in [item["linkId"] for item in paper["item"]]
    phq9 = next(q for q in resources(bundle, "Questionnaire") if q["id"].startswith("phq-9"))
    assert next(i for i in phq9["item"] if i["linkId"] == "5")["required"] is True
    full = by_id(bundle, str(world["full"].fhir_id))
    assert full["status"] == "completed"
    [total] = [o for o in resources(bundle, "Observation")
               if o["derivedFrom"][0]["reference"] == f"urn:uuid:{world['paper'].fhir_id}"]
    assert total["valueQuantity"]["value"] == world["paper"].total
    assert total["note"][0]["text"].startswith("Prorated total: 1 of 9 items unanswered")


def test_rses_answers_are_the_patients_own_and_the_total_is_a_score(client, world):
    """Reverse scoring belongs to the total: item 2 answered "Disagree" (raw 1) is exported as
    "Disagree", not as the 2 it scores."""
    bundle = export(client, world)
    rses = by_id(bundle, str(world["rses"].fhir_id))
    codings = [item["answer"][0]["valueCoding"] for item in rses["item"]]
    assert [int(c["code"]) for c in codings] == RSES_RAW
    labels = {o.value: o.label for o in get_instrument("RSES").items[0].options}
    assert [c["display"] for c in codings] == [labels[raw] for raw in RSES_RAW]
    assert codings[1]["display"] == "Disagree"
    questionnaire = next(q for q in resources(bundle, "Questionnaire")
                         if q["id"].startswith("rses"))
    option = questionnaire["item"][1]["answerOption"][0]["valueCoding"]
    assert option["display"] and option["extension"][0]["url"] == fhir.ORDINAL_VALUE
    [total] = [o for o in resources(bundle, "Observation")
               if o["derivedFrom"][0]["reference"] == f"urn:uuid:{world['rses'].fhir_id}"]
    assert total["valueQuantity"] == {"value": 20, "unit": "{score}",
                                      "system": "http://unitsofmeasure.org", "code": "{score}"}


def test_ids_are_the_stored_uuids_stable_and_not_derived_from_local_ids(client, world):
    """Two deployments both have a patient 1 and a response 1; their FHIR ids are random UUIDs
    stored with each row, so they differ, and every export repeats them."""
    first, again = export(client, world), export(client, world)
    ids = sorted(e["resource"]["id"] for e in first["entry"])
    assert ids == sorted(e["resource"]["id"] for e in again["entry"])
    [patient] = resources(first, "Patient")
    assert patient["id"] == str(world["patient"].fhir_id)
    assert uuid.UUID(patient["id"]).version == 4
    responses = {r["id"] for r in resources(first, "QuestionnaireResponse")}
    assert responses == {str(world[k].fhir_id) for k in ("full", "paper", "rses")}
    twin = PatientFactory(clinic=world["patient"].clinic, display_name="Bo Vale")
    assert twin.fhir_id != world["patient"].fhir_id


# Each rule fails on a Bundle broken on purpose ----------------------------------------------


def _broken(bundle, change):
    copied = copy.deepcopy(bundle)
    change(copied)
    return copied


def _resource(bundle, kind):
    return next(e for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


@pytest.mark.parametrize(("change", "words"), [
    pytest.param(lambda b: _resource(b, "Patient").update(fullUrl=f"urn:uuid:{uuid.uuid4()}"),
                 "is not urn:uuid:<its id>", id="fullUrl-not-the-id"),
    pytest.param(lambda b: _resource(b, "Questionnaire").update(
        fullUrl=fhir.QUESTIONNAIRE_BASE + "phq-9"), "does not end in", id="questionnaire-url"),
    pytest.param(lambda b: _resource(b, "Observation")["resource"].update(
        subject={"reference": f"urn:uuid:{uuid.uuid4()}"}), "is not in the Bundle",
        id="dangling-reference"),
    pytest.param(lambda b: [r.update(status="completed")
                            for r in resources(b, "QuestionnaireResponse")],
                 "required item 5 is unanswered", id="completed-with-a-required-item-missing"),
    pytest.param(lambda b: _resource(b, "Questionnaire")["resource"]["item"][0]["answerOption"][0]
                 ["valueCoding"].pop("display"), "an answer option without a label",
                 id="option-without-label"),
    pytest.param(lambda b: _resource(b, "Observation")["resource"].update(
        valueQuantity={"value": 1}), "{score}", id="total-without-unit"),
])
def test_the_rules_catch_a_broken_bundle(client, world, change, words):
    bundle = export(client, world)
    assert bundle_problems(bundle) == []
    problems = bundle_problems(_broken(bundle, change))
    assert any(words in problem for problem in problems), problems


def test_the_official_schema_catches_what_it_can(client, world):
    bundle = export(client, world)
    assert schema_errors(bundle) == []
    unknown = _broken(bundle, lambda b: _resource(b, "Patient")["resource"].update(gender="x"))
    assert any("'x' is not one of" in e for e in schema_errors(unknown))
    extra = _broken(bundle, lambda b: _resource(b, "Patient")["resource"].update(nickname="A"))
    assert any("Additional properties" in e for e in schema_errors(extra))
    bad_id = _broken(bundle, lambda b: _resource(b, "Patient")["resource"].update(id="a b"))
    assert schema_errors(bad_id)
