"""The patient's program link ``/p/<token>``, end to end through the real app.

A patient has no account: each test drives a separate browser (``app.test_client()``) that opens
the link, reads the session form a real browser would see (hidden CSRF token and submission key,
pre-filled targets) and posts it back. Every result is checked in the database afterwards.

The program is the starter "Barbell basics", level "0 Learning the lifts": four barbell lifts of
2 sets of 8-10 (loads in kg, prescribed by effort 3-4) and one set of dead bugs (body weight, no
load field), so 9 prescribed working sets and two sessions planned a week.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine
from conftest import AuthActions
from factories import (
    AssignmentFactory,
    ClinicFactory,
    PatientFactory,
    UserFactory,
    program_token,
    session_entry,
    starter_templates,
)
from helpers import audit_events, fresh, open_link, text, visible, words_of
from html_forms import form_of, forms_of

from clinic.alerts.models import Alert
from clinic.alerts.services import acknowledge_alert
from clinic.auth.models import Role
from clinic.database import utcnow
from clinic.extensions import db
from clinic.patients.services import set_discharged
from clinic.programs import services
from clinic.programs.models import Assignment, SessionLog, SetLog

NAME = "Ottoline Bramble"
REFERENCE = "OB-7313"
CLINIC = "Harbour Clinic"
THERAPIST = "ther@harbour.test"
TEMPLATE = "Barbell basics"
PRESCRIBED_SETS = 9  # 4 lifts x 2 sets + 1 set of dead bugs

DASH, TIMES, APOSTROPHE = "\u2013", "\u00d7", "\u2019"  # as the pages print them
ERROR_AT = re.compile(r'<p class="error-message" id="([^"]+)-error">([^<]*)</p>')


# Helpers ---------------------------------------------------------------------------------------


def submit(browser, fields, *, page=None, url="/p/"):
    """Post the form of ``page`` (fetched from ``url`` when not given) with ``fields`` changed;
    a field set to None is left out, as an unticked radio or an untouched field would be."""
    if page is None:
        page = browser.get(url)
        assert page.status_code == 200, page.status_code
    data = form_of(page).values
    for name, value in fields.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return browser.post(url, data=data), data


def log(browser, **fields):
    """Log one session through the page; the new row."""
    before = {s.id for s in sessions()}
    response, _ = submit(browser, fields)
    assert response.status_code == 303, (response.status_code, ERROR_AT.findall(text(response)))
    assert response.headers["Location"] == f"/p/?saved={sessions()[-1].status}"
    [new] = [s for s in sessions() if s.id not in before]
    return new


def without_sets(**fields):
    """The form with every pre-filled set field blanked, then ``fields``."""
    blank = {f"ex{i}-set{n}-{what}": "" for i in range(5) for n in (1, 2)
             for what in ("reps", "load")}
    return {**blank, **fields}


def sessions(assignment_id=None):
    db.session.commit()  # end the test's read snapshot: requests commit in their own sessions
    db.session.expire_all()
    query = sa.select(SessionLog).order_by(SessionLog.id)
    if assignment_id is not None:
        query = query.where(SessionLog.assignment_id == assignment_id)
    return db.session.scalars(query).all()


def set_rows(session_id):
    return db.session.scalars(sa.select(SetLog).where(SetLog.session_id == session_id)
                              .order_by(SetLog.id)).all()


def alerts(kind=None):
    db.session.commit()
    query = sa.select(Alert).order_by(Alert.id)
    if kind is not None:
        query = query.where(Alert.kind == kind)
    return db.session.scalars(query).all()


def entry(performed_on, **values):
    """A parsed session entry, for sessions stored through the service directly: by default
    one set of 8 at 20 kg on the first lift."""
    sets = {0: [{"reps": 8, "load_kg": Decimal("20"), "seconds": None}]}
    return session_entry(performed_on, **{"sets": sets, **values})


# Fixtures --------------------------------------------------------------------------------------


@dataclass
class Program:
    assignment_id: int
    patient_id: int
    token: str


@pytest.fixture
def clinic(app):
    return ClinicFactory(name=CLINIC)


@pytest.fixture
def therapist(clinic):
    return UserFactory(clinic=clinic, role=Role.THERAPIST, email=THERAPIST, name="Thea Therapist")


@pytest.fixture
def patient(clinic, therapist):
    return PatientFactory(clinic=clinic, primary=therapist, display_name=NAME,
                          reference=REFERENCE)


@pytest.fixture
def templates(clinic):
    """The built-in exercise library and the starter programs, as a clinic gets them."""
    return starter_templates(clinic)


@pytest.fixture
def today(patient):
    return services.clinic_today(patient.id)


@pytest.fixture
def make_program(therapist, templates, today):
    """Assign ``TEMPLATE`` to a patient, starting ``start`` (today by default)."""

    def make(patient, start=None):
        assignment = AssignmentFactory(actor=therapist, patient=patient,
                                       template=templates[TEMPLATE], start_date=start or today)
        return Program(assignment.id, patient.id, program_token(assignment))

    return make


@pytest.fixture
def program(make_program, patient):
    return make_program(patient)


@pytest.fixture
def level(program):
    return fresh(Assignment, program.assignment_id).current_level


@pytest.fixture
def browser(app):
    """The patient's phone: no clinician login."""
    return app.test_client()


