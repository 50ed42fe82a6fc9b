"""The dashboard's cost does not grow with the length of each patient's history: the episode's
baseline and latest per instrument are chosen in SQL (at most four rows per instrument come
back), and the choice follows the clinical timeline, not the order the forms were entered."""

from datetime import timedelta

import sqlalchemy as sa
from factories import ClinicFactory, PatientFactory, ResponseFactory, UserFactory
from helpers import words_of
from sqlalchemy.orm import Mapper

from clinic.database import utcnow
from clinic.extensions import db
from clinic.measures.models import Response

THERAPIST = "history@clinic.test"


def phq9(total):
    answers = [0] * 9
    for n in range(total):
        answers[n % 8] += 1
    return answers


def census(client):
    """(page text, SQL statements, ORM objects of any kind built) of one dashboard view."""
    statements, objects = [], []
    engine = db.engine

    def statement(conn, cursor, text, *args):
        statements.append(text)

    def loaded(target, context):
        objects.append(type(target).__name__)

    sa.event.listen(engine, "before_cursor_execute", statement)
    sa.event.listen(Mapper, "load", loaded)
    try:
        response = client.get("/")
    finally:
        sa.event.remove(engine, "before_cursor_execute", statement)
        sa.event.remove(Mapper, "load", loaded)
    assert response.status_code == 200
    return response.get_data(as_text=True), len(statements), len(objects)


def test_the_dashboard_costs_the_same_for_2_and_30_weeks_of_history(app, client, auth):
    """Statements and objects built stay the same when 28 weeks of answers fill the episode,
    and no Response object is built at all (the page's columns come back as plain rows)."""
    clinic = ClinicFactory()
    therapist = UserFactory(clinic=clinic, email=THERAPIST)
    start = utcnow() - timedelta(weeks=31)
    patient = PatientFactory(clinic=clinic, primary=therapist, episode_start=start)
    for week, total in ((0, 14), (30, 8)):
        ResponseFactory(actor=therapist, patient=patient, answers=phq9(total),
                        completed_at=start + timedelta(weeks=week, days=1))
    auth.login(THERAPIST)
    client.get("/")
    body, statements, objects = census(client)
    assert "-6" in body  # 14 -> 8: the change against the episode's baseline
    for week in range(1, 29):  # the weeks in between: neither baseline nor latest
        ResponseFactory(actor=therapist, patient=patient, answers=phq9(8),
                        completed_at=start + timedelta(weeks=week, days=1))
    assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 30
    responses_built = []

    def built(target, context):
        responses_built.append(target)

    sa.event.listen(Response, "load", built)
    try:
        longer, statements_30, objects_30 = census(client)
    finally:
        sa.event.remove(Response, "load", built)
    assert (statements_30, objects_30) == (statements, objects)
    assert "PHQ-9 8" in words_of(longer) or "PHQ-9 8" in longer
    assert "-6" in longer
    assert responses_built == []


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
