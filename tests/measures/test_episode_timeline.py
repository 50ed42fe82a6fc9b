"""Episodes of care on the clinical timeline (issue 13, part A), told as a clinician's weeks.

Each test sets out a dated timeline (who entered what, for which day, in which order) and
then reads what the patient page, the PDF report, the API and the alert inbox say. Days are
counted back from the clinic's today (Europe/London); paper forms are stored at noon UTC of
their day, as the paper-form page stores them.
"""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from factories import ClinicFactory, PatientFactory, ResponseFactory, UserFactory
from helpers import answers, audit, fresh, make_token, rows, text, visible
from reports.helpers import pdf_text

from clinic.alerts.models import RESOLVED_BY_CORRECTION, Alert
from clinic.auth.models import Role
from clinic.errors import NotAllowed, ServiceError
from clinic.extensions import db
from clinic.measures import services
from clinic.measures.models import Response
from clinic.patients import services as patients
from clinic.patients.models import Episode
from clinic.timefmt import format_day


def undated(page):
    """The page's change line without its dates ("Baseline 18 on 2026-01-05 -> ..."): these
    tests are about which responses are baseline and latest."""
    return re.sub(r" on \d{1,2} [A-Z][a-z]{2} \d{4}", "", page)


def noon(day):
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def phq9(total, risk=False):
    """PHQ-9 answers with ``total`` over items 1-8, item 9 (risk) "several days" if ``risk``."""
    values = [0] * 9
    for i in range(total - (1 if risk else 0)):
        values[i % 8] += 1
    values[8] = 1 if risk else 0
    assert sum(values) == total and max(values) <= 3
    return values


@pytest.fixture
def clinic(app):
    return ClinicFactory(name="Riverside Clinic")


@pytest.fixture
def today(clinic):
    return clinic.today()


@pytest.fixture
def therapist(clinic):
    return UserFactory(clinic=clinic, role=Role.THERAPIST, email="tess@riverside.test",
                       name="Tess Therapist")


@pytest.fixture
def patient(clinic, therapist, today):
    """Added six weeks ago: the episode of care began then."""
    return PatientFactory(clinic=clinic, primary=therapist, display_name="Rowan Patient",
                          episode_start=today - timedelta(days=42))


@pytest.fixture
def logged_in(auth, therapist):
    auth.login(therapist.email)
    return auth


@pytest.fixture
def api(client, therapist):
    headers = {"Authorization": f"Bearer {make_token(therapist)}"}

    class Api:
        def get(self, path):
            return client.get(f"/api/v1{path}", headers=headers)

        def post(self, path, body):
            return client.post(f"/api/v1{path}", headers=headers, json=body)

        def patch(self, path, body):
            return client.patch(f"/api/v1{path}", headers=headers, json=body)

    return Api()


def paper(therapist, patient, total, day, *, risk=False):
    """A PHQ-9 paper form for ``day``, entered now."""
    return ResponseFactory(actor=therapist, patient=patient, answers=phq9(total, risk),
                           completed_at=noon(day))


def patient_page(client, patient):
    page = client.get(f"/patients/{patient.id}")
    assert page.status_code == 200
    return visible(page)


def report_text(logged_in, patient):
    pdf = logged_in.post(f"/patients/{patient.id}/reports/pdf", {})
    assert pdf.status_code == 200, pdf.get_data(as_text=True)[:300]
    return pdf_text(pdf.data)


def alerts_of_kind(patient, kind):
    return rows(Alert, Alert.patient_id == patient.id, Alert.kind == kind)


# 1. A late-entered old paper form --------------------------------------------------------------