@pytest.fixture
def opened(browser, program):
    """The browser with the program link opened."""
    page = open_link(browser, program.token)
    assert page.status_code == 200
    return browser


@pytest.fixture
def earlier_program(make_program, patient, today):
    """A program that started two weeks ago: room for one entry a day before today."""
    return make_program(patient, start=today - timedelta(days=14))


@pytest.fixture
def opened_earlier(browser, earlier_program):
    """The browser with the link of ``earlier_program`` opened."""
    assert open_link(browser, earlier_program.token).status_code == 200
    return browser


def last_days(today, count):
    """The ``count`` days ending today, oldest first, as the date field takes them."""
    return [(today - timedelta(days=count - 1 - n)).isoformat() for n in range(count)]


def other_patient(clinic, therapist, make_program, start=None):
    patient = PatientFactory(clinic=clinic, primary=therapist, display_name="Wilmot Keane")
    return make_program(patient, start)


# Opening the link ------------------------------------------------------------------------------


def test_the_token_leaves_the_address_bar_at_once(browser, program):
    first = browser.get(f"/p/{program.token}")
    assert first.status_code == 303
    assert first.headers["Location"] == "/p/"
    assert first.headers["Referrer-Policy"] == "no-referrer"
    assert first.headers["Cache-Control"] == "no-store"

    page = browser.get("/p/")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert program.token not in text(page)


def test_opening_the_link_never_logs_a_session(app, browser, program):
    scanner = app.test_client()  # a mail scanner opens it first, more than once
    for _ in range(3):
        assert open_link(scanner, program.token).status_code == 200
    assert scanner.head(f"/p/{program.token}").status_code == 303
    assert sessions() == []
    assert alerts() == []
    # The patient's link still works afterwards.
    assert open_link(browser, program.token).status_code == 200
    assert fresh(Assignment, program.assignment_id).link_revoked_at is None


def test_program_pages_show_no_name_or_reference(opened, program):
    pages = [opened.get("/p/")]
    pages.append(submit(opened, {"path": None})[0])  # 422 page
    logged = log(opened, path="as_prescribed")
    pages.append(opened.get("/p/?saved=1"))
    pages.append(opened.get(f"/p/sessions/{logged.id}"))
    assert [p.status_code for p in pages] == [200, 422, 200, 200]
    for page in pages:
        body = text(page)
        assert NAME not in body
        assert REFERENCE not in body
        assert CLINIC in body  # the clinic's name is all that identifies anything
        assert page.headers["Cache-Control"] == "no-store"


def test_the_page_shows_the_next_session_and_counts_as_words(opened, level):
    page = opened.get("/p/")
    words = visible(page)
    assert "Your next session" in words
    assert level["name"] == "0 Learning the lifts"
    assert len(level["exercises"]) == 5
    for item in level["exercises"]:
        assert item["name"] in words
        sets = f"{item['sets']} set{'' if item['sets'] == 1 else 's'}"
        reps = f"{item['reps_min']}{DASH}{item['reps_max']}"
        assert f"{sets} of {reps} reps" in words, item["name"]
        assert f"target {item['sets']} {TIMES} {reps}" in words, item["name"]
        assert item["cues"], item["name"]
        for cue in item["cues"]:
            assert cue in words, cue
        assert item["easier"] or item["easier_tip"], item["name"]
        if item["easier"]:
            assert item["easier"]["name"] in words
        if item["easier_tip"]:
            assert item["easier_tip"] in words
    assert words.count("Easier option:") == len(level["exercises"])
    squat = level["exercises"][0]
    assert squat["name"] == "Barbell back squat"
    assert f"Easier option: {squat['easier']['name']}, or {squat['easier_tip']}" in words
    assert "0 of 2 this week" in words
    assert "0 sessions so far" in words
    assert "%" not in text(page)
    assert "streak" not in text(page).lower()

    log(opened, path="as_prescribed")
    after = opened.get("/p/?saved=done")
    words = visible(after)
    assert "Saved. Well done for showing up." in words
    assert "1 of 2 this week" in words
    assert "1 session so far" in words
    assert "%" not in text(after)
    assert "streak" not in text(after).lower()


# Logging a session: the four paths ---------------------------------------------------------


def assert_targets_copied(set_logs, level):
    ids = [item["exercise_id"] for item in level["exercises"]]
    for row in set_logs:
        item = level["exercises"][ids.index(row.exercise_id)]
        assert (row.target_sets, row.target_reps_min, row.target_reps_max, row.target_load) == (
            item["sets"], item["reps_min"], item["reps_max"],
            item.get("load_kg") or item["load_target"]), item["name"]


