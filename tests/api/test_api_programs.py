"""Exercises, program templates, a patient's program and its sessions through the API."""

from datetime import timedelta

import pytest
from helpers import count

from clinic.catalogue.models import Exercise, ProgramTemplate
from clinic.extensions import db
from clinic.programs import services as programs
from clinic.programs.models import Assignment, SessionLog, SetLog


def today(world):
    return programs.clinic_today(world.patient.id)


# Exercises -------------------------------------------------------------------------------------


def test_the_library_is_built_in_plus_the_clinics_own(client, world):
    body = client.get("/api/v1/exercises?per_page=100", headers=world.headers("trainer")).get_json()
    ids = {e["id"] for e in body["items"]}
    assert world.own_exercise_id in ids and world.builtin_id in ids
    assert world.own_exercise_b_id not in ids
    assert body["total"] == len(body["items"]) < 100
    second = client.get("/api/v1/exercises?per_page=5&page=2",
                        headers=world.headers("trainer")).get_json()
    assert second["items"] == body["items"][5:10]


EXERCISE = {"name": "Band pull-apart", "pattern": "pull_horizontal", "setting": "bands",
            "measure": "load_reps", "ladder_step": 2, "equipment": "band",
            "cues": ["Squeeze the shoulder blades."], "easier_tip": "Use a lighter band."}


def test_a_clinician_adds_retires_and_restores_an_exercise(client, world):
    headers = world.headers("trainer")
    made = client.post("/api/v1/exercises", headers=headers, json=EXERCISE)
    assert made.status_code == 201
    exercise = made.get_json()
    assert (exercise["builtin"], exercise["retired"], exercise["name"]) == (
        False, False, "Band pull-apart")
    again = client.post("/api/v1/exercises", headers=headers, json=EXERCISE)
    assert again.status_code == 422 and "name" in again.get_json()["fields"]
    retired = client.patch(f"/api/v1/exercises/{exercise['id']}", headers=headers,
                           json={"retired": True})
    assert retired.status_code == 200 and retired.get_json()["retired"] is True
    assert client.patch(f"/api/v1/exercises/{exercise['id']}", headers=headers,
                        json={"retired": False}).get_json()["retired"] is False


def test_built_in_exercises_stay_and_other_clinics_exercises_are_404(client, world):
    headers = world.headers("admin")
    builtin = client.patch(f"/api/v1/exercises/{world.builtin_id}", headers=headers,
                           json={"retired": True})
    assert builtin.status_code == 409
    other = client.patch(f"/api/v1/exercises/{world.own_exercise_b_id}", headers=headers,
                         json={"retired": True})
    assert other.status_code == 404
    db.session.commit()
    assert db.session.get(Exercise, world.own_exercise_b_id).retired_at is None


@pytest.mark.parametrize(("change", "field"), [
    ({"pattern": "jump"}, "pattern"), ({"ladder_step": 0}, "ladder_step"),
    ({"ladder_step": "2"}, "ladder_step"), ({"cues": []}, "cues"),
    ({"cues": ["a", "b", "c", "d"]}, "cues"), ({"name": ""}, "name"),
    ({"clinic_id": None}, "clinic_id"), ({"slug": "x"}, "slug")])
def test_invalid_exercises_are_422(client, world, change, field):
    before = count(Exercise)
    response = client.post("/api/v1/exercises", headers=world.headers("trainer"),
                           json={**EXERCISE, **change})
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert count(Exercise) == before


# Templates -------------------------------------------------------------------------------------


def test_templates_are_the_clinics(client, world):
    body = client.get("/api/v1/templates", headers=world.headers("therapist2")).get_json()
    assert [t["id"] for t in body["items"]] == [world.template_id]
    assert body["total"] == 1
    [level] = body["items"][0]["levels"]
    assert [e["exercise_id"] for e in level["exercises"]] == [world.builtin_id,
                                                               world.own_exercise_id]
    assert client.get(f"/api/v1/templates/{world.template_b_id}",
                      headers=world.headers("therapist2")).status_code == 404


