"""The dashboard's cost does not grow with the length of each patient's history: the episode's
baseline and latest per instrument are chosen in SQL (at most four rows per instrument come
back), and the choice follows the clinical timeline, not the order the forms were entered."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from factories import ClinicFactory, PatientFactory, ResponseFactory, UserFactory
from helpers import words_of

from clinic.database import utcnow
from clinic.measures.models import Response

THERAPIST = "history@clinic.test"


def phq9(total):
    answers = [0] * 9
    for n in range(total):
        answers[n % 8] += 1
    return answers


def responses_loaded(client):
    """(page text, number of Response rows the dashboard built)."""
    loaded = []

    def count(target, context):
        loaded.append(target.id)

    sa.event.listen(Response, "load", count)
    try:
        response = client.get("/")
    finally:
        sa.event.remove(Response, "load", count)
    assert response.status_code == 200
    return response.get_data(as_text=True), len(loaded)


@pytest.mark.parametrize("weeks", [2, 30])
def test_the_dashboard_reads_the_same_rows_for_2_and_30_weeks_of_history(
        app, client, auth, weeks):
    clinic = ClinicFactory()
    therapist = UserFactory(clinic=clinic, email=THERAPIST)
    start = utcnow() - timedelta(weeks=weeks, days=2)
    patient = PatientFactory(clinic=clinic, primary=therapist, episode_start=start)
    for week in range(weeks):
        ResponseFactory(actor=therapist, patient=patient, answers=phq9(14 if week == 0 else 8),
                        completed_at=start + timedelta(weeks=week, days=1))
    auth.login(THERAPIST)
    client.get("/")
    body, loaded = responses_loaded(client)
    assert loaded == 2  # baseline and latest, whatever the weeks in between
    assert "PHQ-9 8" in words_of(body) or "PHQ-9 8" in body
    assert "-6" in body  # 14 -> 8: the change against the episode's baseline


def test_an_old_form_entered_late_is_not_the_dashboard_baseline(app, client, auth):
    """A paper form dated before the episode, typed in today, stays out of it."""
    clinic = ClinicFactory()
    therapist = UserFactory(clinic=clinic, email=THERAPIST)
    start = utcnow() - timedelta(weeks=6)
    patient = PatientFactory(clinic=clinic, primary=therapist, episode_start=start)
    ResponseFactory(actor=therapist, patient=patient, answers=phq9(16),
                    completed_at=start + timedelta(days=1))
    ResponseFactory(actor=therapist, patient=patient, answers=phq9(9),
                    completed_at=start + timedelta(weeks=5))
    ResponseFactory(actor=therapist, patient=patient, answers=phq9(3),  # entered last
                    completed_at=start - timedelta(weeks=20))
    auth.login(THERAPIST)
    body = client.get("/").get_data(as_text=True)
    assert "(-7, reliable improvement)" in " ".join(body.split())
