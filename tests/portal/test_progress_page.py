"""The patient's "What I have done" page (``/p/progress``) and the clinician's switch that
releases a questionnaire's totals to it, through the real app and database.

The world: a two-level program (wall push-ups and goblet squats, then kneeling push-ups),
started 20 days ago. Sessions are logged through the patient's own service path; questionnaires
are entered by the therapist from paper.
"""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from factories import (
    AssignmentFactory,
    ClinicFactory,
    InvitationFactory,
    PatientFactory,
    ResponseFactory,
    SessionFactory,
    TemplateFactory,
    UserFactory,
    builtin,
    level,
    level_row,
    link_token,
    program_token,
)
from helpers import audit_events, open_link, text, visible

from clinic.auth.models import Role
from clinic.extensions import db
from clinic.measures.models import ScoreRelease
from clinic.patients.models import DISCHARGED
from clinic.patients.services import add_to_care_team, set_discharged
from clinic.programs import services as programs

PHQ9_START = [3, 3, 2, 2, 2, 1, 1, 1, 0]  # 15
PHQ9_RISK_NOW = [1, 1, 1, 1, 1, 0, 0, 0, 1]  # 6, item 9 answered "Several days"
GAD7 = [2, 2, 2, 1, 1, 1, 1]  # 10


@pytest.fixture
def clinic(app):
    return ClinicFactory(name="Harbour Clinic")


@pytest.fixture
def therapist(clinic):
    return UserFactory(clinic=clinic, role=Role.THERAPIST, email="ther@harbour.test")


@pytest.fixture
def program(clinic, therapist):
    """The assignment (started 20 days ago), with the sessions of the module docstring."""
    wall, kneeling = builtin("wall_push_up"), builtin("kneeling_push_up")
    goblet = builtin("goblet_squat")
    template = TemplateFactory(
        actor=therapist,
        name="Home first",
        levels=[
            level(
                level_row(wall),
                level_row(goblet, load_kind="kg", load_target="10"),
                name="Getting started at home",
            ),
            level(level_row(kneeling), name="Home with light weights"),
        ],
    )
    today = clinic.today()
    patient = PatientFactory(
        clinic=clinic, primary=therapist, episode_start=today - timedelta(days=30)
    )
    start = today - timedelta(days=20)
    assignment = AssignmentFactory(
        actor=therapist, patient=patient, template=template, start_date=start
    )

    def done(day, wall_reps, goblet_reps, load="10", **values):
        sets = {
            0: [{"reps": wall_reps, "load_kg": None, "seconds": None}],
            1: [{"reps": goblet_reps, "load_kg": Decimal(load), "seconds": None}],
        }
        SessionFactory(assignment=assignment, performed_on=day, sets=sets, **values)

    done(start, 8, 10)
    SessionFactory(
        assignment=assignment,
        performed_on=start + timedelta(days=3),
        status="skipped",
        skip_reason="fatigue",
        sets={},
    )
    done(start + timedelta(days=7), 11, 12)  # records: 11 wall push-ups, 12 squats at 10 kg
    done(start + timedelta(days=10), None, None, load="12", as_planned=True)  # quick log
    done(start + timedelta(days=12), 9, 9, status="partial", low_energy=True)
    programs.change_level(therapist, assignment.id, 1, "Ready for the next step.")
    SessionFactory(
        assignment=assignment,
        performed_on=today,
        sets={0: [{"reps": 6, "load_kg": None, "seconds": None}]},
    )
    db.session.commit()
    return assignment


def weeks_of(days):
    return len({day - timedelta(days=day.weekday()) for day in days})


def open_progress(app, assignment):
    browser = app.test_client()
    open_link(browser, program_token(assignment))
    return browser, browser.get("/p/progress")


# The page ----------------------------------------------------------------------------------