def test_a_template_is_built_level_by_level_and_assigned(client, world):
    headers = world.headers("therapist")
    made = client.post("/api/v1/templates", headers=headers,
                       json={"name": "Upper body", "description": "Bands at home."})
    assert made.status_code == 201
    template = made.get_json()
    [level] = template["levels"]
    assert (level["number"], level["exercises"]) == (1, [])
    row = {"exercise_id": world.builtin_id, "sets": 3, "reps_min": 8, "reps_max": 12,
           "load_kind": "bodyweight"}
    saved = client.put(f"/api/v1/templates/{template['id']}/levels/{level['id']}",
                       headers=headers, json={"name": "Start", "min_weeks": 2,
                                              "sessions_per_week": 2, "exercises": [row]})
    assert saved.status_code == 200
    assert saved.get_json()["exercises"][0]["sets"] == 3
    second = client.post(f"/api/v1/templates/{template['id']}/levels", headers=headers)
    assert second.status_code == 201 and second.get_json()["number"] == 2
    renamed = client.patch(f"/api/v1/templates/{template['id']}", headers=headers,
                           json={"name": "Upper body 2"})
    assert renamed.get_json()["name"] == "Upper body 2"
    assert renamed.get_json()["description"] == "Bands at home."
    archived = client.patch(f"/api/v1/templates/{template['id']}", headers=headers,
                            json={"archived": True})
    assert archived.get_json()["archived"] is True


def test_a_level_row_with_another_clinics_exercise_is_refused(client, world):
    headers = world.headers("admin")
    row = {"exercise_id": world.own_exercise_b_id, "sets": 3, "reps_min": 8, "reps_max": 12,
           "load_kind": "bodyweight"}
    response = client.put(f"/api/v1/templates/{world.template_id}/levels/{world.level_id}",
                          headers=headers, json={"name": "Start", "min_weeks": 2,
                                                 "sessions_per_week": 2, "exercises": [row]})
    assert response.status_code == 422
    assert "exercises.0.exercise_id" in response.get_json()["fields"]
    bad_range = client.put(f"/api/v1/templates/{world.template_id}/levels/{world.level_id}",
                           headers=headers, json={
                               "name": "Start", "min_weeks": 2, "sessions_per_week": 2,
                               "exercises": [{**row, "exercise_id": world.builtin_id,
                                              "reps_min": 12, "reps_max": 8}]})
    assert bad_range.status_code == 422
    assert "exercises.0.reps_min" in bad_range.get_json()["fields"]
    db.session.commit()
    level = db.session.get(ProgramTemplate, world.template_id).levels[0]
    assert [e.exercise_id for e in level.exercises] == [world.builtin_id, world.own_exercise_id]


def test_another_clinics_template_and_level_are_404(client, world):
    headers = world.headers("admin_b")
    assert client.patch(f"/api/v1/templates/{world.template_id}", headers=headers,
                        json={"name": "Mine now"}).status_code == 404
    assert client.post(f"/api/v1/templates/{world.template_id}/levels",
                       headers=headers).status_code == 404
    assert client.put(f"/api/v1/templates/{world.template_id}/levels/{world.level_id}",
                      headers=headers, json={"name": "x", "min_weeks": 1,
                                             "sessions_per_week": 1, "exercises": [{
                                                 "exercise_id": world.builtin_id, "sets": 1,
                                                 "reps_min": 1, "reps_max": 2,
                                                 "load_kind": "kg"}]}).status_code == 404
    db.session.commit()
    assert db.session.get(ProgramTemplate, world.template_id).name == "Program of Clinic A"


# Assignments and sessions ------------------------------------------------------------------------


def test_assigning_a_program_gives_the_link_and_level_1(client, world):
    programs.set_status(world.therapist, world.assignment_id, "completed")
    response = client.post(f"/api/v1/patients/{world.patient.id}/assignments",
                           headers=world.headers("therapist"),
                           json={"template_id": world.template_id,
                                 "start_date": today(world).isoformat()})
    assert response.status_code == 201
    body = response.get_json()
    assert body["level"] == 1 and body["url"].startswith("http://clinic.test/p/")
    assert client.get(body["url"].removeprefix("http://clinic.test")).status_code == 303
    got = client.get(f"/api/v1/assignments/{body['id']}", headers=world.headers("trainer"))
    assert got.get_json() == body