def test_as_prescribed_stores_every_prescribed_set_with_its_target(opened, program, level):
    logged = log(opened, path="as_prescribed", duration_minutes="35", rpe="4",
                 mood_before="3", mood_after="6", pain="0", note="Went fine.")
    assert (logged.assignment_id, logged.status, logged.low_energy, logged.skip_reason) == (
        program.assignment_id, "done", False, None)
    assert (logged.duration_minutes, logged.rpe, logged.mood_before, logged.mood_after,
            logged.pain, logged.note) == (35, 4, 3, 6, 0, "Went fine.")
    assert (logged.source, logged.entered_by_id, logged.level_position) == ("patient", None, 0)
    assert logged.as_planned  # the marker: reps not counted, never a guess stored as reps
    rows = set_rows(logged.id)
    expected = [(item["exercise_id"], n, None)
                for item in level["exercises"] for n in range(1, item["sets"] + 1)]
    assert [(r.exercise_id, r.set_number, r.reps) for r in rows] == expected
    assert len(rows) == PRESCRIBED_SETS
    assert all(r.load_kg is None and r.seconds is None for r in rows)  # prescribed by effort
    assert_targets_copied(rows, level)
    assert {r.target_load for r in rows} == {"3-4"}  # every lift of level 0: effort 3-4


def test_sets_path_stores_the_sets_entered(opened, level):
    logged = log(opened, **without_sets(**{
        "path": "sets", "rpe": "5",
        "ex0-set1-reps": "10", "ex0-set1-load": "20",
        "ex0-set2-reps": "9", "ex0-set2-load": "22.5",
        "ex1-set1-reps": "8", "ex1-set1-load": "40",
        "ex2-set1-reps": "8",
        "ex4-set1-reps": "12",
    }))
    ids = [item["exercise_id"] for item in level["exercises"]]
    rows = set_rows(logged.id)
    assert [(r.exercise_id, r.set_number, r.reps, r.load_kg) for r in rows] == [
        (ids[0], 1, 10, Decimal("20")), (ids[0], 2, 9, Decimal("22.5")),
        (ids[1], 1, 8, Decimal("40")), (ids[2], 1, 8, None), (ids[4], 1, 12, None)]
    assert_targets_copied(rows, level)
    # 5 of 9 working sets: at least half, so the session is done.
    assert (logged.status, logged.low_energy, logged.rpe) == ("done", False, 5)


def test_sets_path_with_fewer_than_half_the_sets_is_partial(opened, level):
    logged = log(opened, **without_sets(**{"path": "sets", "ex0-set1-reps": "8",
                                           "ex0-set1-load": "20"}))
    assert logged.status == "partial"
    assert [(r.set_number, r.reps) for r in set_rows(logged.id)] == [(1, 8)]


def test_low_energy_stores_one_set_of_each_as_partial(opened, level):
    # The browser sends the pre-filled targets of every set; only the first set of each counts.
    logged = log(opened, path="low_energy", rpe="3")
    assert (logged.status, logged.low_energy) == ("partial", True)
    rows = set_rows(logged.id)
    assert [(r.exercise_id, r.set_number, r.reps) for r in rows] == [
        (item["exercise_id"], 1, item["reps_min"]) for item in level["exercises"]]
    assert_targets_copied(rows, level)


def test_skipped_stores_no_sets_and_the_reason(opened):
    logged = log(opened, path="skipped", skip_reason="fatigue", mood_before="3")
    assert (logged.status, logged.skip_reason, logged.low_energy, logged.mood_before) == (
        "skipped", "fatigue", False, 3)
    assert set_rows(logged.id) == []


def test_a_double_submit_stores_one_session(opened, program):
    page = opened.get("/p/")
    first, data = submit(opened, {"path": "as_prescribed", "rpe": "5"}, page=page)
    second = opened.post("/p/", data=data)  # double tap, or the retry of a lost response
    assert (first.status_code, second.status_code) == (303, 303)
    assert second.headers["Location"] == "/p/?saved=1"
    [stored] = sessions()
    assert len(set_rows(stored.id)) == PRESCRIBED_SETS
    assert "1 session so far" in visible(opened.get("/p/"))


def test_two_forms_on_two_days_store_two_sessions(opened_earlier, today):
    yesterday, _ = last_days(today, 2)
    log(opened_earlier, path="as_prescribed", performed_on=yesterday)
    log(opened_earlier, path="low_energy")
    assert [s.status for s in sessions()] == ["done", "partial"]
    assert "2 sessions so far" in visible(opened_earlier.get("/p/"))


# One entry a day, and the patient can correct it -------------------------------------------


