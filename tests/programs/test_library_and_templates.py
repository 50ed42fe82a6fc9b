"""The exercise library and program templates with graded levels, through the real pages.

Every page is used as a browser would (real login, real CSRF token); every effect, and every
refusal, is checked in the database after the request. A refused form must come back with its
message and with everything the clinician typed, so nothing has to be entered twice.
"""

import functools
import re
from datetime import timedelta

import pytest
from factories import (
    AssignmentFactory,
    ClinicFactory,
    ExerciseFactory,
    PatientFactory,
    SessionFactory,
    TemplateFactory,
    UserFactory,
    builtin,
    builtin_library,
    level,
    level_row,
)
from helpers import audit as audit_of
from helpers import fresh, rows, unescaped
from html_forms import form_of

from clinic.auth.models import Role
from clinic.catalogue import library
from clinic.catalogue import services as catalogue
from clinic.catalogue.models import (
    PATTERNS,
    SETTINGS,
    Exercise,
    LevelExercise,
    ProgramTemplate,
    TemplateLevel,
)
from clinic.programs import services
from clinic.programs.models import Assignment, SessionLog, SetLog

# Helpers ---------------------------------------------------------------------------------------


# The catalogue's audit rows name no patient.
audit = functools.partial(audit_of, fields=("actor_id", "object_id", "detail"))


def level_form(name="Getting started", min_weeks="2", sessions="2", criteria="", rows=None):
    """The level editor's fields; ``rows`` maps a row index of the form to that row's fields."""
    data = {"name": name, "min_weeks": min_weeks, "sessions_per_week": sessions,
            "criteria": criteria}
    for index, row in (rows or {}).items():
        for key, value in row.items():
            data[f"row{index}-{key}"] = value
    return data


def row(exercise_id, sets="2", reps_min="8", reps_max="12", load_kind="rpe", load_target="3-4",
        rest_seconds="90", is_key="y"):
    fields = {"exercise_id": str(exercise_id), "sets": sets, "reps_min": reps_min,
              "reps_max": reps_max, "load_kind": load_kind, "load_target": load_target,
              "rest_seconds": rest_seconds}
    if is_key:
        fields["is_key"] = is_key
    return fields


def exercise_form(**overrides):
    data = {"name": "Towel row", "pattern": "pull_horizontal", "ladder_step": "2",
            "setting": "home", "measure": "bodyweight_reps", "equipment": "a towel and a door",
            "cue1": "Loop the towel round the door handle.", "cue2": "Lean back, arms long.",
            "cue3": "Pull your chest to your hands.", "easier_tip": "Stand more upright."}
    data.update(overrides)
    return data


# Fixtures --------------------------------------------------------------------------------------


@pytest.fixture
def builtins(app):
    """The built-in library, as ``flask programs sync-library`` inserts it."""
    added = builtin_library()
    assert added == len(library.EXERCISES)
    return added


@pytest.fixture
def clinic():
    return ClinicFactory(name="Riverside")


@pytest.fixture
def other_clinic():
    return ClinicFactory(name="Hilltop")


@pytest.fixture
def therapist(clinic):
    return UserFactory(clinic=clinic, role=Role.THERAPIST, email="thera@a.test", name="Tess")


@pytest.fixture
def stranger(other_clinic):
    return UserFactory(clinic=other_clinic, role=Role.ADMIN, email="admin@b.test", name="Bea")


@pytest.fixture
def logged_in(auth, therapist):
    auth.login(therapist.email)
    return auth


@pytest.fixture
def template(builtins, therapist):
    """An empty program of the clinic (one level without exercises), made through the service."""
    return TemplateFactory(actor=therapist, name="Home basics",
                           description="Two sessions a week at home.", levels=[])


# The built-in library --------------------------------------------------------------------------