def test_an_old_paper_form_entered_today_is_history_not_the_baseline(
        client, logged_in, api, therapist, patient, today):
    """Week 1 of the episode PHQ-9 was 18; last week 10 (a reliable improvement). Today the
    therapist types in a paper form from before the referral, dated 100 days ago, total 4.

    Entered last, it used to become the baseline and turn the improvement into a reliable
    deterioration (4 -> 10) with an alert. Its clinical date is before the episode: it stays in
    the history, marked so, and changes neither the baseline nor the alerts."""
    paper(therapist, patient, 18, today - timedelta(days=40))
    paper(therapist, patient, 10, today - timedelta(days=5))
    old = paper(therapist, patient, 4, today - timedelta(days=100))

    history = services.episode_histories(patient)["PHQ-9"]
    assert [r.total for r in history] == [18, 10]
    assert old.id not in {r.id for r in history}
    assert alerts_of_kind(patient, "reliable_deterioration") == []

    page = patient_page(client, patient)
    assert "Baseline 18 → latest 10 (-8). Reliable improvement." in undated(page)
    old_day = format_day(today - timedelta(days=100))  # pages write days as "3 Dec 2026"
    assert f"{old_day} before this episode 4" in page
    assert page.count("before this episode") == 1
    assert f"Episode of care since {format_day(today - timedelta(days=42))}" in page

    report = report_text(logged_in, patient)
    assert "PHQ-9 2 scores 18, moderately severe" in report
    assert "-8 Reliable improvement" in report

    listed = api.get(f"/patients/{patient.id}/responses").get_json()
    assert [item["total"] for item in listed["items"]] == [10, 18, 4]  # newest-dated first
    assert api.get(f"/patients/{patient.id}").get_json()["episode"]["start"] == (
        today - timedelta(days=42)).isoformat()
    inbox = client.get("/alerts")
    assert "Reliable deterioration" not in visible(inbox)


def test_a_form_for_an_earlier_week_changes_the_history_not_todays_status(
        therapist, patient, today):
    """Deterioration is judged only for the latest-dated form of the episode: a week-2 form
    entered after the week-5 one neither raises an alert of its own nor moves the latest."""
    paper(therapist, patient, 6, today - timedelta(days=40))
    paper(therapist, patient, 8, today - timedelta(days=7))
    late = paper(therapist, patient, 16, today - timedelta(days=30))  # 6 -> 16 that week
    assert alerts_of_kind(patient, "reliable_deterioration") == []
    [summary] = services.summaries(patient)
    assert (summary.baseline.total, summary.latest.total) == (6, 8)
    assert late.id in {r.id for r in summary.responses}

    # A risk item raises its alert whatever the date: someone must look.
    risky = paper(therapist, patient, 7, today - timedelta(days=20), risk=True)
    assert [a.response_id for a in alerts_of_kind(patient, "risk_item")] == [risky.id]


# 2. Correcting a form of an earlier episode --------------------------------------------------


def test_a_correction_of_an_earlier_episode_form_stays_in_that_episode(
        client, logged_in, therapist, patient, today):
    """Episode 1 began 120 days ago; 30 days ago the therapist started episode 2 (a relapse).
    A form of episode 1 (day -100) is corrected today: the correction keeps its date, so it
    stays in episode 1 and episode 2's baseline is still its own first form."""
    episode_1 = patient.episodes[-1]
    patients.set_episode_start(therapist, patient.id, today - timedelta(days=120))
    first = paper(therapist, patient, 5, today - timedelta(days=100))
    patients.start_episode(therapist, patient.id, today - timedelta(days=30), "Relapse")
    paper(therapist, patient, 15, today - timedelta(days=20))
    paper(therapist, patient, 12, today - timedelta(days=3))

    url = f"/patients/{patient.id}/responses/{first.id}/correct"
    assert f'value="{(today - timedelta(days=100)).isoformat()}"' in text(client.get(url))
    moved = logged_in.post(url, {"completed_on": (today - timedelta(days=2)).isoformat(),
                                 "reason": "Item 2 misread", **answers("PHQ-9", phq9(6))})
    assert moved.status_code == 422  # a correction keeps the date of the form it corrects
    assert "A correction keeps the date of the form it corrects" in visible(moved)
    assert 'value="Item 2 misread"' in text(moved) or "Item 2 misread" in text(moved)
    kept = logged_in.post(url, {"completed_on": (today - timedelta(days=100)).isoformat(),
                                "reason": "Item 2 misread", **answers("PHQ-9", phq9(6))})
    assert kept.status_code == 303
    corrected = services.superseded_by(first)
    assert corrected.completed_at == first.completed_at

    episode_1 = fresh(Episode, episode_1.id)
    assert [r.id for r in services.episode_histories(patient, episode_1)["PHQ-9"]] == [
        corrected.id]
    assert [r.total for r in services.episode_histories(patient)["PHQ-9"]] == [15, 12]
    page = patient_page(client, patient)
    assert "Baseline 15 → latest 12 (-3). No reliable change." in undated(page)
    assert f"{format_day(today - timedelta(days=100))} before this episode 6" in page
    assert "Relapse" in page  # the episodes table, with the reason