def test_a_second_entry_for_the_same_day_asks_before_replacing_the_first(opened, program):
    first = log(opened, path="as_prescribed", rpe="5")
    asked, sent = submit(opened, {"path": "skipped", "skip_reason": "fatigue", "note": "tired"})

    assert asked.status_code == 409
    words = visible(asked)
    assert "You already logged a session for" in words
    assert "Your earlier entry: done." in words
    assert "Nothing is saved until you choose." in words
    page = text(asked)
    # The question comes first in the page, focused; its button sends the form below it.
    assert page.index('id="error-summary"') < page.index("<h1>")
    assert re.search(r'id="error-summary"[^>]*autofocus', page)
    assert re.search(r'<button type="submit" form="session-form" name="replace" value="yes"',
                     page)
    kept = form_of(asked).values
    assert (kept["path"], kept["skip_reason"], kept["note"]) == ("skipped", "fatigue", "tired")
    assert [s.id for s in sessions()] == [first.id]  # nothing stored by asking

    replaced = opened.post("/p/", data={**sent, "replace": "yes"})
    assert replaced.status_code == 303
    assert replaced.headers["Location"] == "/p/?saved=skipped"
    old, new = sessions()
    assert (old.id, old.withdrawn_reason, new.status, new.withdrawn_at) == (
        first.id, "replaced", "skipped", None)
    assert old.withdrawn_at is not None and old.status == "done"  # kept as it was
    after = visible(opened.get("/p/"))
    assert "0 sessions so far" in after  # the skip replaced the one done
    [event] = audit_events("session_withdraw")
    assert (event.actor_kind, event.object_id, event.patient_id) == (
        "link", first.id, program.patient_id)
    assert event.detail == {"reason": "replaced", "replaced_by": new.id}


def test_keeping_the_earlier_entry_stores_nothing(opened):
    first = log(opened, path="as_prescribed")
    asked, _ = submit(opened, {"path": "low_energy"})
    assert asked.status_code == 409
    assert 'href="/p/">Keep my earlier entry</a>' in text(asked)
    assert [s.id for s in sessions()] == [first.id]


def test_a_skip_is_thanked_never_congratulated(opened):
    log(opened, path="skipped", skip_reason="low_mood")
    words = visible(opened.get("/p/?saved=skipped"))
    assert "Thanks for letting us know." in words
    assert "Well done" not in words


@pytest.mark.parametrize(("path", "status", "message"), [
    ("as_prescribed", "done", "Saved. Well done for showing up."),
    ("low_energy", "partial", "Saved. A shorter session still counts."),
])
def test_the_saved_message_fits_what_was_logged(opened, path, status, message):
    response, _ = submit(opened, {"path": path})
    assert response.headers["Location"] == f"/p/?saved={status}"
    assert message in visible(opened.get(response.headers["Location"]))


def test_the_patient_removes_todays_entry_and_it_counts_no_more(
        client, opened, program, today):
    logged = log(opened, path="as_prescribed", rpe="5")
    assert "1 session so far" in visible(opened.get("/p/"))
    form = opened.get(f"/p/sessions/{logged.id}")
    assert "Remove this entry" in visible(form)
    [remove_values] = [values for method, action, values in forms_of(form)
                       if action == f"/p/sessions/{logged.id}/remove" and method == "POST"]

    removed = opened.post(f"/p/sessions/{logged.id}/remove", data=remove_values)
    assert removed.status_code == 303
    assert removed.headers["Location"] == "/p/?saved=removed"
    page = visible(opened.get("/p/?saved=removed"))
    assert "Your entry is removed: it no longer counts." in page
    assert "0 sessions so far" in page and "0 of 2 this week" in page
    [kept] = sessions()  # kept in history, marked
    assert (kept.id, kept.withdrawn_reason, kept.status) == (logged.id, "removed", "done")
    assert [(e.actor_kind, e.object_id, e.detail) for e in audit_events("session_withdraw")] == [
        ("link", logged.id, {"reason": "removed"})]
    # Gone from the patient's own links and from the clinician's program page.
    assert opened.get(f"/p/sessions/{logged.id}").status_code == 404
    assert opened.post(f"/p/sessions/{logged.id}/remove",
                       data=remove_values).status_code == 404
    auth = AuthActions(client)
    assert auth.login(THERAPIST).status_code == 303
    words = visible(client.get(f"/programs/assignments/{program.assignment_id}"))
    assert "0 sessions so far" in words
    # A new entry for the day is taken without a question: the removed one does not count.
    log(opened, path="low_energy")