def test_builtin_library_covers_every_pattern_and_setting(builtins, client, logged_in):
    items = rows(Exercise, Exercise.clinic_id.is_(None))
    assert len(items) >= 30
    assert {e.pattern for e in items} == set(PATTERNS)
    assert {e.setting for e in items} == set(SETTINGS)
    # Every ladder is numbered 1..n with no gap, easiest first.
    for pattern in PATTERNS:
        steps = sorted(e.ladder_step for e in items if e.ladder == pattern)
        assert steps == list(range(1, len(steps) + 1)), pattern
    # Syncing again changes nothing.
    assert builtin_library() == 0
    assert len(rows(Exercise)) == len(items)

    page = client.get("/programs/exercises")
    assert page.status_code == 200
    body = unescaped(page)
    for heading in ("Squat", "Hinge", "Push (horizontal)", "Press (vertical)",
                    "Pull (horizontal)", "Pull (vertical)", "Carry", "Core"):
        assert f"<h2>{heading}</h2>" in body
    for e in items:
        assert e.name in body
    assert "clinic</span>" not in body  # no clinic exercises yet


# A clinic's own exercises ----------------------------------------------------------------------


def test_clinic_adds_its_own_exercise_seen_only_by_that_clinic(
        builtins, client, logged_in, therapist, stranger, clinic):
    response = logged_in.post("/programs/exercises", exercise_form(),
                              token_page="/programs/exercises")
    assert response.status_code == 303
    assert response.headers["Location"] == "/programs/exercises"

    [mine] = rows(Exercise, Exercise.clinic_id.is_not(None))
    assert (mine.clinic_id, mine.name, mine.pattern, mine.ladder, mine.ladder_step,
            mine.setting, mine.measure, mine.equipment) == (
        clinic.id, "Towel row", "pull_horizontal", "pull_horizontal", 2, "home",
        "bodyweight_reps", "a towel and a door")
    assert mine.cues == ["Loop the towel round the door handle.", "Lean back, arms long.",
                         "Pull your chest to your hands."]
    assert mine.easier_tip == "Stand more upright."
    assert mine.retired_at is None
    assert audit("exercise_create") == [(therapist.id, mine.id, {})]

    page = unescaped(client.get("/programs/exercises"))
    assert "Exercise added." in page
    assert re.search(r"Towel row <span class=\"badge badge-muted\">clinic</span>", page)
    # It is offered in the clinic's level editor ...
    template = catalogue.create_template(therapist, "Rows at home", "")
    level_id = template.levels[0].id
    editor = form_of(client.get(f"/programs/templates/{template.id}/levels/{level_id}"))
    assert str(mine.id) in editor.options["row0-exercise_id"]

    # ... and nowhere in another clinic.
    logged_in.logout()
    logged_in.login(stranger.email)
    other = client.get("/programs/exercises")
    assert other.status_code == 200
    assert "Towel row" not in unescaped(other)
    theirs = catalogue.create_template(stranger, "Their program", "")
    editor = form_of(client.get(
        f"/programs/templates/{theirs.id}/levels/{theirs.levels[0].id}"))
    assert str(mine.id) not in editor.options["row0-exercise_id"]
    assert len(editor.options["row0-exercise_id"]) == len(library.EXERCISES) + 1  # "—" first
    # Another clinic may not retire it either: 404, as for a missing id.
    assert logged_in.post(f"/programs/exercises/{mine.id}/retire").status_code == 404
    assert fresh(Exercise, mine.id).retired_at is None


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"name": ""}, "name", "Name the exercise."),
    ({"ladder_step": "25"}, "ladder_step", "Use a step from 1 to 20."),
    ({"ladder_step": "0"}, "ladder_step", "Use a step from 1 to 20."),
    ({"cue1": ""}, "cue1", "Give at least one form cue."),
])
def test_bad_exercise_input_is_refused_and_kept(builtins, client, logged_in, overrides, field,
                                                message):
    data = exercise_form(pattern="hinge", setting="dumbbells", measure="load_reps",
                         **overrides)
    response = logged_in.post("/programs/exercises", data, token_page="/programs/exercises")
    assert response.status_code == 422
    body = unescaped(response)
    assert f'<p class="error-message" id="{field}-error"><span>{message}</span>' in body
    kept = form_of(response).values
    for key, value in data.items():
        assert kept[key] == value, key
    assert rows(Exercise, Exercise.clinic_id.is_not(None)) == []
    assert audit("exercise_create") == []


