"""The pages refuse what the API refuses, with the limits defined once (clinic.limits).

A program start more than a year back or ahead (unless the clinician confirms, and never past
five years or outside 1900-2100), a questionnaire schedule starting before the patient's episode
of care or more than a year ahead, a reason past ``REASON_MAX``, a session note past its limit:
the page answers 422 with the message (the form again, its values kept), the API 422 on the
field. The world is tests/test_route_access.py's (patient P with a program, a PHQ-9 schedule, a
paper PHQ-9). tests/test_field_limits.py proves the bounds themselves are the same.
"""

from datetime import timedelta

import pytest
from conftest import AuthActions, csrf_token
from helpers import audit_events, make_token
from test_route_access import fresh_world

from clinic.auth.models import User
from clinic.extensions import db
from clinic.limits import CONFIRMED_PLAN_WINDOW, PLAN_WINDOW, REASON_MAX, TEXT_MAX
from clinic.programs import services as programs


@pytest.fixture
def world(app):
    return fresh_world()


@pytest.fixture
def page(client, world):
    AuthActions(client).login(world.therapist.email)
    client.csrf = csrf_token(client, "/account/password")
    return client


@pytest.fixture
def api(app, world):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = (
        f"Bearer {make_token(db.session.get(User, world.therapist.id))}")
    return client


def today(world):
    return programs.clinic_today(world.patient.id)


@pytest.mark.parametrize("offset", [-PLAN_WINDOW - timedelta(days=1),
                                    PLAN_WINDOW + timedelta(days=1)])
def test_a_program_start_beyond_a_year_is_refused_by_page_and_api(page, api, world, offset):
    start = today(world) + offset
    response = page.post(f"/programs/patients/{world.patient.id}/assign", data={
        "csrf_token": page.csrf, "template_id": world.template_id,
        "start_date": start.isoformat()})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A program cannot start more than a year" in body
    assert f'value="{start.isoformat()}"' in body  # the value is kept
    response = api.post(f"/api/v1/patients/{world.patient.id}/assignments",
                        json={"template_id": world.template_id, "start_date": start.isoformat()})
    assert response.status_code == 422
    assert "more than a year" in response.get_json()["fields"]["start_date"][0]


def test_a_program_start_in_year_1_is_refused_by_page_and_api_even_when_confirmed(
        page, api, world):
    response = page.post(f"/programs/patients/{world.patient.id}/assign", data={
        "csrf_token": page.csrf, "template_id": world.template_id, "start_date": "0001-01-01",
        "confirm_start": "y"})
    assert response.status_code == 422
    assert "Use a date between 1900 and 2100." in response.get_data(as_text=True)
    response = api.post(f"/api/v1/patients/{world.patient.id}/assignments", json={
        "template_id": world.template_id, "start_date": "0001-01-01", "confirm_start": True})
    assert response.status_code == 422
    assert response.get_json()["fields"]["start_date"] == ["Use a date between 1900 and 2100."]


def assign(page, api, world, start, confirm):
    """(page response, API response) for assigning P's program to start on ``start``."""
    data = {"csrf_token": page.csrf, "template_id": world.template_id,
            "start_date": start.isoformat()}
    if confirm:
        data["confirm_start"] = "y"
    return (page.post(f"/programs/patients/{world.patient.id}/assign", data=data),
            api.post(f"/api/v1/patients/{world.patient.id}/assignments", json={
                "template_id": world.template_id, "start_date": start.isoformat(),
                "confirm_start": confirm}))


@pytest.mark.parametrize("sign", [-1, 1])
def test_a_start_beyond_a_year_passes_the_date_check_once_the_clinician_confirms(
        page, api, world, sign):
    start = today(world) + sign * (PLAN_WINDOW + timedelta(days=30))
    on_page, on_api = assign(page, api, world, start, confirm=False)
    assert "unless you confirm the date" in on_page.get_data(as_text=True)
    assert "unless you confirm the date" in on_api.get_json()["fields"]["start_date"][0]
    on_page, on_api = assign(page, api, world, start, confirm=True)
    # (P already has a program: the next check refuses it, not the date.)
    assert "already has a program" in on_page.get_data(as_text=True)
    assert on_api.status_code == 409 or "already has a program" in str(on_api.get_json())
    assert "start_date" not in (on_api.get_json().get("fields") or {})


