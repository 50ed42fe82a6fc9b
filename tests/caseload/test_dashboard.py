"""The dashboard at "/": a therapist's active patients with their latest scores, change since
baseline, open alerts and waiting or missed questionnaires, in a fixed number of queries."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from factories import (
    AssignmentFactory,
    ClinicFactory,
    InvitationFactory,
    PatientFactory,
    ResponseFactory,
    SessionFactory,
    UserFactory,
    starter_templates,
)
from helpers import words_of

from clinic import tokens
from clinic.alerts.models import Alert
from clinic.database import utcnow
from clinic.extensions import db
from clinic.measures import services
from clinic.measures.models import Invitation
from clinic.patients.services import set_discharged

THERAPIST = "therapist@clinic.test"
BASELINE_PHQ = 12  # moderate
LATEST_PHQ = (4, 12, 13, 18, 6)  # changes -8, 0, +1, +6, -6


@pytest.fixture
def config_overrides():
    return {"PER_PAGE": 100}  # every patient on one page, so 50 rows are really rendered


@pytest.fixture
def clinic():
    return ClinicFactory()


@pytest.fixture
def therapist(clinic):
    return UserFactory(clinic=clinic, email=THERAPIST)


def spread(total, items, top=3):
    answers = [0] * items
    for n in range(total):
        answers[n % items] += 1
    assert max(answers) <= top
    return answers


def phq9(total, risk=False):
    """PHQ-9 answers with this total; item 9 (the risk item) answered 1 when ``risk``."""
    return [*spread(total - int(risk), 8), int(risk)]


def phq9_band(total):
    return next(label for top, label in ((4, "minimal"), (9, "mild"), (14, "moderate"),
                                         (19, "moderately severe"), (27, "severe"))
                if total <= top)


def gad7_band(total):
    return next(label for top, label in ((4, "minimal"), (9, "mild"), (14, "moderate"),
                                         (21, "severe")) if total <= top)


def add_link(patient, *, kind, created_at, due_on=None, completed=False, secret_key):
    salt = tokens.new_salt()
    db.session.add(Invitation(
        patient_id=patient.id, instruments=["PHQ-9"], kind=kind, due_on=due_on,
        token_salt=salt,
        token_hash=tokens.token_hash(tokens.derive_token(secret_key, "questionnaire", salt)),
        created_at=created_at, expires_at=created_at + timedelta(days=4),
        completed_at=created_at + timedelta(hours=1) if completed else None))
    db.session.commit()


def build_patients(app, clinic, therapist, numbers):
    """Patients with schedules, responses, alerts and links; returns what each row must say."""
    now = utcnow()
    episode = now - timedelta(days=60)
    secret_key = app.config["SECRET_KEY"]
    expected = {}
    for n in numbers:
        patient = PatientFactory(clinic=clinic, primary=therapist, display_name=f"Person {n:03d}",
                                 episode_start=episode)
        for code, every_weeks in (("PHQ-9", 1), ("GAD-7", 2)):
            services.save_schedule(therapist, patient.id, services.ScheduleInput(
                code, every_weeks, n % 7, episode.date(), None))
        latest, risk, gad = LATEST_PHQ[n % 5], n % 3 == 0, n % 8 + 3
        ResponseFactory(actor=therapist, patient=patient, answers=phq9(BASELINE_PHQ),
                        completed_at=episode + timedelta(days=1))
        ResponseFactory(actor=therapist, patient=patient, answers=phq9(latest, risk),
                        completed_at=episode + timedelta(days=15))
        gad_response = ResponseFactory(actor=therapist, patient=patient, code="GAD-7",
                                       answers=spread(gad, 7),
                                       completed_at=episode + timedelta(days=15))
        if n % 4 == 1:  # an alert already dealt with does not count
            db.session.add(Alert(clinic_id=clinic.id, patient_id=patient.id, kind="review_item",
                                 response_id=gad_response.id, acknowledged_at=now,
                                 acknowledged_by_id=therapist.id, note="Called them."))
            db.session.commit()
        InvitationFactory(actor=therapist, patient=patient)  # waiting
        training = "no program"
        if n % 2 == 0:  # every other patient trains: one of two sessions done this week
            give_program(therapist, patient)
            training = "50% adherence"
        missed = n % 2 == 0
        if missed:
            add_link(patient, kind="scheduled", due_on=(now - timedelta(days=9)).date(),
                     created_at=now - timedelta(days=9), secret_key=secret_key)
        if n % 3 == 1:  # answered links are neither waiting nor missed
            add_link(patient, kind="scheduled", due_on=(now - timedelta(days=16)).date(),
                     created_at=now - timedelta(days=16), completed=True, secret_key=secret_key)

        change = latest - BASELINE_PHQ
        reliable = (", reliable improvement" if change <= -6
                    else ", reliable deterioration" if change >= 6 else "")
        alerts = int(risk) + int(change >= 6)
        kinds = ", ".join([*(["1 risk"] if risk else []), *(["1 review"] if change >= 6 else [])])
        expected[patient.id] = {
            "name": patient.display_name,
            "scores": [f"PHQ-9 {latest} {phq9_band(latest)} ({change:+d}{reliable})",
                       f"GAD-7 {gad} {gad7_band(gad)}"],
            "alerts": f"{alerts} open {kinds}" if alerts else "none",
            "questionnaires": "1 waiting 1 missed" if missed else "1 waiting",
            "training": training,
        }
    return expected


def give_program(therapist, patient):
    """A starter program from today, and one session done as prescribed today."""
    template_id = starter_templates(patient.clinic)["Home foundations"]
    assignment = AssignmentFactory(actor=therapist, patient=patient, template=template_id)
    level = assignment.snapshot["levels"][0]
    sets = {i: [{"reps": item["reps_min"], "load_kg": None, "seconds": None}] * item["sets"]
            for i, item in enumerate(level["exercises"])}
    SessionFactory(assignment=assignment, submission_key=f"dash-{patient.id}", sets=sets)


def dashboard_rows(body):
    """{patient id: {"name", "scores", "training", "alerts", "questionnaires"}} as shown."""
    tbody = re.search(r"<tbody>(.*?)</tbody>", body, re.S)
    assert tbody, "no table on the dashboard"
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", tbody.group(1), re.S):
        # The triage lines (need, last answer, last session) are tests/caseload/test_triage.py's.
        row = re.sub(r'<div class="(?:need-line|last-seen)".*?</div>', "", row, flags=re.S)
        cells = dict(re.findall(r'<td data-label="([^"]+)">(.*?)</td>', row, re.S))
        patient_id = int(re.search(r'href="/patients/(\d+)"', cells["Patient"]).group(1))
        rows[patient_id] = {
            "name": words_of(re.search(r"<a [^>]*>(.*?)</a>", cells["Patient"], re.S).group(1)),
            "scores": [words_of(line) for line in
                       re.findall(r'<div class="score-line">(.*?)</div>', cells["Scores"], re.S)],
            "training": words_of(cells["Training"]),
            "alerts": words_of(cells["Alerts"]),
            "questionnaires": words_of(cells["Questionnaires"]),
        }
    return rows


def render_counting_statements(client):
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        response = client.get("/")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)
    assert response.status_code == 200
    return response.get_data(as_text=True), statements


@pytest.mark.slow
def test_the_number_of_queries_is_the_same_for_5_and_50_patients(
    app, client, auth, clinic, therapist
):
    expected = build_patients(app, clinic, therapist, range(5))
    auth.login(THERAPIST)
    client.get("/")  # warm-up: anything done once per login session happens here
    body, five = render_counting_statements(client)
    assert dashboard_rows(body) == expected

    expected.update(build_patients(app, clinic, therapist, range(5, 50)))
    client.get("/")
    body, fifty = render_counting_statements(client)
    assert len(dashboard_rows(body)) == 50
    assert dashboard_rows(body) == expected
    assert len(fifty) == len(five), "\n".join(fifty)


def test_the_dashboard_shows_each_patients_latest_scores_change_alerts_and_links(
    app, client, auth, clinic, therapist
):
    expected = build_patients(app, clinic, therapist, range(6))
    fresh = PatientFactory(clinic=clinic, primary=therapist, display_name="Person New")
    services.save_schedule(therapist, fresh.id, services.ScheduleInput(
        "PHQ-9", 1, 0, utcnow().date(), None))
    unscheduled = PatientFactory(clinic=clinic, primary=therapist, display_name="Person Plain")
    expected[fresh.id] = {"name": "Person New", "scores": ["PHQ-9 no answers yet"],
                          "training": "no program",
                          "alerts": "none", "questionnaires": "nothing due"}
    expected[unscheduled.id] = {"name": "Person Plain", "scores": [], "training": "no program",
                                "alerts": "none",
                                "questionnaires": "nothing due"}
    auth.login(THERAPIST)
    body = client.get("/").get_data(as_text=True)

    assert dashboard_rows(body) == expected
    # Spot checks of the figures themselves, independent of the helper above.
    row = dashboard_rows(body)[min(expected)]  # Person 000: latest PHQ-9 4 with a risk answer
    assert row["scores"] == ["PHQ-9 4 minimal (-8, reliable improvement)", "GAD-7 3 minimal"]
    assert row["alerts"] == "1 open 1 risk"
    assert row["questionnaires"] == "1 waiting 1 missed"
    assert "No questionnaires scheduled" in body


def test_only_my_active_patients_are_shown(app, client, auth, clinic, therapist):
    colleague = UserFactory(clinic=clinic)
    other_clinic = ClinicFactory()
    mine = PatientFactory(clinic=clinic, primary=therapist, display_name="Mine Primary")
    shared = PatientFactory(clinic=clinic, primary=colleague, team=[therapist],
                            display_name="Mine On The Team")
    PatientFactory(clinic=clinic, primary=colleague, display_name="Colleague Only")
    PatientFactory(clinic=other_clinic, primary=UserFactory(clinic=other_clinic),
                   display_name="Other Clinic")
    gone = PatientFactory(clinic=clinic, primary=therapist, display_name="Mine Discharged")
    set_discharged(therapist, gone.id, True)
    for patient in (mine, shared):
        services.save_schedule(therapist, patient.id, services.ScheduleInput(
            "PHQ-9", 1, 0, utcnow().date(), None))

    auth.login(THERAPIST)
    body = client.get("/").get_data(as_text=True)

    assert {p: r["name"] for p, r in dashboard_rows(body).items()} == {
        mine.id: "Mine Primary", shared.id: "Mine On The Team"}
    for name in ("Colleague Only", "Other Clinic", "Mine Discharged"):
        assert name not in body