def test_a_second_exercise_with_the_same_name_is_refused(builtins, client, logged_in):
    assert logged_in.post("/programs/exercises", exercise_form(),
                          token_page="/programs/exercises").status_code == 303
    again = exercise_form(name="  towel   ROW ", cue1="Another cue.")
    response = logged_in.post("/programs/exercises", again, token_page="/programs/exercises")
    assert response.status_code == 422
    assert "Your clinic already has an exercise with this name." in unescaped(response)
    assert form_of(response).values["cue1"] == "Another cue."
    assert len(rows(Exercise, Exercise.clinic_id.is_not(None))) == 1


def test_retired_exercise_leaves_the_level_editor_but_stays_for_logs(
        builtins, client, logged_in, therapist, clinic):
    own = ExerciseFactory(actor=therapist, name="Towel row", pattern="pull_horizontal",
                          equipment="towel", cues=["Lean back.", "", ""])
    template = TemplateFactory(actor=therapist, name="Rows at home", levels=[
        level(level_row(own, rest_seconds=60), name="Level 1")])
    patient = PatientFactory(clinic=clinic, primary=therapist)
    today = services.clinic_today(patient.id)
    assignment = AssignmentFactory(actor=therapist, patient=patient, template=template,
                                   start_date=today - timedelta(days=7))
    SessionFactory(assignment=assignment, performed_on=today - timedelta(days=1),
                   source="clinician", actor=therapist, rpe=5, mood_before=4,
                   submission_key="k1",
                   sets={0: [{"reps": 9, "load_kg": None, "seconds": None}] * 2})

    response = logged_in.post(f"/programs/exercises/{own.id}/retire",
                              token_page="/programs/exercises")
    assert response.status_code == 303
    assert fresh(Exercise, own.id).retired_at is not None
    assert audit("exercise_retire") == [(therapist.id, own.id, {})]

    # The library still lists it, marked retired, with a way back.
    page = unescaped(client.get("/programs/exercises"))
    assert re.search(r"Towel row <span class=\"badge badge-muted\">clinic</span> "
                     r"<span class=\"badge badge-muted\">retired</span>", page)
    assert f"/programs/exercises/{own.id}/restore" in page
    # A level that uses it keeps it (a re-save must not drop it silently); no other level
    # is offered it.
    editor = form_of(client.get(f"/programs/templates/{template.id}/levels/"
                                f"{template.levels[0].id}"))
    assert editor.values["row0-exercise_id"] == str(own.id)
    other = catalogue.create_template(therapist, "Something else", "")
    other_editor = form_of(client.get(f"/programs/templates/{other.id}/levels/"
                                      f"{other.levels[0].id}"))
    for index in range(8):
        assert str(own.id) not in other_editor.options[f"row{index}-exercise_id"]
    # The logs keep it: the set rows, the exercise row, and the strength trend.
    assert [s.exercise_id for s in rows(SetLog)] == [own.id, own.id]
    program = client.get(f"/programs/assignments/{assignment.id}")
    assert program.status_code == 200
    assert "Towel row <span class=\"muted\">best reps, ladder step 2</span>" in unescaped(program)
    # The patient's prescription keeps it too: a session can still be logged with it.
    logged = logged_in.post(f"/programs/assignments/{assignment.id}/sessions/new", {
        "performed_on": today.isoformat(), "path": "as_prescribed", "rpe": "5",
        "submission_key": "k2"})
    assert logged.status_code == 303
    assert len(rows(SessionLog)) == 2
    assert [s.exercise_id for s in rows(SetLog)] == [own.id] * 4

    # Restoring brings it back to the editor.
    assert logged_in.post(f"/programs/exercises/{own.id}/restore").status_code == 303
    assert fresh(Exercise, own.id).retired_at is None
    editor = form_of(client.get(f"/programs/templates/{template.id}/levels/"
                                f"{template.levels[0].id}"))
    assert editor.values["row0-exercise_id"] == str(own.id)


