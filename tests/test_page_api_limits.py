"""The pages refuse what the API refuses, with the limits defined once (clinic.limits).

A program start more than a year back or ahead, a questionnaire schedule starting before the
patient's episode of care or more than a year ahead, a decline reason past ``REASON_MAX``: the
page answers 422 with the message (the form again, its values kept), the API 422 on the field.
The world is tests/test_route_access.py's (patient P with a program, a PHQ-9 schedule).
"""

from datetime import timedelta

import pytest
from conftest import AuthActions, csrf_token
from helpers import make_token
from test_route_access import fresh_world

from clinic.auth.models import User
from clinic.extensions import db
from clinic.limits import PLAN_WINDOW, REASON_MAX
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


def test_a_program_start_in_year_1_is_refused_by_the_page(page, world):
    response = page.post(f"/programs/patients/{world.patient.id}/assign", data={
        "csrf_token": page.csrf, "template_id": world.template_id, "start_date": "0001-01-01"})
    assert response.status_code == 422
    assert "A program cannot start more than a year ago." in response.get_data(as_text=True)


def test_a_program_start_within_the_window_passes_the_date_check(page, world):
    # (P already has a program: the next check refuses it, not the date.)
    start = today(world) - PLAN_WINDOW
    response = page.post(f"/programs/patients/{world.patient.id}/assign", data={
        "csrf_token": page.csrf, "template_id": world.template_id,
        "start_date": start.isoformat()})
    body = response.get_data(as_text=True)
    assert "more than a year" not in body
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