def test_assignment_conflicts_and_swapped_ids(client, world):
    headers = world.headers("therapist")
    url = f"/api/v1/patients/{world.patient.id}/assignments"
    start = today(world).isoformat()
    busy = client.post(url, headers=headers, json={"template_id": world.template_id,
                                                   "start_date": start})
    assert busy.status_code == 422 and "template_id" in busy.get_json()["fields"]
    programs.set_status(world.therapist, world.assignment_id, "completed")
    # Another clinic's template inside the body is as missing as an unknown one.
    other = client.post(url, headers=headers, json={"template_id": world.template_b_id,
                                                    "start_date": start})
    unknown = client.post(url, headers=headers, json={"template_id": 99999,
                                                      "start_date": start})
    assert other.status_code == unknown.status_code == 404
    assert other.get_json() == unknown.get_json()
    assert count(Assignment) == 2
    huge = client.post(url, headers=headers, json={"template_id": 2**31, "start_date": start})
    assert huge.status_code == 422 and "template_id" in huge.get_json()["fields"]


@pytest.mark.parametrize("who", ["therapist2", "admin_b"])
def test_a_program_out_of_scope_is_404(client, world, who):
    headers = world.headers(who)
    base = f"/api/v1/assignments/{world.assignment_id}"
    assert client.get(base, headers=headers).status_code == 404
    assert client.get(f"{base}/sessions", headers=headers).status_code == 404
    assert client.post(f"{base}/level", headers=headers,
                       json={"level": 1, "reason": "x"}).status_code == 404
    assert client.post(f"{base}/sessions", headers=headers, json={
        "performed_on": today(world).isoformat(), "status": "done"}).status_code == 404
    assert client.post(f"/api/v1/patients/{world.patient.id}/assignments", headers=headers,
                       json={"template_id": world.template_id,
                             "start_date": today(world).isoformat()}).status_code == 404
    assert count(SessionLog) == 0


def test_level_changes_need_a_level_of_the_program_and_a_reason(client, world):
    headers = world.headers("trainer")
    url = f"/api/v1/assignments/{world.assignment_id}/level"
    assert client.post(url, headers=headers, json={"level": 2, "reason": "Ready."}
                       ).status_code == 422  # the program has one level
    no_reason = client.post(url, headers=headers, json={"level": 1, "reason": " "})
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["fields"]
    moved = client.post(url, headers=headers, json={"level": 1, "reason": "Start again."})
    assert moved.status_code == 200 and moved.get_json()["level"] == 1


def session_body(world, **changes):
    return {"performed_on": today(world).isoformat(), "status": "done", "rpe": 6,
            "mood_before": 4, "mood_after": 6, "pain": 0, "note": "Felt good.",
            "sets": [{"exercise_id": world.builtin_id, "reps": 10},
                     {"exercise_id": world.builtin_id, "reps": 9, "load_kg": 2.5},
                     {"exercise_id": world.own_exercise_id, "reps": 8}], **changes}


def test_a_supervised_session_is_logged_and_listed(client, world):
    headers = world.headers("trainer")
    url = f"/api/v1/assignments/{world.assignment_id}/sessions"
    response = client.post(url, headers=headers, json=session_body(world))
    assert response.status_code == 201
    body = response.get_json()
    assert (body["status"], body["source"], body["rpe"], body["level"]) == (
        "done", "clinician", 6, 1)
    assert [(s["exercise_id"], s["set_number"], s["reps"], s["load_kg"]) for s in body["sets"]] == [
        (world.builtin_id, 1, 10, None), (world.builtin_id, 2, 9, 2.5),
        (world.own_exercise_id, 1, 8, None)]
    stored = db.session.get(SessionLog, body["id"])
    assert stored.entered_by_id == world.trainer.id
    listed = client.get(url, headers=headers).get_json()
    assert [s["id"] for s in listed["items"]] == [body["id"]] and listed["total"] == 1