def test_builtin_exercises_cannot_be_retired(builtins, client, logged_in):
    squat = builtin("goblet_squat")
    response = logged_in.post(f"/programs/exercises/{squat.id}/retire",
                              token_page="/programs/exercises")
    assert response.status_code == 303
    assert "Built-in exercises cannot be retired." in unescaped(client.get("/programs/exercises"))
    assert fresh(Exercise, squat.id).retired_at is None
    assert audit("exercise_retire") == []
    page = unescaped(client.get("/programs/exercises"))
    assert f"/programs/exercises/{squat.id}/retire" not in page  # no button offered


# Templates: create and rename ------------------------------------------------------------------


def test_create_a_program_with_one_empty_level(builtins, client, logged_in, therapist):
    response = logged_in.post("/programs/templates", {"name": "  Home basics ",
                                                      "description": "At home first."},
                              token_page="/programs/templates")
    assert response.status_code == 303
    [template] = rows(ProgramTemplate)
    assert response.headers["Location"] == f"/programs/templates/{template.id}"
    assert (template.name, template.description, template.version, template.created_by_id,
            template.archived_at) == ("Home basics", "At home first.", 1, therapist.id, None)
    assert [(lv.position, lv.name, lv.min_weeks, lv.sessions_per_week, len(lv.exercises))
            for lv in template.levels] == [(0, "Level 1", 2, 2, 0)]
    assert audit("template_create") == [(therapist.id, template.id, {})]
    page = unescaped(client.get(response.headers["Location"]))
    assert "Home basics <span class=\"muted\">version 1</span>" in page
    assert "No exercises yet: a level needs at least one." in page

    again = logged_in.post("/programs/templates", {"name": "Home basics"},
                           token_page="/programs/templates")
    assert again.status_code == 422
    assert "Your clinic already has a program with this name." in unescaped(again)
    assert form_of(again).values["name"] == "Home basics"
    assert len(rows(ProgramTemplate)) == 1


def test_rename_and_a_duplicate_name_is_refused(builtins, client, logged_in, therapist,
                                                 template, stranger):
    catalogue.create_template(therapist, "Barbell basics", "")
    catalogue.create_template(stranger, "Gym later", "")  # another clinic's name is no clash
    url = f"/programs/templates/{template.id}"

    renamed = logged_in.post(url, {"name": "Gym later", "description": "Now in the gym."},
                             token_page=url)
    assert renamed.status_code == 303
    current = fresh(ProgramTemplate, template.id)
    assert (current.name, current.description, current.version) == (
        "Gym later", "Now in the gym.", 2)
    assert audit("template_update") == [(therapist.id, template.id, {})]

    clash = logged_in.post(url, {"name": "Barbell basics", "description": "Typed text."},
                           token_page=url)
    assert clash.status_code == 422
    assert "Your clinic already has a program with this name." in unescaped(clash)
    kept = form_of(clash).values
    assert (kept["name"], kept["description"]) == ("Barbell basics", "Typed text.")
    current = fresh(ProgramTemplate, template.id)
    assert (current.name, current.description, current.version) == (
        "Gym later", "Now in the gym.", 2)

    # Another clinic cannot see it at all.
    logged_in.logout()
    logged_in.login(stranger.email)
    assert client.get(url).status_code == 404


# The level editor ------------------------------------------------------------------------------


def _level_url(template):
    return f"/programs/templates/{template.id}/levels/{template.levels[0].id}"