# 3. Corrections settle the alerts of what they replace ----------------------------------------


def test_a_correction_that_drops_the_risk_answer_resolves_its_alert(
        client, logged_in, api, therapist, patient, today):
    """Monday the therapist enters a PHQ-9 with item 9 ticked; a risk alert opens. Tuesday,
    checking the paper, they see the tick was item 8's: the correction (through the API) no
    longer meets the alert, which closes as resolved by correction and stays in history."""
    original = paper(therapist, patient, 9, today - timedelta(days=1), risk=True)
    [alert] = alerts_of_kind(patient, "risk_item")
    assert alert.response_id == original.id and alert.is_open

    fixed = api.post(f"/patients/{patient.id}/responses/{original.id}/correct",
                     {"answers": phq9(9), "reason": "Item 8 ticked, not item 9."})
    assert fixed.status_code == 201, fixed.get_json()
    alert = fresh(Alert, alert.id)
    assert not alert.is_open
    assert alert.resolution == RESOLVED_BY_CORRECTION
    assert alert.resolved_by_response_id == fixed.get_json()["id"]
    assert (alert.response_id, alert.acknowledged_by_id) == (original.id, therapist.id)
    assert audit("alert_resolve_by_correction") == [
        (therapist.id, alert.id, patient.id,
         {"kind": "risk_item", "response": fixed.get_json()["id"]})]
    assert alerts_of_kind(patient, "risk_item") == [alert]  # nothing new raised

    assert "Risk item answered" not in visible(client.get("/alerts"))
    history = visible(client.get("/alerts?show=all"))
    assert "resolved by correction" in history
    detail = visible(client.get(f"/alerts/{alert.id}"))
    assert "Resolved by correction by Tess Therapist" in detail
    assert "no longer meets this alert" in detail
    assert "Resolved by correction: Item 8 ticked, not item 9." in detail
    assert "resolved by correction by Tess Therapist" in patient_page(client, patient)
    assert api.get("/alerts").get_json()["items"] == []  # the API lists open alerts
    report = report_text(logged_in, patient)
    assert "Resolved by correction: Item 8 ticked, not item 9." in report


def test_a_correction_that_keeps_the_risk_answer_moves_the_alert(
        client, logged_in, therapist, patient, today):
    """The correction changes item 1 only; item 9 still says "several days". The open alert
    now points to the correction and quotes its total; no second alert is raised."""
    original = paper(therapist, patient, 9, today - timedelta(days=1), risk=True)
    [alert] = alerts_of_kind(patient, "risk_item")
    corrected = services.correct_response(therapist, patient.id, original.id, phq9(12, True),
                                          reason="Item 1 misread")
    alert = fresh(Alert, alert.id)
    assert alert.is_open and alert.response_id == corrected.id
    assert alert.detail["total"] == 12 and alert.detail["moved_from_response_ids"] == [
        original.id]
    assert alerts_of_kind(patient, "risk_item") == [alert]
    assert [e[1] for e in audit("alert_move")] == [alert.id]
    detail = visible(client.get(f"/alerts/{alert.id}"))
    assert "(total 12), a correction" in detail
    assert "Risk item answered" in visible(client.get("/alerts"))


