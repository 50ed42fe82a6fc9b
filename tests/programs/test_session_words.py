"""What the patient wrote reaches the clinician: the program page's sessions table (notes, pain
and where, mood, skip reason, each session opening to its sets) and the dashboard's flag of
notes and pain reports logged since this clinician last opened that page."""

import itertools
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from factories import (
    AssignmentFactory,
    ClinicFactory,
    PatientFactory,
    SessionFactory,
    UserFactory,
)
from helpers import words_of

from clinic.auth.models import Role
from clinic.extensions import db
from clinic.patients.services import add_to_care_team
from clinic.programs import services

_days_back = itertools.count(1)


def another_day():
    """A past day not used yet by this module's sessions (the patient logs one entry a day)."""
    return date.today() - timedelta(days=next(_days_back) % 9 + 1)


NOTE = "felt wobbly <b>after</b> the squats & dizzy"


@pytest.fixture
def world(app):
    clinic = ClinicFactory()
    tess = UserFactory(clinic=clinic, email="tess@a.test", name="Tess Therapist")
    colleague = UserFactory(clinic=clinic, email="col@a.test", role=Role.THERAPIST)
    # Started ten days ago: each session below is on a day of its own (one patient entry a day).
    assignment = AssignmentFactory(actor=tess, start_date=date.today() - timedelta(days=10))
    patient = assignment.patient
    quiet = PatientFactory(clinic=clinic, primary=tess, display_name="Quiet Person")
    add_to_care_team(tess, patient.id, colleague.id)
    return {
        "clinic": clinic,
        "tess": tess,
        "colleague": colleague,
        "assignment": assignment,
        "patient": patient,
        "quiet": quiet,
    }


def sessions_table(body):
    table = re.search(
        r'<table class="table compact sessions" id="sessions">(.*?)</table>\s*'
        r"(?:{%|</section>)",
        body,
        re.S,
    )
    assert table, "no sessions table"
    return table.group(1)


def cells(row):
    return {
        label: words_of(cell)
        for label, cell in re.findall(r'<td data-label="([^"]+)"[^>]*>(.*?)</td>', row, re.S)
    }


def flag_on_dashboard(client, patient_id):
    body = client.get("/").get_data(as_text=True)
    row = re.search(rf'<a [^>]*href="/patients/{patient_id}">.*?</td>', body, re.S)
    assert row, "patient not on the dashboard"
    badge = re.search(r'class="badge badge-warn new-words"[^>]*>(.*?)</a>', row.group(0))
    return words_of(badge.group(1)) if badge else None


def test_the_sessions_table_shows_the_patients_words_escaped_and_opens_to_the_sets(
    client, auth, world
):
    a = world["assignment"]
    SessionFactory(
        performed_on=date.today() - timedelta(days=2),
        assignment=a,
        note=NOTE,
        pain=4,
        pain_where="left knee",
        mood_before=3,
        mood_after=6,
        rpe=7,
        sets={
            0: [
                {"reps": 8, "load_kg": None, "seconds": None},
                {"reps": 7, "load_kg": None, "seconds": None},
            ]
        },
    )
    SessionFactory(
        performed_on=date.today() - timedelta(days=1),  # the newest: listed first
        assignment=a,
        status="skipped",
        skip_reason="low_mood",
        sets={},
        rpe=None,
        mood_before=None,
        mood_after=None,
        pain=None,
        duration_minutes=None,
    )
    auth.login("tess@a.test")
    body = client.get(f"/programs/assignments/{a.id}").get_data(as_text=True)
    table = sessions_table(body)
    assert "felt wobbly &lt;b&gt;after&lt;/b&gt; the squats &amp; dizzy" in table
    assert "<b>after</b>" not in body
    rows = re.findall(r'<tr id="session-\d+">(.*?)</tr>', table, re.S)
    assert len(rows) == 2
    skipped, done = rows  # newest first (same day: the later one first)
    assert cells(skipped)["Status"] == "skipped: Low mood"
    assert cells(skipped)["Note"] == "none"
    assert {k: v for k, v in cells(done).items() if k not in ("Sets", "Date")} == {
        "Status": "done",
        "Note": "“felt wobbly <b>after</b> the squats & dizzy”",
        "Pain": "4/10 (left knee)",
        "Mood": "3 → 6",
        "RPE": "7",
        "By": "patient",
    }
    details = re.search(r"<details><summary>(.*?)</summary>(.*?)</details>", done, re.S)
    assert details, "the session does not open to its sets"
    assert words_of(details.group(1)).startswith("2 sets")
    assert len(re.findall(r"<li>", details.group(2))) == 2
    assert "set 2: 7 reps" in words_of(details.group(2))
    assert "<details" not in skipped  # nothing to open


def test_a_note_or_pain_report_is_flagged_until_this_clinician_opens_the_program_page(
    client, auth, world
):
    a, patient = world["assignment"], world["patient"]
    auth.login("tess@a.test")
    assert flag_on_dashboard(client, patient.id) is None
    SessionFactory(performed_on=another_day(), assignment=a, note=NOTE)
    SessionFactory(performed_on=another_day(), assignment=a, pain=3)
    SessionFactory(performed_on=another_day(), assignment=a)  # nothing written, no pain: not news
    assert flag_on_dashboard(client, patient.id) == "2 new notes or pain reports"
    assert flag_on_dashboard(client, world["quiet"].id) is None

    page = client.get(f"/programs/assignments/{a.id}").get_data(as_text=True)
    assert sessions_table(page).count('<span class="badge badge-warn">new</span>') == 2
    assert flag_on_dashboard(client, patient.id) is None
    again = client.get(f"/programs/assignments/{a.id}").get_data(as_text=True)
    assert '<span class="badge badge-warn">new</span>' not in sessions_table(again)

    SessionFactory(performed_on=another_day(), assignment=a, pain=0, pain_where="lower back")
    assert flag_on_dashboard(client, patient.id) == "1 new note or pain report"
    # A session the clinician logged themselves is not news to them.
    SessionFactory(
        performed_on=another_day(),
        assignment=a,
        source="clinician",
        actor=world["tess"],
        note="supervised",
    )
    assert flag_on_dashboard(client, patient.id) == "1 new note or pain report"

    # The marker is per clinician: the colleague on the care team has not looked yet.
    auth.logout()
    auth.login("col@a.test")
    assert flag_on_dashboard(client, patient.id) == "4 new notes or pain reports"


def test_the_flag_costs_one_statement_for_any_number_of_dashboard_rows(app, world):
    tess = world["tess"]
    ids = [world["patient"].id, world["quiet"].id]
    for _ in range(4):
        extra = AssignmentFactory(actor=tess)
        SessionFactory(assignment=extra, note="hard day")
        ids.append(extra.patient_id)
    SessionFactory(performed_on=another_day(), assignment=world["assignment"], note=NOTE)
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    user = db.session.get(type(tess), tess.id)  # loaded before counting
    assert user.id
    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        small = services.new_session_words(tess, ids[:2])
        first = len(statements)
        large = services.new_session_words(tess, ids)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)
    assert first == 1 and len(statements) == 2, statements
    assert small == {world["patient"].id: 1}
    assert large == {pid: 1 for pid in ids if pid != world["quiet"].id}