def test_a_valid_level_is_saved_and_bumps_the_version(builtins, client, logged_in, therapist,
                                                      template):
    squat, push = builtin("goblet_squat"), builtin("push_up")
    url = _level_url(template)
    data = level_form(name="Home with light weights", min_weeks="3", sessions="3",
                      criteria="Two good weeks.", rows={
                          0: row(squat.id, sets="2", reps_min="8", reps_max="12",
                                 load_kind="kg", load_target="8", rest_seconds="120"),
                          3: row(push.id, sets="1", reps_min="5", reps_max="10",
                                 load_kind="bodyweight", load_target="", rest_seconds="60",
                                 is_key=None),
                          5: {"exercise_id": "", "sets": "9"},  # an empty row is dropped
                      })
    response = logged_in.post(url, data, token_page=url)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/programs/templates/{template.id}"

    current = fresh(ProgramTemplate, template.id)
    assert current.version == 2
    [level] = current.levels
    assert (level.name, level.min_weeks, level.sessions_per_week, level.criteria) == (
        "Home with light weights", 3, 3, "Two good weeks.")
    assert [(e.position, e.exercise_id, e.sets, e.reps_min, e.reps_max, e.load_kind,
             e.load_target, e.rest_seconds, e.is_key) for e in level.exercises] == [
        (0, squat.id, 2, 8, 12, "kg", "8", 120, True),
        (1, push.id, 1, 5, 10, "bodyweight", "", 60, False),
    ]
    assert audit("template_level_save") == [(therapist.id, template.id, {"level": 0})]

    # The editor shows what was saved; saving again replaces the rows and bumps again.
    editor = form_of(client.get(url)).values
    assert (editor["row0-exercise_id"], editor["row0-sets"], editor["row1-exercise_id"],
            editor["row0-is_key"], editor.get("row1-is_key")) == (
        str(squat.id), "2", str(push.id), "y", None)
    again = logged_in.post(url, level_form(rows={0: row(push.id)}), token_page=url)
    assert again.status_code == 303
    current = fresh(ProgramTemplate, template.id)
    assert current.version == 3
    assert [e.exercise_id for e in current.levels[0].exercises] == [push.id]
    assert len(rows(LevelExercise)) == 1


def _assert_refused(logged_in, template, data, expected):
    """Post ``data`` to the level editor: 422, each expected message, every typed value kept,
    and nothing saved."""
    url = _level_url(template)
    before = fresh(ProgramTemplate, template.id).version
    response = logged_in.post(url, data, token_page=url)
    assert response.status_code == 422
    body = unescaped(response)
    for message in expected:
        assert message in body, message
    form = form_of(response)
    kept = form.values
    for key, value in data.items():
        if key.endswith("-exercise_id") and value not in form.options[key]:
            assert kept[key] == "", key  # not offered (another clinic's): back to "—"
        else:
            assert kept[key] == value, key
    for index in range(8):  # boxes left unticked stay unticked
        if f"row{index}-is_key" not in data:
            assert f"row{index}-is_key" not in form.checked
    current = fresh(ProgramTemplate, template.id)
    assert current.version == before
    assert rows(LevelExercise) == []
    assert (current.levels[0].name, current.levels[0].min_weeks,
            current.levels[0].sessions_per_week) == ("Level 1", 2, 2)
    assert audit("template_level_save") == []
    return response


@pytest.mark.parametrize("sets", ["0", "11"])
def test_level_sets_outside_1_to_10_are_refused(builtins, client, logged_in, template, sets):
    squat, push = builtin("goblet_squat"), builtin("push_up")
    data = level_form(name="Typed name", min_weeks="4", sessions="3", criteria="Typed criteria",
                      rows={0: row(squat.id), 2: row(push.id, sets=sets, load_target="5-6")})
    response = _assert_refused(logged_in, template, data, [
        '<a href="#row2-sets">Row 3: Sets must be 1 to 10.</a>'])
    values = form_of(response).values
    assert (values["row0-exercise_id"], values["row2-exercise_id"]) == (
        str(squat.id), str(push.id))
    assert '<a href="#row0-' not in unescaped(response)  # the good row has no error