def test_a_correction_rejudges_deterioration_against_the_episode_baseline(
        therapist, patient, today):
    """GAD-free example on PHQ-9: baseline 5, latest 12 (+7, a reliable deterioration alert).
    The latest is corrected to 9 (+4): the alert closes as resolved by correction. Corrected
    back up to 14, a deterioration alert is raised for the new correction."""
    paper(therapist, patient, 5, today - timedelta(days=30))
    latest = paper(therapist, patient, 12, today - timedelta(days=2))
    [alert] = alerts_of_kind(patient, "reliable_deterioration")
    assert alert.detail["latest"] == 12
    lower = services.correct_response(therapist, patient.id, latest.id, phq9(9), reason="Sum")
    assert fresh(Alert, alert.id).resolution == RESOLVED_BY_CORRECTION
    higher = services.correct_response(therapist, patient.id, lower.id, phq9(14), reason="Sum")
    [new] = [a for a in alerts_of_kind(patient, "reliable_deterioration") if a.is_open]
    assert (new.response_id, new.detail["baseline"], new.detail["latest"]) == (higher.id, 5, 14)


# 4. New episodes and the referral date ----------------------------------------------------------


def test_a_new_episode_started_by_the_clinician_gives_a_new_baseline(
        client, logged_in, api, therapist, patient, today):
    """After a first course (18 -> 8) the patient comes back worse; the therapist starts a new
    episode from the patient page, with the reason. The next form is the new baseline."""
    paper(therapist, patient, 18, today - timedelta(days=40))
    paper(therapist, patient, 8, today - timedelta(days=20))

    refused = logged_in.post(f"/patients/{patient.id}/episodes",
                             {"start": (today - timedelta(days=10)).isoformat(), "reason": ""},
                             token_page=f"/patients/{patient.id}")
    assert refused.status_code == 422
    assert "Say why a new episode of care starts." in visible(refused)
    assert f'value="{(today - timedelta(days=10)).isoformat()}"' in text(refused)
    started = logged_in.post(f"/patients/{patient.id}/episodes",
                             {"start": (today - timedelta(days=10)).isoformat(),
                              "reason": "Relapse after a bereavement"},
                             token_page=f"/patients/{patient.id}")
    assert started.status_code == 303
    paper(therapist, patient, 16, today - timedelta(days=9))
    paper(therapist, patient, 14, today - timedelta(days=1))

    episodes = patients.episodes_of(patient)
    assert [(e.start, e.end, e.reason) for e in episodes] == [
        (today - timedelta(days=42), today - timedelta(days=11), None),
        (today - timedelta(days=10), None, "Relapse after a bereavement")]
    assert services.current_episode(patient).id == episodes[-1].id
    [event] = audit("episode_start")
    assert event[:3] == (therapist.id, episodes[-1].id, patient.id)

    page = patient_page(client, patient)
    assert "Baseline 16 → latest 14 (-2). No reliable change." in undated(page)
    assert page.count("before this episode") == 2
    report = report_text(logged_in, patient)
    assert "PHQ-9 2 scores 16, moderately severe" in report

    listed = api.get(f"/patients/{patient.id}/episodes").get_json()
    assert [e["reason"] for e in listed] == [None, "Relapse after a bereavement"]
    again = api.post(f"/patients/{patient.id}/episodes",
                     {"start": (today - timedelta(days=10)).isoformat(), "reason": "Again"})
    assert again.status_code == 422 and "start" in again.get_json()["fields"]
    future = api.post(f"/patients/{patient.id}/episodes",
                      {"start": (today + timedelta(days=1)).isoformat(), "reason": "Soon"})
    assert future.status_code == 422