def test_the_page_counts_what_was_done_in_plain_words(app, clinic, program):
    _, page = open_progress(app, program)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    words = visible(page)
    start = program.start_date
    performed = [
        start,
        start + timedelta(days=7),
        start + timedelta(days=10),
        start + timedelta(days=12),
        clinic.today(),
    ]
    # Five sessions done: the skip is not one, the quick log and the low-energy one are.
    assert f"5 sessions done since {start.day} {start:%b %Y}" in words
    weeks = weeks_of(performed)
    assert f"You trained in {weeks} {'different weeks' if weeks > 1 else 'week'}." in words
    assert "1 of your sessions was the shorter, low-energy version: showing up counts." in words
    assert "Push: From wall push-up to kneeling push-up" in words
    assert "Level 2: Home with light weights" in words
    assert "Moved up to level 2, Home with light weights" in words
    assert "First time: 12 reps of goblet squat at 10 kg" in words
    assert "First time: 11 reps of wall push-up in one set" in words
    # The quick log's 12 kg was done, but its reps were not recorded: no record, no zero.
    assert "12 kg" not in words and "0 reps" not in words
    # Counts only: no percentage, no streak, no word about missed or skipped sessions.
    for absent in ("%", "streak", "missed", "skipped", "Fatigue"):
        assert absent not in words
    assert "Your questionnaires" not in words  # nothing released
    assert "<script" not in text(page)
    assert re.search(r'href="/static/css/portal-print\.css[^"]*" media="print"', text(page))
    assert len(page.get_data()) < 60_000


def test_the_program_page_links_to_it(app, program):
    browser = app.test_client()
    page = open_link(browser, program_token(program))
    assert 'href="/p/progress"' in text(page)
    assert "What I have done so far" in visible(page)


def test_nothing_logged_yet_is_said_calmly(app, therapist):
    assignment = AssignmentFactory(actor=therapist)
    db.session.commit()
    _, page = open_progress(app, assignment)
    assert page.status_code == 200
    assert "Nothing logged yet. Each session you log will show here." in visible(page)
    assert "0 sessions" not in visible(page)


def test_each_patient_sees_only_their_own_program(app, clinic, therapist, program):
    other = AssignmentFactory(actor=therapist)
    SessionFactory(assignment=other)
    db.session.commit()
    _, page = open_progress(app, other)
    words = visible(page)
    assert "1 session done since" in words
    assert "You trained in 1 week." in words
    assert "goblet squat" not in words and "Home with light weights" not in words


# Link states ---------------------------------------------------------------------------------


def test_without_a_program_link_in_the_session_it_is_not_found(app, program):
    assert app.test_client().get("/p/progress").status_code == 404


def test_a_questionnaire_link_does_not_open_it(app, therapist, program):
    invitation = InvitationFactory(actor=therapist, patient=program.patient_id, codes=["PHQ-9"])
    db.session.commit()
    browser = app.test_client()
    open_link(browser, link_token(invitation), portal="q")
    assert browser.get("/p/progress").status_code == 404


def test_a_revoked_link_closes_it_for_a_browser_that_opened_it(app, therapist, program):
    browser, page = open_progress(app, program)
    assert page.status_code == 200
    programs.revoke_link(therapist, program.id)
    page = browser.get("/p/progress")
    assert page.status_code == 410
    assert "This link is no longer active" in visible(page)
    assert "session done" not in visible(page)


def test_a_rotated_link_closes_it_for_the_old_link(app, therapist, program):
    browser, _ = open_progress(app, program)
    programs.rotate_link(therapist, program.id)
    assert browser.get("/p/progress").status_code == 410
    _, page = open_progress(app, program)  # the new link works
    assert page.status_code == 200


def test_discharge_closes_it(app, therapist, program):
    browser, _ = open_progress(app, program)
    set_discharged(therapist, program.patient_id, True)
    page = browser.get("/p/progress")
    assert page.status_code == 410
    assert "session done" not in visible(page)


def test_a_discharged_patient_whose_link_was_somehow_left_working_is_refused(app, program):
    browser, _ = open_progress(app, program)
    program.patient.status = DISCHARGED  # not through the service: the page must hold anyway
    db.session.commit()
    page = browser.get("/p/progress")
    assert page.status_code == 410
    assert "session done" not in visible(page)


def test_a_completed_program_closes_it(app, therapist, program):
    browser, _ = open_progress(app, program)
    programs.set_status(therapist, program.id, "completed", "Finished the program.")
    page = browser.get("/p/progress")
    assert page.status_code == 410
    assert "This program is finished" in visible(page)


def test_a_paused_program_still_shows_what_was_done(app, therapist, program):
    programs.set_status(therapist, program.id, "paused", "Holiday.")
    _, page = open_progress(app, program)
    assert page.status_code == 200
    assert "5 sessions done" in visible(page)


# Released scores -----------------------------------------------------------------------------


