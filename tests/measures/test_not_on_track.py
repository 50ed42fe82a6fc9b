"""The PHQ-9 not-on-track review prompt (shared/INSTRUMENTS.md, "Not on track") on the clinical
timeline: raised by the PHQ-9 that decides its window, whatever the order the forms came in,
re-judged on correction, and what the inbox, the dashboard and the patient page then say."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from factories import InvitationFactory, PatientFactory, UserFactory, link_token
from helpers import answers, audit_events, open_link, rows, words_of

from clinic.alerts.models import Alert
from clinic.measures import services

START_BACK = 120  # the episode began 120 days ago: weeks 4, 9 and 14 are all in the past


def answers_for(total):
    """PHQ-9 answers with this total and the risk item (9) at 0."""
    values = [0] * 9
    for i in range(total):
        values[i % 8] += 1
    return values


THERAPIST = "ontrack@clinic.test"
MARKER = "Not on track: review the plan"


@pytest.fixture
def world(app):
    therapist = UserFactory(email=THERAPIST)
    start = therapist.clinic.today() - timedelta(days=START_BACK)
    patient = PatientFactory(clinic=therapist.clinic, primary=therapist, episode_start=start)
    return therapist, patient, start


def enter(world, day, total):
    therapist, patient, start = world
    moment = datetime.combine(start + timedelta(days=day), time(12), tzinfo=UTC)
    return services.record_clinician_response(
        therapist, patient.id, "PHQ-9", answers_for(total), moment
    )


def prompts(patient):
    return rows(Alert, Alert.patient_id == patient.id, Alert.kind == "not_on_track", order=Alert.id)


def test_a_week_4_phq9_at_the_cut_point_raises_a_review_prompt(world):
    baseline = enter(world, 0, 22)
    week4 = enter(world, 29, 17)
    (alert,) = prompts(world[1])
    assert alert.response_id == week4.id and alert.is_open
    assert alert.detail["cut_point"] == 17 and alert.detail["week"] == 4
    assert "Schueller" in alert.detail["source"]
    assert not [a for a in rows(Alert) if a.response_id == baseline.id]


def test_under_the_cut_point_or_outside_the_windows_nothing(world):
    enter(world, 0, 22)
    enter(world, 29, 16)  # week 4, under 17
    enter(world, 7 * 7, 24)  # week 7: no window
    assert prompts(world[1]) == []


def test_entered_late_an_earlier_form_of_the_window_decides_nothing(world):
    """Week 5 at 18 first, then a week-4 form at 10 entered late: the week-5 one decides."""
    enter(world, 0, 22)
    week5 = enter(world, 36, 18)
    enter(world, 29, 10)
    (alert,) = prompts(world[1])
    assert alert.response_id == week5.id and alert.is_open


def test_shuffled_a_later_form_on_track_closes_the_earlier_prompt(world):
    """Week 4 at 18 raises; a week-5 form at 10 then decides the window: the prompt closes."""
    enter(world, 0, 22)
    enter(world, 29, 18)
    week5 = enter(world, 36, 10)
    (alert,) = prompts(world[1])
    assert not alert.is_open and alert.resolution == "resolved_by_later_answer"
    assert alert.resolved_by_response_id == week5.id
    assert audit_events("alert_resolve_by_later_answer")


def test_a_later_form_still_over_the_cut_point_moves_the_prompt(world):
    enter(world, 0, 22)
    enter(world, 29, 18)
    week5 = enter(world, 36, 20)
    (alert,) = prompts(world[1])
    assert alert.is_open and alert.response_id == week5.id and alert.detail["total"] == 20
    assert audit_events("alert_move")


def test_the_baseline_entered_last_re_dates_the_weeks(world):
    """Forms entered before the baseline: week n counts from the baseline once it is there."""
    enter(world, 29, 14)  # alone: it is the baseline, nothing judged
    assert prompts(world[1]) == []
    enter(world, -0, 22)  # the real baseline, 29 days earlier: the first form is week 4
    assert prompts(world[1]) == []  # 14 is under 17
    enter(world, 64, 15)  # week 9 (day 64 = 9 weeks 1 day): 15 >= 13
    (alert,) = prompts(world[1])
    assert alert.detail["week"] == 9 and alert.detail["cut_point"] == 13


def test_a_correction_under_the_cut_point_resolves_the_prompt(world):
    therapist, patient, _ = world
    enter(world, 0, 22)
    week4 = enter(world, 29, 18)
    corrected = services.correct_response(
        therapist, patient.id, week4.id, answers_for(12), reason="Misread item 3"
    )
    (alert,) = prompts(patient)
    assert alert.resolution == "resolved_by_correction"
    assert alert.resolved_by_response_id == corrected.id


def test_a_correction_still_over_the_cut_point_moves_the_prompt(world):
    therapist, patient, _ = world
    enter(world, 0, 22)
    week4 = enter(world, 29, 18)
    corrected = services.correct_response(
        therapist, patient.id, week4.id, answers_for(19), reason="Misread item 3"
    )
    (alert,) = prompts(patient)
    assert alert.is_open and alert.response_id == corrected.id and alert.detail["total"] == 19


def test_a_correction_over_the_cut_point_raises_one(world):
    therapist, patient, _ = world
    enter(world, 0, 22)
    week9 = enter(world, 65, 10)
    assert prompts(patient) == []
    corrected = services.correct_response(
        therapist, patient.id, week9.id, answers_for(13), reason="Misread item 3"
    )
    (alert,) = prompts(patient)
    assert alert.response_id == corrected.id and alert.detail["cut_point"] == 13


def test_an_acknowledged_window_is_not_raised_again(world, client, auth):
    therapist, patient, _ = world
    enter(world, 0, 22)
    enter(world, 29, 18)
    (alert,) = prompts(patient)
    from clinic.alerts.services import acknowledge_alert

    acknowledge_alert(therapist, alert.id, "Plan reviewed with the patient")
    enter(world, 36, 19)
    assert len(prompts(patient)) == 1


def test_gad7_has_no_such_rule(world):
    therapist, patient, start = world
    for day in (0, 29, 65, 100):
        moment = datetime.combine(start + timedelta(days=day), time(12), tzinfo=UTC)
        services.record_clinician_response(therapist, patient.id, "GAD-7", [3] * 7, moment)
    assert prompts(patient) == []


# What the pages say ----------------------------------------------------------------------------


def pages(client, patient):
    """(dashboard Need cell, patient page prompt, inbox rows) as a clinician reads them."""
    dashboard = client.get("/").get_data(as_text=True)
    need = re.search(r'<div class="need-line" data-label="Need">(.*?)</div>', dashboard, re.S)
    page = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    prompt = re.search(r'<div class="on-track-prompt" id="not-on-track">(.*?)</div>', page, re.S)
    inbox = client.get("/alerts").get_data(as_text=True)
    tbody = re.search(r"<tbody>(.*?)</tbody>", inbox, re.S)
    alerts = [
        words_of(row)
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", tbody.group(1) if tbody else "", re.S)
    ]
    return (
        words_of(need.group(1)) if need else None,
        words_of(prompt.group(1)) if prompt else None,
        alerts,
    )


def test_the_pages_say_the_cut_point_and_its_source(world, client, auth):
    enter(world, 0, 22)
    enter(world, 29, 18)
    auth.login(THERAPIST)
    need, prompt, inbox = pages(client, world[1])
    assert need == (
        "Review Not on track: review the plan PHQ-9 18, week-4 cut point 17 (Schueller et al. 2015)"
    )
    assert prompt.startswith(
        "Not on track: review the plan. PHQ-9 18 in week 4 of this "
        "episode is at or above 17, the published cut point for week 4 "
        "(Schueller et al. 2015, General Hospital Psychiatry"
    )
    assert "failing" not in (need + prompt).lower()
    [row] = inbox
    assert (
        "Not on track: review the plan (PHQ-9 18, week-4 cut point 17, "
        "Schueller et al. 2015)" in row
    )
    assert "Risk" not in row.split()  # a review prompt, not a risk alert


def test_shuffled_then_corrected_the_pages_follow(world, client, auth):
    """Week 5 at 18 (prompt), a late week-4 form (no change), a week-5 correction to 12
    (closed), then a week-9 form at 14 (a new prompt for week 9)."""
    therapist, patient, _ = world
    enter(world, 0, 22)
    week5 = enter(world, 36, 18)
    enter(world, 29, 20)
    auth.login(THERAPIST)
    need, prompt, inbox = pages(client, patient)
    assert "PHQ-9 18, week-4 cut point 17" in need and "PHQ-9 18 in week 5" in prompt
    assert len(inbox) == 1
    services.correct_response(
        therapist, patient.id, week5.id, answers_for(12), reason="Item 2 misread"
    )
    need, prompt, inbox = pages(client, patient)
    assert need == "" and prompt is None and inbox == []
    history = client.get("/alerts?show=all").get_data(as_text=True)
    assert "resolved by correction" in history
    enter(world, 64, 14)
    need, prompt, inbox = pages(client, patient)
    assert "PHQ-9 14, week-9 cut point 13" in need and "week 9 of this episode" in prompt
    assert len(inbox) == 1


def test_acknowledged_like_any_alert_the_marker_goes(world, client, auth):
    enter(world, 0, 22)
    enter(world, 29, 18)
    (alert,) = prompts(world[1])
    auth.login(THERAPIST)
    detail = client.get(f"/alerts/{alert.id}").get_data(as_text=True)
    assert "at or above 17, the published cut point for week 4" in detail
    assert "the patient never sees it" in detail
    done = auth.post(f"/alerts/{alert.id}", {"note": "Plan reviewed: behavioural activation"})
    assert done.status_code == 303
    need, prompt, inbox = pages(client, world[1])
    assert need == "" and prompt is None and inbox == []
    assert audit_events("alert_acknowledge")


def test_a_link_answer_raises_it_and_the_patient_never_sees_it(world, app):
    therapist, patient, _ = world
    enter(world, START_BACK - 29, 22)  # the baseline 29 days ago: today is week 4
    invitation = InvitationFactory(actor=therapist, patient=patient.id)
    phone = app.test_client()
    page = open_link(phone, link_token(invitation), "q")
    fields = {
        "csrf_token": re.search(
            r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)
        ).group(1),
        "invitation": str(invitation.id),
    }
    assert (
        phone.post("/q/", data={**fields, **answers("PHQ-9", answers_for(18))}).status_code == 303
    )
    done = phone.get("/q/done").get_data(as_text=True).lower()
    assert "track" not in done and "review" not in done and "cut point" not in done
    (alert,) = prompts(patient)
    assert alert.detail["week"] == 4 and alert.detail["total"] == 18