def test_level_reps_min_above_reps_max_is_refused(builtins, client, logged_in, template):
    squat = builtin("goblet_squat")
    data = level_form(rows={1: row(squat.id, reps_min="12", reps_max="8", load_kind="kg",
                                   load_target="10", rest_seconds="75")})
    _assert_refused(logged_in, template, data, [
        '<a href="#row1-reps_min">Row 2: The lower end of the range must not be above the '
        'upper end.</a>'])


def test_an_empty_level_is_refused(builtins, client, logged_in, template):
    data = level_form(name="Nothing yet", min_weeks="5", sessions="2", criteria="Later.",
                      rows={0: {"exercise_id": "", "sets": "3", "reps_min": "8",
                                "reps_max": "12", "load_target": "light"}})
    response = _assert_refused(logged_in, template, data,
                               ["<li>A level needs at least one exercise.</li>"])
    assert form_of(response).values["name"] == "Nothing yet"


@pytest.mark.parametrize("sessions", ["0", "8"])
def test_level_sessions_per_week_outside_1_to_7_are_refused(builtins, client, logged_in,
                                                            template, sessions):
    squat = builtin("goblet_squat")
    data = level_form(sessions=sessions, rows={0: row(squat.id)})
    _assert_refused(logged_in, template, data, [
        '<p class="error-message" id="sessions_per_week-error"><span>Use 1 to 7 sessions.'
        '</span>'])


@pytest.mark.parametrize("weeks", ["-1", "53"])
def test_level_min_weeks_out_of_range_are_refused(builtins, client, logged_in, template, weeks):
    squat = builtin("goblet_squat")
    data = level_form(min_weeks=weeks, rows={0: row(squat.id, is_key=None)})
    _assert_refused(logged_in, template, data, [
        '<p class="error-message" id="min_weeks-error"><span>Use 0 to 52 weeks.</span>'])


def test_level_exercise_of_another_clinic_is_refused(builtins, client, logged_in, template,
                                                     stranger):
    theirs = catalogue.create_exercise(stranger, {
        "name": "Their secret lift", "pattern": "squat", "ladder_step": 3, "setting": "gym",
        "measure": "load_reps", "equipment": "", "cues": ["Lift."], "easier_tip": None})
    squat = builtin("goblet_squat")
    data = level_form(rows={0: row(squat.id), 1: row(theirs.id, sets="3", reps_min="6",
                                                     reps_max="10", load_kind="kg",
                                                     load_target="20")})
    response = _assert_refused(logged_in, template, data, [
        '<a href="#row1-exercise_id">Row 2: Choose an exercise from the library.</a>'])
    editor = form_of(response)
    assert str(theirs.id) not in editor.options["row1-exercise_id"]
    assert "Their secret lift" not in unescaped(response)


@pytest.mark.parametrize("bad", ["--5", "²", "1-"])
def test_level_malformed_numbers_are_refused_not_a_crash(builtins, client, logged_in, template,
                                                         bad):
    """A number field of a row holding text that only looks numeric must be refused (422)."""
    squat = builtin("goblet_squat")
    data = level_form(rows={0: row(squat.id, sets=bad)})
    _assert_refused(logged_in, template, data, [
        '<a href="#row0-sets">Row 1: Sets must be 1 to 10.</a>'])


# Levels: add and remove ------------------------------------------------------------------------