def test_moving_the_episode_start_back_to_the_referral_date_makes_the_intake_the_baseline(
        client, logged_in, api, therapist, patient, today):
    """The intake PHQ-9 (20) was filled in at the referral, 50 days ago, before the patient
    was added (42 days ago). Until the start is moved it is "before this episode"; after the
    therapist sets the referral date through the API it is the baseline (20 -> 11)."""
    paper(therapist, patient, 20, today - timedelta(days=50))
    paper(therapist, patient, 15, today - timedelta(days=35))
    paper(therapist, patient, 11, today - timedelta(days=2))
    assert "Baseline 15 → latest 11 (-4)." in undated(patient_page(client, patient))

    moved = api.patch(f"/patients/{patient.id}",
                      {"episode_start": (today - timedelta(days=55)).isoformat()})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["episode"]["start"] == (today - timedelta(days=55)).isoformat()
    assert [e[1:3] for e in audit("episode_update")] == [
        (patient.episodes[-1].id, patient.id)]

    page = patient_page(client, patient)
    assert "Baseline 20 → latest 11 (-9). Reliable improvement." in undated(page)
    assert "before this episode" not in page
    report = report_text(logged_in, patient)
    assert "PHQ-9 3 scores 20, severe" in report

    future = api.patch(f"/patients/{patient.id}",
                       {"episode_start": (today + timedelta(days=3)).isoformat()})
    assert future.status_code == 422 and "episode_start" in future.get_json()["fields"]


def test_a_new_patient_can_be_added_with_the_referral_date(api, logged_in, clinic, today):
    made = api.post("/patients", {"display_name": "Sky", "reference": "R-9",
                                  "episode_start": (today - timedelta(days=14)).isoformat()})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["episode"] == {
        "id": made.get_json()["episode"]["id"],
        "start": (today - timedelta(days=14)).isoformat(), "end": None, "reason": None}
    page = logged_in.post("/patients/new", {"display_name": "Lee", "reference": "R-10",
                                            "episode_start": ""})
    assert page.status_code == 303
    lee = db.session.scalar(sa.select(Episode).join_from(Episode, Episode.patient)
                            .where(Episode.patient.has(reference="R-10")))
    assert lee.start == today


def test_discharge_ends_the_episode_and_reactivation_starts_the_next(
        therapist, patient, today):
    paper(therapist, patient, 12, today - timedelta(days=10))
    patients.set_discharged(therapist, patient.id, True)
    [episode] = patients.episodes_of(patient)
    assert episode.end == today
    # After a discharge a paper form of that day is still in the episode (the current one).
    assert [r.total for r in services.episode_histories(patient)["PHQ-9"]] == [12]
    patients.set_discharged(therapist, patient.id, False)
    first, second = patients.episodes_of(patient)  # a new episode from today
    assert (first.end, second.start, second.end) == (today - timedelta(days=1), today, None)
    assert services.episode_histories(patient) == {}  # the form of day -10 was the first's
    assert [r.total for r in services.episode_histories(patient, first)["PHQ-9"]] == [12]


def test_a_trainer_cannot_move_the_episode(clinic, therapist, patient, today):
    trainer = UserFactory(clinic=clinic, role=Role.TRAINER, email="tom@riverside.test")
    db.session.add(patient.care_team[0].__class__(patient_id=patient.id, user_id=trainer.id))
    db.session.commit()
    with pytest.raises(NotAllowed):
        patients.start_episode(trainer, patient.id, today, "No")
    with pytest.raises(NotAllowed):
        patients.set_episode_start(trainer, patient.id, today)
    with pytest.raises(ServiceError):
        patients.start_episode(therapist, patient.id, today - timedelta(days=42), "Same day")
    assert len(rows(Response)) == 0


# Issue 18: judging a new response reads two rows, not the whole history ----------------------


def test_storing_a_response_reads_as_many_statements_whatever_the_history(
        app, therapist, clinic, today):
    """The baseline and the latest of the episode come from two one-row indexed queries, so
    the number of statements a paper form costs does not grow with the patient's history."""

    def statements_for_one_more(history_length):
        patient = PatientFactory(clinic=clinic, primary=therapist,
                                 episode_start=today - timedelta(days=60))
        for day in range(history_length):
            paper(therapist, patient, 10, today - timedelta(days=50 - day))
        seen = []

        def remember(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", remember)
        try:
            paper(therapist, patient, 18, today - timedelta(days=1))
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", remember)
        return [s for s in seen if "FROM response" in s]

    few, many = statements_for_one_more(2), statements_for_one_more(12)
    assert len(few) == len(many)
    assert all("LIMIT" in s or "supersedes_id =" in s or "INSERT" in s for s in many), many