def test_an_entry_made_on_an_earlier_day_cannot_be_removed(opened_earlier, today):
    yesterday = today - timedelta(days=1)
    logged = log(opened_earlier, path="as_prescribed", performed_on=yesterday.isoformat())
    db.session.execute(sa.update(SessionLog).where(SessionLog.id == logged.id)
                       .values(created_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    token = form_of(opened_earlier.get("/p/")).values["csrf_token"]
    refused = opened_earlier.post(f"/p/sessions/{logged.id}/remove",
                                  data={"csrf_token": token})
    assert refused.status_code == 409
    assert "This entry can no longer be removed" in visible(refused)
    [kept] = sessions()
    assert kept.withdrawn_at is None


# Refused values ---------------------------------------------------------------------------


def valid_fields():
    return {"path": "sets", "duration_minutes": "40", "rpe": "5", "mood_before": "4",
            "mood_after": "6", "pain": "1", "pain_where": "left knee", "note": "Felt steady.",
            **{f"ex{i}-set{n}-load": "20" for i in range(4) for n in (1, 2)}}


BAD_VALUES = [
    pytest.param({"rpe": "11"}, "rpe", "How hard: use a number from 0 to 10.", id="rpe-11"),
    pytest.param({"mood_before": "-1"}, "mood_before", "Mood before: use a number from 0 to 10.",
                 id="mood-minus-1"),
    pytest.param({"pain": "x"}, "pain", "Pain: enter a whole number.", id="pain-x"),
    pytest.param({"ex0-set1-reps": "-1"}, "ex0-set1-reps", "Reps: use a number from 0 to 200.",
                 id="reps-minus-1"),
    pytest.param({"ex0-set1-load": "501"}, "ex0-set1-load", "Enter a load between 0 and 500 kg.",
                 id="load-501"),
    pytest.param({"ex1-set2-load": "abc"}, "ex1-set2-load", "Enter a load in kg, like 12.5.",
                 id="load-abc"),
    pytest.param({"performed_on": "tomorrow"}, "performed_on",
                 "The date cannot be in the future.", id="future-date"),
    pytest.param({"path": "skipped", "skip_reason": None}, "skip_reason",
                 "Choose a reason; it helps your clinician help you.", id="skip-no-reason"),
    pytest.param({"path": None}, "path", "Choose how the session went.", id="no-path"),
]


FIXES = {"rpe": "5", "mood_before": "4", "pain": "1", "ex0-set1-reps": "8",
         "ex0-set1-load": "20", "ex1-set2-load": "20", "skip_reason": "no_time", "path": "sets"}


@pytest.mark.parametrize(("bad", "field", "message"), BAD_VALUES)
def test_a_bad_value_is_refused_at_its_field_with_every_other_value_kept(
        opened, today, bad, field, message):
    if bad.get("performed_on") == "tomorrow":
        bad = {**bad, "performed_on": (today + timedelta(days=1)).isoformat()}
    response, sent = submit(opened, {**valid_fields(), **bad})

    assert response.status_code == 422
    assert ERROR_AT.findall(text(response)) == [(field, message)]
    assert "Everything else you entered is kept." in visible(response)
    if field in ("rpe", "mood_before", "pain"):
        assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', text(response)), field
    kept = form_of(response).values
    for name, value in sent.items():
        if name in ("csrf_token", "submission_key"):
            continue
        assert kept.get(name) == value, f"{name}: sent {value!r}, shown {kept.get(name)!r}"
    assert sessions() == []
    assert alerts() == []
    # Mending the one field, in the page as shown, stores the session.
    again, _ = submit(opened, {field: FIXES.get(field, today.isoformat())}, page=response)
    assert again.status_code == 303, ERROR_AT.findall(text(again))
    assert len(sessions()) == 1


# Correcting today's entry ------------------------------------------------------------------


def test_a_same_day_correction_updates_the_entry(opened, level):
    logged = log(opened, **without_sets(**{"path": "sets", "rpe": "5", "note": "first go",
                                           "ex0-set1-reps": "8", "ex0-set1-load": "20"}))
    page = opened.get("/p/?saved=1")
    assert f'href="/p/sessions/{logged.id}"' in text(page)

    form = opened.get(f"/p/sessions/{logged.id}")
    assert form.status_code == 200
    assert f"Change today{APOSTROPHE}s entry" in visible(form)
    shown = form_of(form).values
    assert (shown["path"], shown["rpe"], shown["note"], shown["ex0-set1-reps"],
            shown["ex0-set1-load"]) == ("sets", "5", "first go", "8", "20.00")
    assert shown["submission_key"] == logged.submission_key

    response, _ = submit(opened, {"rpe": "3", "note": "it was easier than I said",
                                  "ex0-set1-reps": "10", "ex0-set2-reps": "9",
                                  "ex0-set2-load": "20"},
                         url=f"/p/sessions/{logged.id}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/p/?saved=partial"
    [corrected] = sessions()
    assert corrected.id == logged.id
    assert (corrected.rpe, corrected.note, corrected.status) == (3, "it was easier than I said",
                                                                 "partial")
    assert corrected.updated_at is not None
    assert [(r.set_number, r.reps, r.load_kg) for r in set_rows(logged.id)] == [
        (1, 10, Decimal("20")), (2, 9, Decimal("20"))]
    assert_targets_copied(set_rows(logged.id), level)


def test_a_correction_with_a_bad_value_keeps_the_entry_as_it_was(opened):
    logged = log(opened, path="as_prescribed", rpe="5")
    response, _ = submit(opened, {"rpe": "12"}, url=f"/p/sessions/{logged.id}")
    assert response.status_code == 422
    assert ERROR_AT.findall(text(response)) == [("rpe", "How hard: use a number from 0 to 10.")]
    assert form_of(response).values["rpe"] == "12"
    [kept] = sessions()
    assert kept.rpe == 5 and kept.updated_at is None


def test_another_assignments_session_answers_404(
        opened, program, clinic, therapist, make_program, today):
    other = other_patient(clinic, therapist, make_program)
    theirs = services.log_session(other.assignment_id, entry(today, rpe=6), source="patient")
    not_found = opened.get("/p/no/such/page")
    for session_id in (theirs.id, theirs.id + 1000):
        assert opened.get(f"/p/sessions/{session_id}").status_code == 404
        response, _ = submit(opened, {"rpe": "1", "path": "as_prescribed"},
                             page=opened.get("/p/"), url=f"/p/sessions/{session_id}")
        assert response.status_code == 404
        assert text(response) == text(not_found)
    assert [s.rpe for s in sessions(other.assignment_id)] == [6]
    assert sessions(program.assignment_id) == []


def test_a_clinicians_entry_cannot_be_changed_through_the_link(
        opened, program, therapist, today):
    supervised = services.log_session(program.assignment_id, entry(today), source="clinician",
                                      actor=therapist)
    assert opened.get(f"/p/sessions/{supervised.id}").status_code == 404
    assert f"/p/sessions/{supervised.id}" not in text(opened.get("/p/"))


# Alerts -------------------------------------------------------------------------------------


def test_pain_of_7_raises_one_alert_naming_the_session(opened_earlier, earlier_program, today):
    yesterday, _ = last_days(today, 2)
    # pain 4: a review, shown on the session only
    calm = log(opened_earlier, path="as_prescribed", pain="4", performed_on=yesterday)
    assert alerts() == []
    painful = log(opened_earlier, path="as_prescribed", pain="7", pain_where="lower back")
    [alert] = alerts()
    assert (alert.kind, alert.session_log_id, alert.patient_id) == (
        "pain_reported", painful.id, earlier_program.patient_id)
    assert "7/10" in alert.detail["reason"]
    assert calm.id != painful.id
    # Correcting the same entry (pain still 7) raises nothing new.
    response, _ = submit(opened_earlier, {"note": "still sore"},
                         url=f"/p/sessions/{painful.id}")
    assert response.status_code == 303
    assert len(alerts()) == 1


def test_a_back_dated_painful_entry_still_raises_the_pain_alert(
        browser, make_program, patient, today):
    program = make_program(patient, start=today - timedelta(days=14))
    open_link(browser, program.token)
    log(browser, path="as_prescribed", pain="0")
    yesterday = (today - timedelta(days=1)).isoformat()
    late = log(browser, path="as_prescribed", pain="8", performed_on=yesterday)
    assert [(a.kind, a.session_log_id) for a in alerts()] == [("pain_reported", late.id)]


def test_a_back_dated_entry_does_not_raise_a_pain_alert_it_did_not_report(
        browser, make_program, patient, today):
    program = make_program(patient, start=today - timedelta(days=14))
    open_link(browser, program.token)
    painful = log(browser, path="as_prescribed", pain="7")
    yesterday = (today - timedelta(days=1)).isoformat()
    log(browser, path="as_prescribed", pain="0", performed_on=yesterday)
    assert [(a.kind, a.session_log_id) for a in alerts()] == [("pain_reported", painful.id)]


def test_session_rpe_8_twice_in_a_row_raises_high_rpe(opened_earlier, earlier_program, today):
    first, second_day = last_days(today, 2)
    log(opened_earlier, path="as_prescribed", rpe="8", performed_on=first)
    assert alerts() == []
    second = log(opened_earlier, path="as_prescribed", rpe="9", performed_on=second_day)
    [alert] = alerts()
    assert (alert.kind, alert.session_log_id, alert.patient_id) == (
        "high_rpe", second.id, earlier_program.patient_id)


def test_rpe_8_once_then_a_lighter_session_raises_nothing(opened_earlier, today):
    for day, rpe in zip(last_days(today, 3), ("8", "5", "8"), strict=True):
        log(opened_earlier, path="as_prescribed", rpe=rpe, performed_on=day)
    assert alerts() == []


def test_three_skips_in_a_row_for_low_mood_raise_one_alert(opened_earlier, earlier_program,
                                                          today):
    days = last_days(today, 3)
    for day in days[:2]:
        log(opened_earlier, path="skipped", skip_reason="low_mood", performed_on=day)
    assert alerts() == []
    third = log(opened_earlier, path="skipped", skip_reason="low_mood", performed_on=days[2])
    [alert] = alerts()
    assert (alert.kind, alert.session_log_id, alert.patient_id) == (
        "low_mood_skips", third.id, earlier_program.patient_id)


def test_skips_for_other_reasons_raise_no_low_mood_alert(opened_earlier, today):
    reasons = ("low_mood", "fatigue", "low_mood", "low_mood")
    for day, reason in zip(last_days(today, 4), reasons, strict=True):
        log(opened_earlier, path="skipped", skip_reason=reason, performed_on=day)
    assert alerts() == []


# The daily check for missed sessions ----------------------------------------------------------


def check_sessions(runner):
    result = runner.invoke(args=["programs", "check-sessions"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_check_sessions_raises_one_missed_sessions_alert(
        runner, make_program, patient, today):
    program = make_program(patient, start=today - timedelta(weeks=3))

    assert check_sessions(runner) == "1 missed-session alert(s) raised."
    [alert] = alerts()
    assert (alert.kind, alert.patient_id, alert.session_log_id) == (
        "missed_sessions", patient.id, None)
    assert alert.detail["assignment"] == program.assignment_id
    assert "No session done in the last 2 planned weeks" in alert.detail["reason"]

    assert check_sessions(runner) == "0 missed-session alert(s) raised."
    with time_machine.travel(utcnow() + timedelta(days=3), tick=False):
        assert check_sessions(runner) == "0 missed-session alert(s) raised."
    assert len(alerts()) == 1


def test_check_sessions_leaves_new_and_active_programs_alone(
        runner, make_program, patient, clinic, therapist, today):
    make_program(patient)  # started today: no planned week is over yet
    active = other_patient(clinic, therapist, make_program, start=today - timedelta(weeks=3))
    for days_ago in (7, 14):  # one session in each of the last two complete weeks
        services.log_session(active.assignment_id,
                             entry(today - timedelta(days=days_ago), submission_key=str(days_ago)),
                             source="patient")
    assert check_sessions(runner) == "0 missed-session alert(s) raised."
    assert alerts() == []


def test_check_sessions_raises_nothing_once_the_patient_is_back(
        runner, browser, make_program, patient, today):
    program = make_program(patient, start=today - timedelta(weeks=3))
    open_link(browser, program.token)
    log(browser, path="low_energy")  # two quiet weeks, then a session today
    assert check_sessions(runner) == "0 missed-session alert(s) raised."
    assert alerts() == []


def test_an_acknowledged_missed_sessions_alert_is_not_raised_again_for_the_same_weeks(
        runner, make_program, patient, therapist, today):
    make_program(patient, start=today - timedelta(weeks=3))
    assert check_sessions(runner) == "1 missed-session alert(s) raised."
    [alert] = alerts()
    acknowledge_alert(therapist, alert.id, "Phoned; we agreed to start again on Monday.")
    # The cron runs again the same day: nothing has changed since the clinician acted.
    assert check_sessions(runner) == "0 missed-session alert(s) raised."
    assert len(alerts()) == 1


def test_check_sessions_raises_nothing_for_a_discharged_patient(
        runner, make_program, patient, therapist, today):
    make_program(patient, start=today - timedelta(weeks=3))
    set_discharged(therapist, patient.id, True)
    assert check_sessions(runner) == "0 missed-session alert(s) raised."
    assert alerts() == []


# Paused, revoked, rotated, completed, unknown ---------------------------------------------------


def test_a_paused_program_shows_a_calm_message_and_refuses_logging(
        opened, program, therapist):
    form_before = opened.get("/p/")  # the form as it was before the pause
    services.set_status(therapist, program.assignment_id, "paused")

    page = opened.get("/p/")
    assert page.status_code == 200
    assert "Your program is paused for now." in visible(page)
    assert 'name="path"' not in text(page)
    assert "Paused this week" in visible(page)

    response, _ = submit(opened, {"path": "as_prescribed"}, page=form_before)
    assert response.status_code == 409
    assert sessions() == []
    # A form left open before the pause gets the same calm words, not a technical error.
    assert "Your program is paused for now." in visible(response)

    services.set_status(therapist, program.assignment_id, "active")
    assert submit(opened, {"path": "as_prescribed"})[0].status_code == 303


def test_a_revoked_link_says_so_with_410_and_stores_nothing(
        app, opened, program, therapist):
    form_before = opened.get("/p/")
    services.revoke_link(therapist, program.assignment_id)

    page = opened.get("/p/")  # the browser that had it open
    assert page.status_code == 410
    assert "This link is no longer active" in visible(page)
    assert "ask your clinician for your current link." in visible(page)
    response, _ = submit(opened, {"path": "as_prescribed"}, page=form_before)
    assert response.status_code == 410

    fresh = app.test_client()  # the link opened anew: the calm page at once, no redirect
    first = fresh.get(f"/p/{program.token}")
    assert first.status_code == 410
    assert "This link is no longer active" in visible(first)
    assert "Page not found" not in visible(first)
    assert sessions() == []


def test_a_rotated_links_old_token_gets_the_calm_page_and_the_new_one_works(
        app, program, therapist):
    services.rotate_link(therapist, program.assignment_id)
    new_token = program_token(fresh(Assignment, program.assignment_id))
    assert new_token != program.token

    old = app.test_client()  # the replaced link opened fresh: calm, never "Page not found"
    replaced = old.get(f"/p/{program.token}")
    assert replaced.status_code == 410
    assert "This link is no longer active" in visible(replaced)
    assert "replaced by a newer link" in visible(replaced)
    assert old.get("/p/").status_code == 404  # nothing was remembered

    new_browser = app.test_client()
    assert open_link(new_browser, new_token).status_code == 200
    log(new_browser, path="as_prescribed")
    assert len(sessions()) == 1


def test_a_rotated_link_stops_in_a_browser_that_opened_the_old_one(
        opened, program, therapist):
    form_before = opened.get("/p/")
    services.rotate_link(therapist, program.assignment_id)

    # The old link "stops working at once": also where it was opened before the rotation.
    assert opened.get("/p/").status_code in (404, 410)
    response, _ = submit(opened, {"path": "as_prescribed"}, page=form_before)
    assert response.status_code in (404, 410)
    assert sessions() == []


def test_a_completed_programs_link_stops(app, opened, program, therapist):
    logged = log(opened, path="as_prescribed")
    form_before = opened.get("/p/")
    services.set_status(therapist, program.assignment_id, "completed")

    page = opened.get("/p/")
    assert page.status_code == 410
    assert "This program is finished" in visible(page)
    assert submit(opened, {"path": "as_prescribed"}, page=form_before)[0].status_code == 410
    assert opened.get(f"/p/sessions/{logged.id}").status_code == 410

    fresh = app.test_client()
    finished = fresh.get(f"/p/{program.token}")
    assert finished.status_code == 410 and "This program is finished" in visible(finished)
    assert len(sessions()) == 1


def test_an_unknown_token_gets_the_same_calm_page_as_a_replaced_one(
        app, browser, program, therapist):
    token = program.token
    unknown = ("A" if token[0] != "A" else "B") + token[1:]  # right shape, no such link
    services.rotate_link(therapist, program.assignment_id)
    pages = [browser.get(f"/p/{unknown}"), browser.get("/p/not-a-token"),
             app.test_client().get(f"/p/{token}")]
    assert [p.status_code for p in pages] == [410, 410, 410]
    assert len({text(p) for p in pages}) == 1  # a guess learns nothing a replaced link would not
    assert NAME not in text(pages[0]) and "program" not in text(pages[0]).lower()
    assert browser.get("/p/no/such/page").status_code == 404
    assert browser.get("/p/").status_code == 404  # nothing was remembered


def test_without_an_opened_link_the_page_is_404(browser, program):
    assert browser.get("/p/").status_code == 404
    assert browser.get("/p/sessions/1").status_code == 404


# Rate limiting ---------------------------------------------------------------------------------


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_PATIENT_LINKS": "3 per minute"}])
def test_opening_program_links_is_rate_limited(browser, program):
    for n in range(3):  # guessing tokens counts as much as opening a real one
        assert browser.get(f"/p/{'x' * 42}{n}").status_code == 410
    limited = browser.get(f"/p/{program.token}")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert program.token not in text(limited)
    assert NAME not in text(limited)


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_PATIENT_LINKS": "3 per minute"}])
def test_posting_sessions_is_rate_limited(browser, program):
    page = open_link(browser, program.token)
    for _ in range(3):
        assert submit(browser, {"path": None}, page=page)[0].status_code == 422
    limited, _ = submit(browser, {"path": "as_prescribed"}, page=page)
    assert limited.status_code == 429
    assert sessions() == []


# What the clinician sees -------------------------------------------------------------------


def test_two_sessions_this_week_show_on_the_assignment_page_and_the_dashboard(
        client, opened, program, therapist, today):
    log(opened, path="as_prescribed", rpe="5", mood_before="3", mood_after="6")
    # The patient keeps one entry a day; the second, supervised, is the clinician's.
    services.log_session(program.assignment_id, entry(today, status="partial", low_energy=True,
                                                      rpe=4), source="clinician",
                         actor=fresh(type(therapist), therapist.id))
    patient_view = visible(opened.get("/p/"))
    assert "2 of 2 this week" in patient_view
    assert "2 sessions so far" in patient_view

    auth = AuthActions(client)
    assert auth.login(THERAPIST).status_code == 303
    page = client.get(f"/programs/assignments/{program.assignment_id}")
    assert page.status_code == 200
    words = visible(page)
    # This week: one full session and one low-energy one, credited 1 + 0.5 of 2 planned.
    assert "75% over the last 4 complete weeks" in words
    assert "2 sessions so far" in words
    assert "the patient sees: “2 of 2 this week”, “2 sessions so far”" in words
    sessions_table = text(page).split('id="sessions-heading"')[1].split("</table>")[0]
    assert sessions_table.count("<tr") == 3  # the header and two sessions
    assert "done" in sessions_table and "partial (low-energy)" in sessions_table

    dashboard = client.get("/")
    assert dashboard.status_code == 200
    row = next(r for r in text(dashboard).split("<tr>") if NAME in r)
    assert "75% adherence" in words_of(row)



def test_a_session_before_the_program_started_is_refused(program, today, browser):
    """A session cannot predate its program: refused at the date field, nothing stored."""
    from clinic.errors import ServiceError

    with pytest.raises(ServiceError, match="The program started on"):
        services.log_session(program.assignment_id, entry(today - timedelta(days=1)),
                             source="patient")
    assert sessions(program.assignment_id) == []