def test_add_and_remove_levels_keeping_at_least_one(builtins, client, logged_in, therapist,
                                                    template):
    url = f"/programs/templates/{template.id}"
    added = logged_in.post(f"{url}/levels", token_page=url)
    assert added.status_code == 303
    levels = rows(TemplateLevel, order=TemplateLevel.position)
    assert [(lv.position, lv.name) for lv in levels] == [(0, "Level 1"), (1, "Level 2")]
    assert added.headers["Location"] == f"{url}/levels/{levels[1].id}"
    assert fresh(ProgramTemplate, template.id).version == 2
    assert audit("template_level_add") == [(therapist.id, template.id, {"level": 1})]
    assert logged_in.post(f"{url}/levels", token_page=url).status_code == 303
    assert fresh(ProgramTemplate, template.id).version == 3

    # Remove the first level: the others move up and keep their order.
    first, second, third = rows(TemplateLevel, order=TemplateLevel.position)
    removed = logged_in.post(f"{url}/levels/{first.id}/remove", token_page=url)
    assert removed.status_code == 303
    assert [(lv.id, lv.position, lv.name) for lv in rows(TemplateLevel,
                                                         order=TemplateLevel.position)] == [
        (second.id, 0, "Level 2"), (third.id, 1, "Level 3")]
    assert fresh(ProgramTemplate, template.id).version == 4
    assert logged_in.post(f"{url}/levels/{third.id}/remove",
                          token_page=url).status_code == 303

    # The last level stays.
    refused = logged_in.post(f"{url}/levels/{second.id}/remove", token_page=url)
    assert refused.status_code == 303
    assert "A program needs at least one level." in unescaped(client.get(url))
    assert [lv.id for lv in rows(TemplateLevel)] == [second.id]
    assert fresh(ProgramTemplate, template.id).version == 5
    assert len(audit("template_level_remove")) == 2


# Clone and archive -----------------------------------------------------------------------------


def test_clone_copies_every_level_and_exercise(builtins, client, logged_in, therapist,
                                               template):
    squat, push, plank = builtin("goblet_squat"), builtin("push_up"), builtin("plank")
    catalogue.save_level(therapist, template.id, template.levels[0].id, {
        "name": "Home", "min_weeks": 3, "sessions_per_week": 2, "criteria": "Steady."}, [
        {"exercise_id": squat.id, "sets": 2, "reps_min": 8, "reps_max": 12, "load_kind": "kg",
         "load_target": "8", "rest_seconds": 90, "is_key": True},
        {"exercise_id": plank.id, "sets": 2, "reps_min": 20, "reps_max": 30,
         "load_kind": "bodyweight", "load_target": "", "rest_seconds": 60, "is_key": False}])
    second = catalogue.add_level(therapist, template.id)
    catalogue.save_level(therapist, template.id, second.id, {
        "name": "Gym", "min_weeks": 8, "sessions_per_week": 3, "criteria": ""}, [
        {"exercise_id": push.id, "sets": 3, "reps_min": 6, "reps_max": 10, "load_kind": "rpe",
         "load_target": "5-6", "rest_seconds": 120, "is_key": True}])
    source_version = fresh(ProgramTemplate, template.id).version

    url = f"/programs/templates/{template.id}"
    response = logged_in.post(f"{url}/clone", token_page=url)
    assert response.status_code == 303
    clone = rows(ProgramTemplate, ProgramTemplate.id != template.id)[0]
    assert response.headers["Location"] == f"/programs/templates/{clone.id}"
    assert (clone.name, clone.description, clone.version, clone.created_by_id,
            clone.clinic_id) == ("Copy of Home basics", "Two sessions a week at home.", 1,
                                 therapist.id, therapist.clinic_id)

    def shape(t):
        return [(lv.position, lv.name, lv.min_weeks, lv.sessions_per_week, lv.criteria,
                 [(e.position, e.exercise_id, e.sets, e.reps_min, e.reps_max, e.load_kind,
                   e.load_target, e.rest_seconds, e.is_key) for e in lv.exercises])
                for lv in t.levels]

    source = fresh(ProgramTemplate, template.id)
    assert shape(clone) == shape(source)
    assert len(shape(clone)) == 2
    assert {lv.id for lv in clone.levels}.isdisjoint({lv.id for lv in source.levels})
    assert source.version == source_version  # the source is untouched
    assert audit("template_clone") == [(therapist.id, clone.id, {"source": template.id})]

    # Editing the copy leaves the source alone; a second copy gets its own name.
    catalogue.save_level(therapist, clone.id, clone.levels[0].id, {
        "name": "Changed", "min_weeks": 1, "sessions_per_week": 1, "criteria": ""}, [
        {"exercise_id": push.id, "sets": 1, "reps_min": 5, "reps_max": 5, "load_kind": "rpe",
         "load_target": "", "rest_seconds": 60, "is_key": False}])
    assert shape(fresh(ProgramTemplate, template.id)) == shape(source)
    assert logged_in.post(f"{url}/clone", token_page=url).status_code == 303
    assert sorted(t.name for t in rows(ProgramTemplate)) == [
        "Copy 2 of Home basics", "Copy of Home basics", "Home basics"]