@pytest.mark.parametrize("sign", [-1, 1])
def test_a_start_beyond_five_years_is_refused_even_when_confirmed(page, api, world, sign):
    start = today(world) + sign * (CONFIRMED_PLAN_WINDOW + timedelta(days=1))
    on_page, on_api = assign(page, api, world, start, confirm=True)
    assert on_page.status_code == on_api.status_code == 422
    assert "more than five years" in on_page.get_data(as_text=True)
    assert "more than five years" in on_api.get_json()["fields"]["start_date"][0]


def test_a_program_start_within_the_window_passes_the_date_check(page, world):
    # (P already has a program: the next check refuses it, not the date.)
    start = today(world) - PLAN_WINDOW
    response = page.post(f"/programs/patients/{world.patient.id}/assign", data={
        "csrf_token": page.csrf, "template_id": world.template_id,
        "start_date": start.isoformat()})
    body = response.get_data(as_text=True)
    assert "cannot start more than" not in body
    assert "already has a program" in body


def schedule(starts_on):
    return {"instrument": "GAD-7", "every_weeks": 1, "weekday": 0,
            "starts_on": starts_on.isoformat()}


@pytest.mark.parametrize(("offset", "message"), [
    (timedelta(days=-3 * 365), "before this episode of care began"),
    (timedelta(days=-1), "before this episode of care began"),
    (PLAN_WINDOW + timedelta(days=1), "more than a year ahead")])
def test_a_schedule_outside_the_episode_window_is_refused_by_page_and_api(
        page, api, world, offset, message):
    starts_on = today(world) + offset  # P's episode of care began today
    response = page.post(f"/patients/{world.patient.id}/schedules",
                         data={"csrf_token": page.csrf, **schedule(starts_on)})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body
    assert f'value="{starts_on.isoformat()}"' in body
    response = api.post(f"/api/v1/patients/{world.patient.id}/schedules",
                        json=schedule(starts_on))
    assert response.status_code == 422
    assert message in response.get_json()["fields"]["starts_on"][0]


def test_a_schedule_from_the_episode_start_to_a_year_ahead_is_saved(page, api, world):
    response = page.post(f"/patients/{world.patient.id}/schedules",
                         data={"csrf_token": page.csrf, **schedule(today(world))})
    assert response.status_code == 303
    response = api.post(f"/api/v1/patients/{world.patient.id}/schedules",
                        json=schedule(today(world) + PLAN_WINDOW))
    assert response.status_code < 300


def decline_url(world, api=False):
    return (f"{'/api/v1' if api else '/programs'}/assignments/{world.assignment_id}"
            "/suggestions/0/decline")


def test_a_decline_reason_past_the_limit_is_refused_by_page_and_api(page, api, world):
    reason = "x" * 1_000_000
    response = page.post(decline_url(world), data={"csrf_token": page.csrf, "kind": "hold",
                                                   "reason": reason})
    assert response.status_code == 422
    assert f"Keep the reason to {REASON_MAX} characters." in response.get_data(as_text=True)
    response = api.post(decline_url(world, api=True), json={"kind": "hold", "reason": reason})
    assert response.status_code == 422
    assert "reason" in response.get_json()["fields"]


def test_a_decline_reason_at_the_limit_is_accepted_by_page_and_api(page, api, world):
    reason = "x" * REASON_MAX
    response = page.post(decline_url(world), data={"csrf_token": page.csrf, "kind": "hold",
                                                   "reason": reason})
    assert response.status_code == 303
    response = api.post(decline_url(world, api=True), json={"kind": "hold", "reason": reason})
    assert response.status_code == 204


def correct(page, api, world, reason):
    """(page response, API response) for correcting the world's paper PHQ-9 with ``reason``."""
    answers = [1, 1, 1, 1, 1, 1, 1, 1, 0]
    url = f"/patients/{world.patient.id}/responses/{world.response_id}/correct"
    form = {"csrf_token": page.csrf, "completed_on": today(world).isoformat(),
            "reason": reason, **{f"PHQ-9:{n}": str(v) for n, v in enumerate(answers, 1)}}
    on_page = page.post(url, data=form)
    on_api = api.post(f"/api/v1{url}", json={
        "answers": answers, "reason": reason,
        "completed_at": f"{today(world).isoformat()}T12:00:00+00:00"})
    return on_page, on_api


