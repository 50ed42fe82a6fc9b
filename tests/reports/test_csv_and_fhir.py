"""CSV exports read back with the csv module, the FHIR Bundle validated with fhir.resources,
and every export of a patient answering 404 outside the caller's scope."""

import hashlib
import json
from datetime import date

import pytest
import sqlalchemy as sa
from fhir.resources.R4B.bundle import Bundle

from clinic.audit.models import AuditEvent
from clinic.extensions import db
from clinic.measures.instruments import get_instrument
from clinic.measures.services import current_responses
from clinic.programs import services as programs
from clinic.programs.models import SessionLog
from clinic.reports import fhir, tables
from reports.conftest import make_record
from reports.helpers import csv_rows

EXPORTS = ("exports/responses.csv", "exports/sessions.csv", "exports/fhir.json", "reports/pdf")


def _post(client, auth, user, path):
    auth.login(user.email)
    return auth.post(path)


def test_responses_csv_has_every_item_of_every_response(app, client, auth, record):
    response = _post(client, auth, record.therapist,
                     f"/patients/{record.patient.id}/exports/responses.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Alex" not in response.headers["Content-Disposition"]
    rows = csv_rows(response.data)
    expected = []
    zone = record.patient.clinic.zone
    for stored in current_responses(record.patient.id):
        instrument = get_instrument(stored.instrument_code)
        for item, raw in zip(instrument.items, stored.answers, strict=True):
            option = next(o for o in item.options if o.value == raw)
            expected.append({
                "response_id": str(stored.id), "instrument": stored.instrument_code,
                "total": str(stored.total), "band": stored.band or "",
                f"completed_at ({zone})":  # on the clinic's clock, the zone named
                    stored.completed_at.astimezone(zone).isoformat(timespec="seconds"),
                "item": str(item.number), "item_loinc": item.loinc or "",
                "answer": str(raw), "answer_label": option.label,
                "answer_loinc": option.loinc_answer or "", "item_score": str(item.score(raw))})
    assert [{key: row[key] for key in expected[0]} for row in rows] == expected
    assert len(rows) == 3 * 9 + 2 * 7 + 10


def test_sessions_csv_has_every_set(app, client, auth, record):
    response = _post(client, auth, record.trainer,
                     f"/patients/{record.patient.id}/exports/sessions.csv")
    rows = csv_rows(response.data)
    sessions = db.session.scalars(sa.select(SessionLog).order_by(SessionLog.performed_on,
                                                                 SessionLog.id)).all()
    expected = []
    for session in sessions:
        for s in session.sets or [None]:
            expected.append((str(session.id), session.status, session.performed_on.isoformat(),
                             str(session.mood_before or ""), str(session.mood_after or ""),
                             s.exercise.name if s else "", str(s.set_number) if s else "",
                             str(s.reps) if s else "",
                             str(s.load_kg) if s and s.load_kg is not None else ""))
    day = f"performed_on ({record.patient.clinic.zone})"  # the zone named in the header
    assert [(r["session_id"], r["status"], r[day], r["mood_before"], r["mood_after"],
             r["exercise"], r["set_number"], r["reps"], r["load_kg"])
            for r in rows] == expected
    assert {r["program"] for r in rows} == {"Harbour strength"}


def test_a_session_the_patient_removed_is_not_exported(app, client, auth, record):
    """Removed the same day (issue 17): kept in the database, in no export."""
    patients_own = db.session.scalars(sa.select(SessionLog).where(
        SessionLog.source == "patient").order_by(SessionLog.id)).all()
    removed = patients_own[-1]
    programs.withdraw_own_session(removed.assignment_id, removed.id)
    response = _post(client, auth, record.trainer,
                     f"/patients/{record.patient.id}/exports/sessions.csv")
    exported = {r["session_id"] for r in csv_rows(response.data)}
    assert str(removed.id) not in exported
    assert exported == {str(s.id) for s in db.session.scalars(sa.select(SessionLog)).all()
                        if s.withdrawn_at is None}


def test_formula_like_text_is_neutralised(app, client, auth):
    record = make_record(texts={"session_note": "=HYPERLINK(\"http://x\",\"y\")",
                                "exercise": "@SUM(A1)"})
    rows = csv_rows(_post(client, auth, record.therapist,
                          f"/patients/{record.patient.id}/exports/sessions.csv").data)
    assert {r["note"] for r in rows} == {"'=HYPERLINK(\"http://x\",\"y\")"}
    assert "'@SUM(A1)" in {r["exercise"] for r in rows}
    assert [tables.cell(v) for v in ("+1", "-1", "\tx", "ok", -3, None)] == [
        "'+1", "'-1", "'\tx", "ok", -3, ""]


def test_ranges_stay_text_in_a_spreadsheet(app, client, auth, record):
    """"10-15" (reps) or "5-6" (effort) would become a date; numbers and real dates do not
    change (issue 16)."""
    rows = csv_rows(_post(client, auth, record.trainer,
                          f"/patients/{record.patient.id}/exports/sessions.csv").data)
    ranges = {r["target_reps"] for r in rows if r["target_reps"]}
    assert ranges and all(text.startswith("'") and "-" in text for text in ranges)
    day = f"performed_on ({record.patient.clinic.zone})"
    assert all(not r[day].startswith("'") for r in rows)  # a date object stays a date
    assert [tables.cell(v) for v in ("10-15", "1/2", "12:30", "44250-9", "1.5", "ok 10-15",
                                     "=1-2", date(2026, 1, 2), 7)] == [
        "'10-15", "'1/2", "'12:30", "44250-9", "1.5", "ok 10-15", "'=1-2", "2026-01-02", 7]


def test_clinic_export_is_pseudonymised_and_admin_only(app, client, auth, record):
    for user in (record.therapist, record.trainer):
        assert _post(client, auth, user, "/reports/clinic/outcomes.csv").status_code == 403
        auth.logout()
    auth.login(record.admin.email)
    assert client.get("/reports/clinic").status_code == 200
    first = auth.post("/reports/clinic/outcomes.csv")
    second = auth.post("/reports/clinic/outcomes.csv")
    assert first.status_code == 200 and first.data == second.data  # stable pseudonyms
    rows = csv_rows(first.data)
    body = first.get_data(as_text=True)
    for phi in ("Alex", "Example", "HC-42", str(record.patient.episodes[-1].start.year) + "-"):
        assert phi not in body
    pseudonym = tables.pseudonym(app.config["SECRET_KEY"], record.clinic.id, record.patient.id)
    assert {r["pseudonym"] for r in rows} == {pseudonym}
    assert pseudonym != tables.pseudonym("another-secret-key-of-at-least-32-bytes!!",
                                         record.clinic.id, record.patient.id)
    phq = next(r for r in rows if r["instrument"] == "PHQ-9")
    assert (phq["scores"], phq["baseline_total"], phq["latest_total"], phq["change"],
            phq["reliable_change"], phq["recovery"]) == (
        "3", "15", "4", "-11", "reliable_improvement", "reliable_recovery")
    # The other clinic's admin exports their own clinic: nothing of this one.
    auth.logout()
    auth.login(record.other_admin.email)
    assert csv_rows(auth.post("/reports/clinic/outcomes.csv").data) == []


def test_fhir_bundle_validates_and_carries_the_loinc_codes(app, client, auth, record):
    response = _post(client, auth, record.therapist,
                     f"/patients/{record.patient.id}/exports/fhir.json")
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    bundle = Bundle.model_validate_json(response.data)
    data = json.loads(response.data)
    assert "4.3.0" not in response.get_data(as_text=True)
    resources = [entry["resource"] for entry in data["entry"]]
    kinds = [r["resourceType"] for r in resources]
    stored = current_responses(record.patient.id)
    assert kinds.count("QuestionnaireResponse") == kinds.count("Observation") == len(stored)
    assert kinds.count("Patient") == 1 and bundle.type == "collection"
    observations = [r for r in resources if r["resourceType"] == "Observation"]
    by_total = {}
    for obs in observations:
        assert obs["status"] in fhir.OBSERVATION_STATUSES
        by_total.setdefault(obs["code"]["coding"][0]["code"], []).append(
            obs["valueQuantity"]["value"])
    assert by_total["44261-6"] == [r.total for r in stored if r.instrument_code == "PHQ-9"]
    assert by_total["70274-6"] == [r.total for r in stored if r.instrument_code == "GAD-7"]
    rses = next(o for o in observations if o["code"]["coding"][0]["system"] != fhir.LOINC)
    assert rses["code"]["coding"][0]["code"] == "RSES-total"
    assert "no verified LOINC code" in rses["code"]["text"]
    phq9 = next(r for r in resources if r["resourceType"] == "Questionnaire"
                and r["title"].startswith("Patient Health"))
    assert [i["code"][0]["code"] for i in phq9["item"][:9]] == [
        item.loinc for item in get_instrument("PHQ-9").items]
    assert phq9["code"][0]["code"] == "44249-1"
    responses = [r for r in resources if r["resourceType"] == "QuestionnaireResponse"]
    first = responses[0]
    assert first["status"] in fhir.QR_STATUSES
    assert [a["answer"][0]["valueCoding"]["code"] for a in first["item"]] == [
        "LA6571-9", "LA6571-9", "LA6570-1", "LA6570-1", "LA6570-1", "LA6569-3", "LA6569-3",
        "LA6569-3", "LA6568-5"]  # PHQ-9 [3, 3, 2, 2, 2, 1, 1, 1, 0]
    db.session.commit()
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "fhir_export"))
    assert event.detail["sha256"] == hashlib.sha256(response.data).hexdigest()


def test_status_codes_are_checked_here():
    with pytest.raises(fhir.InvalidCode):
        fhir.checked("done", fhir.QR_STATUSES, "QuestionnaireResponse.status")


@pytest.mark.parametrize("outsider", ["outsider", "other_admin"])
def test_every_export_is_404_outside_scope(app, client, auth, record, outsider):
    user = getattr(record, outsider)
    auth.login(user.email)
    missing = record.patient.id + 1000
    assert client.get(f"/patients/{record.patient.id}/reports").status_code == 404
    for path in EXPORTS:
        hidden = auth.post(f"/patients/{record.patient.id}/{path}")
        gone = auth.post(f"/patients/{missing}/{path}")
        assert hidden.status_code == gone.status_code == 404, path
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action.like("%export"))) == 0
