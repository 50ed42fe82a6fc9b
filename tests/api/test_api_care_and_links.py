"""Care teams, discharge, schedules, link revocation, corrections, program status and links,
template copies: the rest of what a clinician does in the pages, through the API."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from factories import PatientFactory, starter_templates
from helpers import member_id

from clinic.catalogue.models import ProgramTemplate
from clinic.extensions import db
from clinic.measures import services as measures
from clinic.measures.models import Invitation, MeasureSchedule, Response
from clinic.patients.models import CareTeamMember, Patient
from clinic.programs import services as programs
from clinic.programs.models import Assignment


def test_the_primary_clinician_manages_the_care_team(client, world):
    headers = world.headers("therapist")
    base = f"/api/v1/patients/{world.patient.id}/care-team"
    added = client.post(base, headers=headers, json={"user_id": world.therapist2.id})
    assert added.status_code == 201
    assert world.therapist2.id in [m["user_id"] for m in added.get_json()["care_team"]]
    again = client.post(base, headers=headers, json={"user_id": world.therapist2.id})
    assert again.status_code == 422 and "user_id" in again.get_json()["fields"]
    other_clinic = client.post(base, headers=headers, json={"user_id": world.therapist_b.id})
    assert other_clinic.status_code == 422
    trainer = member_id(world.patient, world.trainer)
    primary = client.post(f"{base}/{trainer}/primary", headers=headers)
    assert primary.status_code == 200
    assert [m["user_id"] for m in primary.get_json()["care_team"] if m["is_primary"]] == [
        world.trainer.id]
    # The therapist is no longer primary: managing the team is now refused.
    therapist2 = member_id(world.patient, world.therapist2)
    refused = client.delete(f"{base}/{therapist2}", headers=headers)
    assert refused.status_code == 403
    removed = client.delete(f"{base}/{member_id(world.patient, world.therapist2)}",
                            headers=world.headers("admin"))
    assert removed.status_code == 200
    assert world.therapist2.id not in [m["user_id"] for m in removed.get_json()["care_team"]]


def test_care_team_refusals(client, world):
    base = f"/api/v1/patients/{world.patient.id}/care-team"
    trainer = client.post(base, headers=world.headers("trainer"),
                          json={"user_id": world.therapist2.id})
    assert trainer.status_code == 403
    primary = client.delete(f"{base}/{member_id(world.patient, world.therapist)}",
                            headers=world.headers("admin"))
    assert primary.status_code == 409
    # A care-team row of another clinic's patient is as missing as an unknown one.
    other = db.session.scalar(sa.select(CareTeamMember.id).where(
        CareTeamMember.patient_id == world.patient_b.id))
    for url in (f"{base}/{other}", f"{base}/{other}/primary"):
        method = client.delete if url.endswith(str(other)) else client.post
        swapped = method(url, headers=world.headers("admin"))
        missing = method(url.replace(f"/{other}", "/99999"), headers=world.headers("admin"))
        assert swapped.status_code == missing.status_code == 404
    for who in ("therapist2", "admin_b"):
        assert client.post(base, headers=world.headers(who),
                           json={"user_id": world.therapist2.id}).status_code == 404


def test_discharge_and_reactivate(client, world):
    url = f"/api/v1/patients/{world.patient.id}"
    assert client.post(f"{url}/discharge", headers=world.headers("trainer")).status_code == 403
    discharged = client.post(f"{url}/discharge", headers=world.headers("therapist"))
    assert discharged.status_code == 200 and discharged.get_json()["status"] == "discharged"
    back = client.post(f"{url}/reactivate", headers=world.headers("admin"))
    assert back.status_code == 200 and back.get_json()["status"] == "active"
    assert client.post(f"{url}/discharge", headers=world.headers("admin_b")).status_code == 404
    db.session.commit()
    assert db.session.get(Patient, world.patient.id).status == "active"


def test_schedules_are_saved_listed_and_stopped(client, world):
    headers = world.headers("trainer")
    base = f"/api/v1/patients/{world.patient.id}/schedules"
    saved = client.post(base, headers=headers, json={
        "instrument": "GAD-7", "every_weeks": 2, "weekday": 0,
        "starts_on": (date.today() + timedelta(days=3)).isoformat()})
    assert saved.status_code == 200
    schedule = saved.get_json()
    assert (schedule["instrument"], schedule["every_weeks"]) == ("GAD-7", 2)
    listed = client.get(base, headers=headers).get_json()
    assert [s["instrument"] for s in listed] == ["WHO-5", "GAD-7"] and listed[1] == schedule
    bad = client.post(base, headers=headers, json={
        "instrument": "GAD-7", "every_weeks": 3, "weekday": 7, "starts_on": "2026-01-01",
        "ends_on": "2025-01-01"})
    assert bad.status_code == 422
    assert {"every_weeks", "weekday"} <= set(bad.get_json()["fields"])
    backwards = client.post(base, headers=headers, json={
        "instrument": "GAD-7", "every_weeks": 1, "weekday": 1, "starts_on": "2026-01-01",
        "ends_on": "2025-01-01"})
    assert backwards.status_code == 422 and "ends_on" in backwards.get_json()["fields"]
    assert client.get(base, headers=world.headers("therapist2")).status_code == 404
    stopped = client.post(f"{base}/{schedule['id']}/stop", headers=headers)
    assert stopped.status_code == 204
    after = client.get(base, headers=headers).get_json()  # never sent: removed
    assert [s["instrument"] for s in after] == ["WHO-5"]
    assert client.post(f"{base}/{schedule['id']}/stop", headers=headers).status_code == 404


def test_a_schedule_of_another_patient_is_404(client, world):
    from clinic.measures import services as measures
    from clinic.measures.services import ScheduleInput

    other = measures.save_schedule(world.therapist_b, world.patient_b.id,
                                   ScheduleInput("PHQ-9", 1, 0, date.today()))
    response = client.post(f"/api/v1/patients/{world.patient.id}/schedules/{other.id}/stop",
                           headers=world.headers("admin"))
    assert response.status_code == 404
    assert db.session.get(MeasureSchedule, other.id) is not None


def test_an_invitation_is_revoked(client, world):
    headers = world.headers("therapist")
    made = client.post(f"/api/v1/patients/{world.patient.id}/invitations", headers=headers,
                       json={"instruments": ["PHQ-9"]}).get_json()
    url = f"/api/v1/patients/{world.patient.id}/invitations/{made['id']}/revoke"
    assert client.post(url, headers=world.headers("admin_b")).status_code == 404
    swapped = client.post(f"/api/v1/patients/{world.patient_b.id}/invitations/{made['id']}"
                          "/revoke", headers=world.headers("admin_b"))
    assert swapped.status_code == 404
    assert client.post(url, headers=headers).status_code == 200
    db.session.commit()
    assert db.session.get(Invitation, made["id"]).revoked_at is not None
    page = client.get(made["url"].removeprefix("http://clinic.test"), follow_redirects=True)
    assert "Link no longer active" in page.get_data(as_text=True)


def test_a_response_is_corrected_and_both_stay(client, world):
    headers = world.headers("therapist")
    url = f"/api/v1/patients/{world.patient.id}/responses/{world.response_id}/correct"
    when = datetime.now(UTC).isoformat()
    no_reason = client.post(url, headers=headers, json={"answers": [0] * 9,
                                                        "completed_at": when, "reason": ""})
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["fields"]
    wrong = client.post(url, headers=headers, json={"answers": [0] * 8, "completed_at": when,
                                                    "reason": "Typo."})
    assert wrong.status_code == 422 and "answers.8" in wrong.get_json()["fields"]
    fixed = client.post(url, headers=headers, json={"answers": [0] * 9, "completed_at": when,
                                                    "reason": "Entered the wrong form."})
    assert fixed.status_code == 201
    body = fixed.get_json()
    assert (body["total"], body["supersedes_id"]) == (0, world.response_id)
    assert client.post(url, headers=headers, json={"answers": [0] * 9, "completed_at": when,
                                                   "reason": "Again."}).status_code == 409
    listed = client.get(f"/api/v1/patients/{world.patient.id}/responses",
                        headers=headers).get_json()
    assert [r["id"] for r in listed["items"]] == [body["id"]]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 2
    assert client.post(url.replace(str(world.patient.id), str(world.patient_b.id)),
                       headers=world.headers("admin_b"), json={
                           "answers": [0] * 9, "completed_at": when,
                           "reason": "x"}).status_code == 404


def test_program_status_and_link(client, world):
    headers = world.headers("trainer")
    base = f"/api/v1/assignments/{world.assignment_id}"
    paused = client.post(f"{base}/status", headers=headers, json={"status": "paused",
                                                                  "reason": "Holiday."})
    assert paused.status_code == 200 and paused.get_json()["status"] == "paused"
    again = client.post(f"{base}/status", headers=headers, json={"status": "paused"})
    assert again.status_code == 409
    old = paused.get_json()["url"]
    rotated = client.post(f"{base}/link/rotate", headers=headers).get_json()
    assert rotated["url"] != old
    # A replaced link gets the calm "no longer active" page (the same as an unknown one).
    assert client.get(old.removeprefix("http://clinic.test")).status_code == 410
    revoked = client.post(f"{base}/link/revoke", headers=headers).get_json()
    assert revoked["url"] is None
    done = client.post(f"{base}/status", headers=headers, json={"status": "completed"})
    assert done.get_json()["status"] == "completed"
    assert client.post(f"{base}/link/rotate", headers=headers).status_code == 409
    assert client.post(f"{base}/status", headers=headers,
                       json={"status": "archived"}).status_code == 422


@pytest.mark.parametrize("suffix", ["status", "link/rotate", "link/revoke"])
def test_program_changes_out_of_scope_are_404(client, world, suffix):
    response = client.post(f"/api/v1/assignments/{world.assignment_id}/{suffix}",
                           headers=world.headers("therapist2"), json={"status": "paused"}
                           if suffix == "status" else None)
    assert response.status_code == 404
    db.session.commit()
    assignment = db.session.get(Assignment, world.assignment_id)
    assert (assignment.status, assignment.link_revoked_at) == ("active", None)


def test_a_template_is_cloned_within_the_clinic_only(client, world):
    made = client.post(f"/api/v1/templates/{world.template_id}/clone",
                       headers=world.headers("trainer"))
    assert made.status_code == 201
    assert made.get_json()["name"] == "Copy of Program of Clinic A"
    assert len(made.get_json()["levels"]) == 1
    assert client.post(f"/api/v1/templates/{world.template_id}/clone",
                       headers=world.headers("admin_b")).status_code == 404
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgramTemplate)) == 3


def test_a_target_changes_with_a_reason(client, world):
    headers = world.headers("trainer")
    base = f"/api/v1/assignments/{world.assignment_id}"
    before = client.get(base, headers=headers).get_json()
    assert [e["exercise_id"] for e in before["exercises"]] == [world.builtin_id,
                                                                world.own_exercise_id]
    body = {"sets": 3, "reps_min": 10, "reps_max": 15, "reason": "Ready for more."}
    changed = client.post(f"{base}/targets/1", headers=headers, json=body)
    assert changed.status_code == 200
    assert changed.get_json()["exercises"][1] == {
        "index": 1, "exercise_id": world.own_exercise_id, "name": "Step-up onto a low box",
        "sets": 3, "reps_min": 10, "reps_max": 15, "load_kg": None}
    with_load = client.post(f"{base}/targets/0", headers=headers,
                            json={**body, "load_kg": 2.5})
    assert with_load.get_json()["exercises"][0]["load_kg"] == 2.5
    jump = client.post(f"{base}/targets/0", headers=headers, json={**body, "load_kg": 5})
    assert jump.status_code == 422 and "confirm_jump" in jump.get_json()["fields"]
    assert client.post(f"{base}/targets/0", headers=headers,
                       json={**body, "load_kg": 5, "confirm_jump": True}).status_code == 200
    for bad, field in (({"reason": ""}, "reason"), ({"reps_min": 20}, "reps_min"),
                       ({"load_kg": 1.234}, "load_kg"), ({"sets": 11}, "sets")):
        response = client.post(f"{base}/targets/0", headers=headers, json={**body, **bad})
        assert response.status_code == 422 and field in response.get_json()["fields"]
    assert client.post(f"{base}/targets/2", headers=headers, json=body).status_code == 404
    assert client.post(f"{base}/targets/100", headers=headers, json=body).status_code == 404
    assert client.post(f"{base}/targets/0", headers=world.headers("therapist2"),
                       json=body).status_code == 404


def test_suggestions_come_from_the_logs_and_a_decline_holds(client, world):
    headers = world.headers("therapist")
    starter = starter_templates(world.patient.clinic)["Barbell basics"]
    programs.set_status(world.therapist, world.assignment_id, "completed")
    today = programs.clinic_today(world.patient.id).isoformat()
    made = client.post(f"/api/v1/patients/{world.patient.id}/assignments", headers=headers,
                       json={"template_id": starter, "start_date": today}).get_json()
    base = f"/api/v1/assignments/{made['id']}"
    first = client.post(f"{base}/targets/0", headers=headers, json={
        "sets": made["exercises"][0]["sets"], "reps_min": made["exercises"][0]["reps_min"],
        "reps_max": made["exercises"][0]["reps_max"], "load_kg": 40,
        "reason": "Starting load agreed in session."}).get_json()
    assert client.get(f"{base}/suggestions", headers=headers).get_json() == []
    top = [{"exercise_id": item["exercise_id"], "reps": item["reps_max"],
            "load_kg": item["load_kg"]}
           for item in first["exercises"] for _ in range(item["sets"])]
    for _ in range(2):  # two sessions at the top of the range
        logged = client.post(f"{base}/sessions", headers=headers, json={
            "performed_on": today, "status": "done", "rpe": 5, "pain": 0, "sets": top})
        assert logged.status_code == 201
    listed = client.get(f"{base}/suggestions", headers=headers).get_json()
    suggestion = next(s for s in listed if s["index"] == 0)  # the squat, now loaded
    assert suggestion["reason"] and suggestion["exercise"] == first["exercises"][0]["name"]
    assert suggestion["kind"] in ("increase_load", "extend_range")
    assert client.post(f"{base}/suggestions/0/decline", headers=world.headers("therapist2"),
                       json={"kind": suggestion["kind"]}).status_code == 404
    declined = client.post(f"{base}/suggestions/0/decline", headers=headers,
                           json={"kind": suggestion["kind"], "reason": "Knee niggle."})
    assert declined.status_code == 204
    after = client.get(f"{base}/suggestions", headers=headers).get_json()
    assert 0 not in [s["index"] for s in after] and len(after) == len(listed) - 1
    assert client.get(f"{base}/suggestions",
                      headers=world.headers("admin_b")).status_code == 404


def test_links_are_listed_with_their_state(client, world):
    headers = world.headers("trainer")
    base = f"/api/v1/patients/{world.patient.id}/invitations"
    made = client.post(base, headers=headers, json={"instruments": ["RSES"]}).get_json()
    assert made["state"] == "open"
    client.post(f"{base}/{world.invitation_id}/revoke", headers=headers)
    listed = client.get(base, headers=headers).get_json()
    assert [(i["id"], i["state"]) for i in listed] == [(made["id"], "open"),
                                                      (world.invitation_id, "revoked")]
    assert client.get(base, headers=world.headers("therapist2")).status_code == 404


def test_levels_are_removed_and_starters_added(client, world):
    headers = world.headers("trainer")
    base = f"/api/v1/templates/{world.template_id}/levels"
    only = client.delete(f"{base}/{world.level_id}", headers=headers)
    assert only.status_code == 409  # a program keeps one level
    second = client.post(base, headers=headers).get_json()
    removed = client.delete(f"{base}/{world.level_id}", headers=headers)
    assert removed.status_code == 200
    assert [level["id"] for level in removed.get_json()["levels"]] == [second["id"]]
    assert client.delete(f"{base}/{second['id']}",
                         headers=world.headers("admin_b")).status_code == 404
    starters = client.post("/api/v1/templates/starters", headers=headers)
    assert starters.status_code == 200
    names = [t["name"] for t in starters.get_json()["items"]]
    assert "Barbell basics" in names and "Program of Clinic A" in names
    again = client.post("/api/v1/templates/starters", headers=headers).get_json()
    assert again["total"] == starters.get_json()["total"]  # only those the clinic lacks
    b_names = [t["name"] for t in client.get(
        "/api/v1/templates", headers=world.headers("admin_b")).get_json()["items"]]
    assert "Barbell basics" not in b_names


def test_a_missing_or_another_patients_schedule_or_response_is_404(client, world):
    """Stopping a schedule and correcting a response: a missing id and the id of another patient
    the caller may see both answer the API's 404 (never 409), and nothing is written."""
    sibling = PatientFactory(clinic=world.patient.clinic, primary=world.therapist,
                             display_name="Cleo C", reference="A-2")
    schedule = measures.save_schedule(world.therapist, sibling.id,
                                      measures.ScheduleInput("PHQ-9", 1, 0, date.today()))
    response = measures.record_clinician_response(world.therapist, sibling.id, "GAD-7", [1] * 7,
                                                  datetime.now(UTC) - timedelta(hours=1))
    schedule_id, response_id = schedule.id, response.id
    headers = world.headers("therapist")
    base = f"/api/v1/patients/{world.patient.id}"
    correction = {"answers": [0] * 7, "completed_at": datetime.now(UTC).isoformat(),
                  "reason": "Typo."}
    for missing, theirs in ((schedule_id + 999, schedule_id), (response_id + 999, response_id)):
        kind = "schedules" if theirs == schedule_id else "responses"
        action = "stop" if kind == "schedules" else "correct"
        for object_id in (missing, theirs):
            answer = client.post(f"{base}/{kind}/{object_id}/{action}", headers=headers,
                                 json=correction if action == "correct" else None)
            assert answer.status_code == 404, (kind, object_id)
            assert answer.get_json() == {"error": "Not found.", "fields": {}}
    db.session.commit()
    assert db.session.get(MeasureSchedule, schedule_id).ends_on is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response).where(
        Response.supersedes_id.is_not(None))) == 0