def test_archived_program_is_no_longer_offered_or_assignable(builtins, client, logged_in,
                                                             therapist, template, clinic):
    catalogue.save_level(therapist, template.id, template.levels[0].id, {
        "name": "Home", "min_weeks": 2, "sessions_per_week": 2, "criteria": ""}, [
        {"exercise_id": builtin("push_up").id, "sets": 2, "reps_min": 8, "reps_max": 12,
         "load_kind": "bodyweight", "load_target": "", "rest_seconds": 90, "is_key": True}])
    patient = PatientFactory(clinic=clinic, primary=therapist)
    before = form_of(client.get(f"/patients/{patient.id}"))
    assert before.options["template_id"] == [str(template.id)]

    url = f"/programs/templates/{template.id}"
    response = logged_in.post(f"{url}/archive", token_page=url)
    assert response.status_code == 303
    assert fresh(ProgramTemplate, template.id).archived_at is not None
    assert audit("template_archive") == [(therapist.id, template.id, {})]

    assert "Home basics" not in unescaped(client.get("/programs/templates"))
    listed = unescaped(client.get("/programs/templates?archived=1"))
    assert re.search(r">Home basics</a></td><td>1</td><td>2</td><td>archived</td>", listed)
    assert "Archived: it cannot be assigned." in unescaped(client.get(url))
    patient_page = client.get(f"/patients/{patient.id}")
    assert "template_id" not in form_of(patient_page).options
    assert "No programs yet" in unescaped(patient_page)

    today = services.clinic_today(patient.id)
    refused = logged_in.post(f"/programs/patients/{patient.id}/assign", {
        "template_id": str(template.id), "start_date": today.isoformat()})
    assert refused.status_code == 422
    assert "This program is archived." in unescaped(refused)
    assert rows(Assignment) == []

    # Restored, it is offered again.
    assert logged_in.post(f"{url}/restore", token_page=url).status_code == 303
    assert fresh(ProgramTemplate, template.id).archived_at is None
    assert form_of(client.get(f"/patients/{patient.id}")).options["template_id"] == [
        str(template.id)]


def test_starter_programs_are_added_once(builtins, client, logged_in, therapist):
    response = logged_in.post("/programs/templates/starters", token_page="/programs/templates")
    assert response.status_code == 303
    names = sorted(t.name for t in rows(ProgramTemplate))
    assert names == ["Barbell basics", "Home foundations", "Home to gym"]
    assert "3 starter program(s) added." in unescaped(client.get("/programs/templates"))
    for template in rows(ProgramTemplate):
        assert template.levels and all(lv.exercises for lv in template.levels)
    assert logged_in.post("/programs/templates/starters",
                          token_page="/programs/templates").status_code == 303
    assert len(rows(ProgramTemplate)) == 3
    assert "The starter programs are there." in unescaped(client.get("/programs/templates"))