def test_a_skipped_session_needs_a_reason_and_no_sets(client, world):
    headers = world.headers("therapist")
    url = f"/api/v1/assignments/{world.assignment_id}/sessions"
    no_reason = client.post(url, headers=headers, json=session_body(world, status="skipped",
                                                                    sets=[]))
    assert no_reason.status_code == 422 and "skip_reason" in no_reason.get_json()["fields"]
    with_sets = client.post(url, headers=headers, json=session_body(
        world, status="skipped", skip_reason="low_mood"))
    assert with_sets.status_code == 422 and "sets" in with_sets.get_json()["fields"]
    skipped = client.post(url, headers=headers, json=session_body(
        world, status="skipped", skip_reason="low_mood", sets=[]))
    assert skipped.status_code == 201 and skipped.get_json()["sets"] == []


@pytest.mark.parametrize(("changes", "field"), [
    ({"rpe": 11}, "rpe"), ({"mood_before": -1}, "mood_before"), ({"pain": 10.5}, "pain"),
    ({"mood_after": "5"}, "mood_after"), ({"status": "finished"}, "status"),
    ({"performed_on": "2999-01-01"}, "performed_on"),  # the future
    ({"performed_on": "2001-01-01"}, "performed_on"),  # before the program started
    ({"sets": [{"exercise_id": 1, "reps": 201}]}, "sets.0.reps"),
    ({"sets": [{"exercise_id": -4, "reps": 1}]}, "sets.0.exercise_id"),
    ({"sets": [{"exercise_id": 999999, "reps": 1}]}, "sets.0.exercise_id"),
    ({"sets": [{"exercise_id": "own_b", "reps": 5}]}, "sets.0.exercise_id"),
    ({"sets": [{"exercise_id": "builtin", "reps": 5, "load_kg": 1.234}]}, "sets.0.load_kg"),
    ({"sets": [{"exercise_id": "builtin", "reps": 5, "load_kg": 501}]}, "sets.0.load_kg"),
    ({"sets": [{"exercise_id": "builtin"}]}, "sets.0.reps"),
    ({"sets": [{"exercise_id": "builtin", "reps": 5, "weight": 1}]}, "sets.0.weight"),
    ({"source": "patient"}, "source")])
def test_invalid_sessions_are_422_and_nothing_is_stored(client, world, changes, field):
    if changes.get("sets") and changes["sets"][0]["exercise_id"] in ("own_b", "builtin"):
        # Ids swapped into the body: another clinic's exercise is refused like a missing one.
        name = changes["sets"][0]["exercise_id"]
        changes["sets"][0]["exercise_id"] = (world.own_exercise_b_id if name == "own_b"
                                             else world.builtin_id)
    response = client.post(f"/api/v1/assignments/{world.assignment_id}/sessions",
                           headers=world.headers("therapist"),
                           json=session_body(world, **changes))
    assert response.status_code == 422
    assert field in response.get_json()["fields"], response.get_json()
    assert count(SessionLog) == 0 and count(SetLog) == 0


def test_a_completed_program_takes_no_session_409(client, world):
    programs.set_status(world.therapist, world.assignment_id, "completed")
    response = client.post(f"/api/v1/assignments/{world.assignment_id}/sessions",
                           headers=world.headers("therapist"), json=session_body(world))
    assert response.status_code == 409


def test_a_session_yesterday_is_accepted(client, world):
    programs.set_status(world.therapist, world.assignment_id, "completed")
    start = today(world) - timedelta(days=3)
    made = client.post(f"/api/v1/patients/{world.patient.id}/assignments",
                       headers=world.headers("therapist"),
                       json={"template_id": world.template_id, "start_date": start.isoformat()})
    response = client.post(f"/api/v1/assignments/{made.get_json()['id']}/sessions",
                           headers=world.headers("therapist"), json=session_body(
                               world, performed_on=(today(world) - timedelta(days=1)).isoformat()))
    assert response.status_code == 201