def _paper_forms(therapist, patient_id):
    days_ago = [datetime.now(UTC) - timedelta(days=n) for n in (15, 1)]
    ResponseFactory(
        actor=therapist,
        patient=patient_id,
        code="PHQ-9",
        answers=PHQ9_START,
        completed_at=days_ago[0],
    )
    ResponseFactory(
        actor=therapist,
        patient=patient_id,
        code="PHQ-9",
        answers=PHQ9_RISK_NOW,
        completed_at=days_ago[1],
    )
    ResponseFactory(
        actor=therapist, patient=patient_id, code="GAD-7", answers=GAD7, completed_at=days_ago[1]
    )
    db.session.commit()


def test_scores_show_only_once_released_and_go_when_withdrawn(app, auth, therapist, program):
    _paper_forms(therapist, program.patient_id)
    browser, page = open_progress(app, program)
    assert "PHQ-9" not in visible(page) and "GAD-7" not in visible(page)

    auth.login(therapist.email)
    overview = auth._client.get(f"/patients/{program.patient_id}")
    assert "Scores the patient sees" in visible(overview)
    assert "PHQ-9: not shown" in visible(overview)
    released = auth.post(f"/patients/{program.patient_id}/shared-scores/PHQ-9")
    assert released.status_code == 303
    assert released.headers["Location"].endswith(f"/patients/{program.patient_id}#sharing")
    [event] = audit_events("score_release")
    assert (event.actor_id, event.patient_id, event.detail) == (
        therapist.id,
        program.patient_id,
        {"instrument": "PHQ-9"},
    )
    assert "PHQ-9: shown to the patient" in visible(
        auth._client.get(f"/patients/{program.patient_id}")
    )

    words = visible(browser.get("/p/progress"))
    assert "PHQ-9, about low mood" in words
    assert "Your latest score is 6 out of 27, lower than when you started (15 out of 27)." in words
    assert "On this questionnaire a lower score is better." in words
    assert "GAD-7" not in words  # not released
    # Totals only: nothing of item 9 (answered above zero in the latest form), no alert.
    for absent in ("risk", "Risk", "harming", "better off dead", "alert", "item"):
        assert absent not in words

    # Releasing again writes nothing; withdrawing takes it off the page, audited.
    auth.post(f"/patients/{program.patient_id}/shared-scores/PHQ-9")
    assert len(audit_events("score_release")) == 1
    assert (
        auth.post(f"/patients/{program.patient_id}/shared-scores/PHQ-9/withdraw").status_code == 303
    )
    [event] = audit_events("score_release_withdraw")
    assert event.detail == {"instrument": "PHQ-9"}
    assert "PHQ-9" not in visible(browser.get("/p/progress"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScoreRelease)) == 0


def test_higher_is_better_instruments_read_the_right_way(app, auth, therapist, program):
    for days, answers in ((15, [1, 2, 1, 2, 2]), (1, [3, 2, 3, 2, 3])):  # 8 -> 13
        ResponseFactory(
            actor=therapist,
            patient=program.patient_id,
            code="WHO-5",
            answers=answers,
            completed_at=datetime.now(UTC) - timedelta(days=days),
        )
    db.session.commit()
    auth.login(therapist.email)
    auth.post(f"/patients/{program.patient_id}/shared-scores/WHO-5")
    _, page = open_progress(app, program)
    words = visible(page)
    assert (
        "Your latest score is 52 out of 100, higher than when you started (32 out of 100)." in words
    )
    assert "On this questionnaire a higher score is better." in words


def test_who_may_set_the_switch(app, auth, client, clinic, therapist, program):
    path = f"/patients/{program.patient_id}/shared-scores/PHQ-9"
    trainer = UserFactory(clinic=clinic, role=Role.TRAINER, email="train@harbour.test")
    add_to_care_team(therapist, program.patient_id, trainer.id)
    outsider = UserFactory(clinic=ClinicFactory(), role=Role.ADMIN, email="adm@else.test")
    colleague = UserFactory(clinic=clinic, role=Role.THERAPIST, email="off@harbour.test")
    db.session.commit()

    auth.login(trainer.email)
    assert auth.post(path).status_code == 403
    auth.logout()
    for stranger in (outsider, colleague):  # another clinic's admin; a therapist off the team
        auth.login(stranger.email)
        assert auth.post(path).status_code == 404
        auth.logout()
    auth.login(therapist.email)
    assert client.post(path).status_code == 400  # no CSRF token
    assert auth.post(f"/patients/{program.patient_id}/shared-scores/NOPE").status_code == 404
    assert audit_events("score_release") == []
    assert client.get(f"/patients/{program.patient_id}").status_code == 200
