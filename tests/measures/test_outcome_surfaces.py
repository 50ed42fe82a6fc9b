"""The episode outcome on every surface (issue 13 part B): the patient page, the PDF report, the
clinic outcome CSV and ``GET /api/v1/patients/{id}/outcomes`` print one ``episode_outcome``, so
for each scenario they say the same thing. Scenarios: the paired worked example (recovered),
PHQ-9 recovered while GAD-7 is still a case, PHQ-9 4 -> 2 (no response or remission), a
prorated total, and one paired occasion only. Responses come from the real services: link
answers through ``submit_link_answers`` (one invitation = one occasion), paper forms through
``record_clinician_response``."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from factories import ClinicFactory, InvitationFactory, PatientFactory, ResponseFactory, UserFactory
from helpers import audit_events, make_token, visible
from reports.helpers import csv_rows, pdf_text, squeezed

from clinic.auth.models import Role
from clinic.measures import services as measures
from clinic.patients import services as patients
from clinic.reports import tables

PHQ9 = {14: [2, 2, 2, 2, 2, 2, 1, 1, 0], 8: [1, 1, 1, 1, 1, 1, 1, 1, 0],
        4: [1, 1, 1, 1, 0, 0, 0, 0, 0], 2: [1, 1, 0, 0, 0, 0, 0, 0, 0]}
GAD7 = {9: [2, 1, 1, 1, 2, 1, 1], 7: [1, 1, 1, 1, 1, 1, 1], 12: [2, 2, 2, 2, 2, 1, 1],
        10: [2, 2, 2, 1, 1, 1, 1]}
# 15 from 8 answered items (13 + the mean 1.625, rounded half up): a prorated paper form.
PHQ9_PRORATED = [2, 2, 2, 2, 2, 2, 1, None, 0]
NOT_COMPUTED_ONE = "Not computed: this episode has 1 paired occasion"
NOT_APPLICABLE = "Response and remission: not applicable (baseline not a case)"


@dataclass
class World:
    therapist: object
    admin: object
    patient: object


@pytest.fixture
def world(app):
    clinic = ClinicFactory(name="Outcome Clinic")
    therapist = UserFactory(clinic=clinic, email="therapist@outcome.test")
    admin = UserFactory(clinic=clinic, role=Role.ADMIN, email="admin@outcome.test")
    patient = PatientFactory(clinic=clinic, primary=therapist,
                             episode_start=datetime.now(UTC) - timedelta(days=30))
    return World(therapist, admin, patient)


def link(world, phq9=None, gad7=None):
    """One occasion answered through one questionnaire link."""
    answers = {code: values for code, values in (("PHQ-9", phq9), ("GAD-7", gad7)) if values}
    invitation = InvitationFactory(actor=world.therapist, patient=world.patient,
                                   codes=list(answers))
    measures.submit_link_answers(invitation.id, answers, {})


def paper(world, code, answers, days_ago):
    ResponseFactory(actor=world.therapist, patient=world.patient, code=code, answers=answers,
                    completed_at=datetime.now(UTC) - timedelta(days=days_ago))


def paired_recovered(world):
    link(world, PHQ9[14], GAD7[9])
    link(world, PHQ9[8], GAD7[7])


def phq9_recovered_gad7_still_a_case(world):
    for days_ago, phq, gad in ((20, 14, 12), (1, 8, 10)):
        paper(world, "PHQ-9", PHQ9[phq], days_ago)
        paper(world, "GAD-7", GAD7[gad], days_ago)


def phq9_never_a_case(world):
    paper(world, "PHQ-9", PHQ9[4], 20)
    paper(world, "PHQ-9", PHQ9[2], 1)


def prorated_latest(world):
    paper(world, "PHQ-9", PHQ9[14], 20)
    paper(world, "PHQ-9", PHQ9_PRORATED, 1)


def one_paired_occasion(world):
    link(world, PHQ9[14], GAD7[9])
    paper(world, "PHQ-9", PHQ9[8], 1)
    paper(world, "GAD-7", GAD7[7], 2)  # another day: not the same occasion


def surfaces(client, auth, world):
    """(API JSON, page words, PDF text, the patient's CSV rows by instrument)."""
    api = client.get(f"/api/v1/patients/{world.patient.id}/outcomes",
                     headers={"Authorization": f"Bearer {make_token(world.therapist)}"})
    assert api.status_code == 200, api.get_data(as_text=True)
    auth.login(world.therapist.email)
    page = client.get(f"/patients/{world.patient.id}")
    assert page.status_code == 200
    pdf = auth.post(f"/patients/{world.patient.id}/reports/pdf", data={"start": "", "end": ""})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    auth.logout()
    auth.login(world.admin.email)
    exported = auth.post("/reports/clinic/outcomes.csv")
    assert exported.status_code == 200
    name = tables.pseudonym(client.application.config["SECRET_KEY"], world.patient.clinic_id,
                            world.patient.id)
    rows = {row["instrument"]: row for row in csv_rows(exported.data)
            if row["pseudonym"] == name}
    return api.get_json(), visible(page), pdf_text(pdf.data), rows


def csv_value(value):
    return "" if value is None else ("true" if value is True else "false"
                                     if value is False else str(value))


def assert_all_agree(world, api, page, pdf, rows):
    """The API is the outcome as data; the CSV carries the same values; the page and the PDF
    say its paired sentence and each instrument's change and response in words."""
    outcome = measures.episode_outcome_of(world.patient)
    expected = outcome.as_dict()
    assert api == expected
    for item in expected["instruments"]:
        row = rows[item["instrument"]]
        assert (row["baseline_total"], row["baseline_prorated"], row["latest_total"],
                row["latest_prorated"], row["reliable_change"], row["recovery"],
                row["response"], row["remission"]) == tuple(csv_value(v) for v in (
            item["baseline"]["total"], item["baseline"]["prorated"], item["latest"]["total"],
            item["latest"]["prorated"], item["change"], item["recovery"], item["response"],
            item["remission"]))
    paired = expected["paired"]
    if {"PHQ-9", "GAD-7"} & {item["instrument"] for item in expected["instruments"]}:
        row = rows[tables.PAIRED_ROW]
        assert tuple(row[f"paired_{key}"] for key in paired) == tuple(
            csv_value(paired[key]) for key in paired)
    assert outcome.paired.words in page
    assert squeezed(outcome.paired.words) in squeezed(pdf)
    for item in outcome.instruments:
        if item.response_words:
            assert item.response_words in page
            assert squeezed(item.response_words) in squeezed(pdf)
    return expected


def test_paired_worked_example_is_recovered_on_every_surface(app, client, auth, world):
    """PHQ-9 14 -> 8 with GAD-7 9 -> 7, each pair from one link: recovered, reliable
    improvement, reliable recovery."""
    paired_recovered(world)
    expected = assert_all_agree(world, *surfaces(client, auth, world))
    assert expected["paired"] == {
        "occasions": 2, "case_at_baseline": True, "recovered": True,
        "reliable_improvement": True, "reliable_recovery": True,
        "reliable_deterioration": False}


def test_phq9_recovery_alone_is_not_a_paired_recovery(app, client, auth, world):
    phq9_recovered_gad7_still_a_case(world)
    api, page, pdf, rows = surfaces(client, auth, world)
    expected = assert_all_agree(world, api, page, pdf, rows)
    phq = expected["instruments"][0]
    assert (phq["instrument"], phq["recovery"]) == ("PHQ-9", "reliable_recovery")
    assert expected["paired"]["recovered"] is False
    assert expected["paired"]["reliable_recovery"] is False
    assert "Not recovered; reliable improvement." in page
    assert "Notrecovered;reliableimprovement." in squeezed(pdf)
    assert rows[tables.PAIRED_ROW]["paired_recovered"] == "false"


def test_phq9_4_to_2_shows_no_response_or_remission(app, client, auth, world):
    phq9_never_a_case(world)
    api, page, pdf, rows = surfaces(client, auth, world)
    expected = assert_all_agree(world, api, page, pdf, rows)
    phq = expected["instruments"][0]
    assert (phq["response"], phq["remission"], phq["recovery"]) == (
        None, None, "not_a_case_at_baseline")
    assert (rows["PHQ-9"]["response"], rows["PHQ-9"]["remission"]) == ("", "")
    assert NOT_APPLICABLE in page and squeezed(NOT_APPLICABLE) in squeezed(pdf)
    for shown in ("Response.", "Remission.", "Response, ", "No response"):
        assert shown not in page
    assert "Remission" not in pdf and "No response" not in pdf
    assert expected["paired"]["occasions"] == 0


def test_a_prorated_total_is_marked_on_every_surface(app, client, auth, world):
    prorated_latest(world)
    api, page, pdf, rows = surfaces(client, auth, world)
    expected = assert_all_agree(world, api, page, pdf, rows)
    phq = expected["instruments"][0]
    assert (phq["baseline"]["prorated"], phq["latest"]["prorated"]) == (False, True)
    assert phq["latest"]["total"] == 15
    assert rows["PHQ-9"]["latest_prorated"] == "true"
    assert "latest 15 (prorated)" in page
    assert "15 (prorated)" in pdf
    # the API's list of responses, the dashboard and the chart mark it too
    listed = client.get(f"/api/v1/patients/{world.patient.id}/responses",
                        headers={"Authorization": f"Bearer {make_token(world.therapist)}"})
    assert [r["prorated"] for r in listed.get_json()["items"]] == [True, False]
    auth.logout()
    auth.login(world.therapist.email)
    assert "15 (prorated)" in visible(client.get("/"))
    chart = client.get(f"/patients/{world.patient.id}/charts/PHQ-9.svg").get_data(as_text=True)
    assert "15 (prorated)" in chart and "1 prorated total(s)" in chart


def test_one_paired_occasion_gives_no_paired_outcome_and_says_so(app, client, auth, world):
    one_paired_occasion(world)
    api, page, pdf, rows = surfaces(client, auth, world)
    expected = assert_all_agree(world, api, page, pdf, rows)
    assert expected["paired"] == {
        "occasions": 1, "case_at_baseline": None, "recovered": None,
        "reliable_improvement": None, "reliable_recovery": None,
        "reliable_deterioration": None}
    assert NOT_COMPUTED_ONE in page and squeezed(NOT_COMPUTED_ONE) in squeezed(pdf)
    assert rows[tables.PAIRED_ROW]["paired_occasions"] == "1"
    assert rows[tables.PAIRED_ROW]["paired_recovered"] == ""


def test_the_outcomes_api_is_scoped_and_audited(app, client, world):
    paired_recovered(world)
    trainer = UserFactory(clinic=world.patient.clinic, role=Role.TRAINER)
    outsider = UserFactory(clinic=world.patient.clinic)
    other_admin = UserFactory(clinic=ClinicFactory(), role=Role.ADMIN)
    measures_path = f"/api/v1/patients/{world.patient.id}/outcomes"

    def get(user):
        return client.get(measures_path,
                          headers={"Authorization": f"Bearer {make_token(user)}"})

    for user in (outsider, other_admin):
        response = get(user)
        assert response.status_code == 404 and response.is_json
    assert client.get(measures_path).status_code == 401
    # a clinical trainer sees totals and change (minimum necessary): once on the team
    assert get(trainer).status_code == 404
    patients.add_to_care_team(world.therapist, world.patient.id, trainer.id)
    assert get(trainer).status_code == 200
    assert get(world.admin).status_code == 200
    reads = audit_events("api.outcomes.get", patient_id=world.patient.id)
    assert [event.actor_id for event in reads] == [trainer.id, world.admin.id]


def test_the_outcome_is_in_the_openapi_document(app, client, world):
    spec = client.get("/api/v1/openapi.json",
                      headers={"Authorization": f"Bearer {make_token(world.therapist)}"})
    document = spec.get_json()
    operation = document["paths"]["/api/v1/patients/{patient_id}/outcomes"]["get"]
    assert "200" in operation["responses"] and "404" in operation["responses"]
    schemas = document["components"]["schemas"]
    assert set(schemas["OutcomeOut"]["properties"]) == {"episode", "instruments", "paired"}
    assert set(schemas["InstrumentOutcomeOut"]["properties"]) == {
        "instrument", "baseline", "latest", "change", "recovery", "response", "remission"}
    assert set(schemas["ScoreOut"]["properties"]) == {"total", "date", "prorated"}
    assert set(schemas["OutcomeEpisodeOut"]["properties"]) == {"start", "end"}
    assert set(schemas["PairedOut"]["properties"]) == {
        "occasions", "case_at_baseline", "recovered", "reliable_improvement",
        "reliable_recovery", "reliable_deterioration"}