def test_a_correction_reason_past_the_limit_is_refused_by_page_and_api(page, api, world):
    reason = "x" * (REASON_MAX + 1)
    on_page, on_api = correct(page, api, world, reason)
    assert on_page.status_code == on_api.status_code == 422
    assert f"Use at most {REASON_MAX} characters." in on_page.get_data(as_text=True)
    assert reason in on_page.get_data(as_text=True)  # handed back, not cut short
    assert "reason" in on_api.get_json()["fields"]


def test_a_correction_needs_a_reason_on_page_and_api(page, api, world):
    on_page, on_api = correct(page, api, world, "   ")
    assert on_page.status_code == on_api.status_code == 422
    assert "Say why the response is being corrected." in on_page.get_data(as_text=True)
    assert "reason" in on_api.get_json()["fields"]


def test_a_correction_reason_at_the_limit_is_accepted_by_the_page(page, world):
    on_page = page.post(f"/patients/{world.patient.id}/responses/{world.response_id}/correct",
                        data={"csrf_token": page.csrf, "completed_on": today(world).isoformat(),
                              "reason": "x" * REASON_MAX,
                              **{f"PHQ-9:{n}": "1" for n in range(1, 10)}})
    assert on_page.status_code == 303


def session_form(world, **values):
    return {"csrf_token": values.pop("csrf"), "path": "skipped", "skip_reason": "fatigue",
            "performed_on": today(world).isoformat(), "submission_key": "k" * 20, **values}


@pytest.mark.parametrize(("field", "limit"), [("note", TEXT_MAX["note"]),
                                              ("pain_where", TEXT_MAX["pain_where"])])
def test_a_session_text_past_its_limit_is_handed_back_not_cut_short(page, api, world, field,
                                                                    limit):
    text = "y" * (limit + 1)
    on_page = page.post(f"/programs/assignments/{world.assignment_id}/sessions/new",
                        data=session_form(world, csrf=page.csrf, **{field: text}))
    body = on_page.get_data(as_text=True)
    assert on_page.status_code == 422
    assert f"use at most {limit} characters" in body
    assert text in body  # every answer kept
    on_api = api.post(f"/api/v1/assignments/{world.assignment_id}/sessions", json={
        "performed_on": today(world).isoformat(), "status": "skipped", "skip_reason": "fatigue",
        field: text})
    assert on_api.status_code == 422
    assert field in on_api.get_json()["fields"]


@pytest.mark.parametrize(("field", "value"), [("pain", "11"), ("rpe", "-1"), ("mood_before", "11"),
                                              ("duration_minutes", "0"),
                                              ("duration_minutes", "601")])
def test_a_session_number_out_of_range_is_refused_by_page_and_api(page, api, world, field,
                                                                  value):
    on_page = page.post(f"/programs/assignments/{world.assignment_id}/sessions/new",
                        data=session_form(world, csrf=page.csrf, **{field: value}))
    assert on_page.status_code == 422
    assert "use a number from" in on_page.get_data(as_text=True)
    on_api = api.post(f"/api/v1/assignments/{world.assignment_id}/sessions", json={
        "performed_on": today(world).isoformat(), "status": "skipped", "skip_reason": "fatigue",
        field: int(value)})
    assert on_api.status_code == 422
    assert field in on_api.get_json()["fields"]


def test_a_confirmed_start_is_assigned_and_its_audit_row_says_the_clinician_confirmed(
        page, api, world):
    assert api.post(f"/api/v1/assignments/{world.assignment_id}/status",
                    json={"status": "completed", "reason": "ended"}).status_code == 200
    start = today(world) - PLAN_WINDOW - timedelta(days=100)
    on_page, _ = assign(page, api, world, start, confirm=True)
    assert on_page.status_code == 303
    rows = audit_events("program_assign", patient_id=world.patient.id)
    assert rows[-1].detail["start_confirmed"] is True
