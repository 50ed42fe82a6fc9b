"""What I have done: counts, weeks, ladder climbs, records and level, from plain session records.

No app and no database. The honesty rules are the point: skipped and removed entries are no
sessions done, a quick log without reps is a session done but no record (not recorded is not
zero), and the first session of an exercise is where the patient started, not a record.
"""

from datetime import date, timedelta
from decimal import Decimal

from clinic.programs.achievements import (
    HEAVIEST,
    LONGER_HOLD,
    MORE_REPS,
    MORE_REPS_AT_LOAD,
    Climb,
    ExerciseInfo,
    LevelMove,
    PersonalRecord,
    SessionDone,
    SetDone,
    achievements,
    ladder_climbs,
    level_reached,
    personal_records,
    sessions_done,
    weeks_trained,
)

kg = Decimal
MONDAY = date(2026, 3, 2)

WALL = ExerciseInfo(1, "Wall push-up", "bodyweight_reps", "push_horizontal", 1, "Push")
INCLINE = ExerciseInfo(2, "Incline push-up", "bodyweight_reps", "push_horizontal", 2, "Push")
KNEELING = ExerciseInfo(3, "Kneeling push-up", "bodyweight_reps", "push_horizontal", 3, "Push")
GOBLET = ExerciseInfo(4, "Goblet squat", "load_reps", "squat", 4, "Squat")
PLANK = ExerciseInfo(5, "Plank", "hold_seconds", "core", 3, "Core")
ROW = ExerciseInfo(6, "One-arm dumbbell row", "load_reps", "pull_horizontal", 3, "Pull (rows)")
EXERCISES = {e.exercise_id: e for e in (WALL, INCLINE, KNEELING, GOBLET, PLANK, ROW)}


def session(day, *sets, status="done", order=0, **kwargs):
    return SessionDone(performed_on=day, status=status, order=order, sets=tuple(sets), **kwargs)


def reps(exercise, count, load=None):
    return SetDone(exercise.exercise_id, reps=count, load_kg=load)


def quick(exercise, load=None):
    """A quick "done as planned" set: done, reps not counted."""
    return SetDone(exercise.exercise_id, reps=None, load_kg=load)


def held(seconds):
    return SetDone(PLANK.exercise_id, seconds=seconds)


# Sessions and weeks --------------------------------------------------------------------------


def test_skipped_and_removed_entries_are_not_sessions_done():
    logs = [
        session(MONDAY, reps(WALL, 8)),
        session(MONDAY + timedelta(days=2), status="skipped"),
        session(MONDAY + timedelta(days=3), reps(WALL, 9), removed=True),
        session(MONDAY + timedelta(days=4), quick(WALL), status="partial"),
        session(MONDAY + timedelta(days=5), low_energy=True, status="partial"),
    ]
    assert sessions_done(logs) == 3


def test_a_quick_log_without_reps_is_a_session_done():
    assert sessions_done([session(MONDAY, quick(GOBLET, kg(10)))]) == 1


def test_weeks_trained_counts_calendar_weeks_with_a_session_and_passes_over_gaps():
    logs = [
        session(MONDAY, reps(WALL, 8)),
        session(MONDAY + timedelta(days=6), reps(WALL, 8)),  # Sunday: the same week
        session(MONDAY + timedelta(days=7), reps(WALL, 8)),  # the next Monday
        session(MONDAY + timedelta(days=21), status="skipped"),  # a skip-only week
        session(MONDAY + timedelta(days=35), reps(WALL, 8)),
    ]  # after three quiet weeks
    assert weeks_trained(logs) == 3


def test_nothing_logged_is_nothing_done():
    result = achievements([], EXERCISES)
    assert (result.sessions_done, result.weeks_trained, result.first_session_on) == (0, 0, None)
    assert result.climbs == () and result.records == ()


def test_achievements_counts_low_energy_sessions_and_the_first_day():
    logs = [
        session(MONDAY + timedelta(days=2), reps(WALL, 8), status="partial", low_energy=True),
        session(MONDAY, status="skipped"),
        session(MONDAY + timedelta(days=4), reps(WALL, 8)),
    ]
    result = achievements(logs, EXERCISES)
    assert (result.sessions_done, result.low_energy_sessions, result.weeks_trained) == (2, 1, 1)
    assert result.first_session_on == MONDAY + timedelta(days=2)


# Ladder climbs -------------------------------------------------------------------------------


def test_a_climb_runs_from_the_first_exercise_done_to_the_highest_step_since():
    logs = [
        session(MONDAY, reps(WALL, 10)),
        session(MONDAY + timedelta(days=7), reps(INCLINE, 8)),
        session(MONDAY + timedelta(days=14), quick(KNEELING)),  # a quick log is done too
        session(MONDAY + timedelta(days=15), reps(INCLINE, 12)),
    ]  # an easier day after
    assert ladder_climbs(logs, EXERCISES) == [
        Climb("Push", "Wall push-up", "Kneeling push-up", MONDAY + timedelta(days=14))
    ]
    assert ladder_climbs(logs, EXERCISES)[0].text == "From wall push-up to kneeling push-up"


def test_no_climb_without_a_step_up_nor_from_skipped_or_removed_sessions():
    logs = [
        session(MONDAY, reps(INCLINE, 10)),
        session(MONDAY + timedelta(days=2), reps(WALL, 12)),  # a step down is no climb
        session(MONDAY + timedelta(days=4), reps(KNEELING, 5), removed=True),
    ]
    assert ladder_climbs(logs, EXERCISES) == []


# Personal records ----------------------------------------------------------------------------


def test_the_first_session_of_an_exercise_is_where_you_started_not_a_record():
    assert personal_records([session(MONDAY, reps(GOBLET, 12, kg(10)))], EXERCISES) == []


def test_more_reps_at_the_top_load_and_a_heavier_load_are_records_in_plain_words():
    logs = [
        session(MONDAY, reps(GOBLET, 10, kg(10)), reps(GOBLET, 9, kg(10))),
        session(MONDAY + timedelta(days=3), reps(GOBLET, 12, kg(10))),
        session(MONDAY + timedelta(days=7), reps(ROW, 10, kg(8))),
        session(MONDAY + timedelta(days=10), reps(ROW, 8, kg("10.50"))),
    ]
    records = personal_records(logs, EXERCISES)
    assert records == [
        PersonalRecord(
            HEAVIEST,
            "One-arm dumbbell row",
            MONDAY + timedelta(days=10),
            reps=8,
            load_kg=kg("10.50"),
        ),
        PersonalRecord(
            MORE_REPS_AT_LOAD, "Goblet squat", MONDAY + timedelta(days=3), reps=12, load_kg=kg(10)
        ),
    ]
    assert [r.text for r in records] == [
        "Heavier than ever on the one-arm dumbbell row: 10.5 kg for 8 reps",
        "First time: 12 reps of goblet squat at 10 kg",
    ]


def test_a_quick_log_without_reps_is_no_record_at_any_load():
    logs = [
        session(MONDAY, reps(GOBLET, 10, kg(10))),
        session(MONDAY + timedelta(days=3), quick(GOBLET, kg(12))),  # heavier, reps unknown
        session(MONDAY + timedelta(days=5), SetDone(GOBLET.exercise_id, reps=0, load_kg=kg(14))),
    ]  # zero is no set
    assert personal_records(logs, EXERCISES) == []


def test_fewer_reps_at_a_lighter_load_after_a_heavier_one_is_no_record():
    logs = [
        session(MONDAY, reps(GOBLET, 8, kg(12))),
        session(MONDAY + timedelta(days=3), reps(GOBLET, 12, kg(10))),
    ]
    assert personal_records(logs, EXERCISES) == []


def test_bodyweight_reps_and_holds_count_their_best_set():
    logs = [
        session(MONDAY, reps(WALL, 8), held(20)),
        session(MONDAY + timedelta(days=2), reps(WALL, 8), held(20)),  # equal is no record
        session(MONDAY + timedelta(days=4), reps(WALL, 11), reps(WALL, 6), held(35)),
    ]
    records = personal_records(logs, EXERCISES)
    assert {(r.kind, r.reps, r.seconds) for r in records} == {
        (MORE_REPS, 11, None),
        (LONGER_HOLD, None, 35),
    }
    assert sorted(r.text for r in records) == [
        "First time: 11 reps of wall push-up in one set",
        "Longest hold yet: 35 seconds of plank",
    ]


def test_only_the_newest_record_of_each_kind_per_exercise_is_listed_newest_first():
    logs = [session(MONDAY + timedelta(days=n), reps(WALL, 5 + n)) for n in range(4)]
    assert personal_records(logs, EXERCISES) == [
        PersonalRecord(MORE_REPS, "Wall push-up", MONDAY + timedelta(days=3), reps=8)
    ]


def test_records_of_removed_or_skipped_sessions_do_not_count():
    logs = [
        session(MONDAY, reps(WALL, 8)),
        session(MONDAY + timedelta(days=1), reps(WALL, 15), removed=True),
        session(MONDAY + timedelta(days=2), reps(WALL, 9)),
    ]
    assert [r.reps for r in personal_records(logs, EXERCISES)] == [9]


def test_the_list_of_records_is_capped():
    exercises = {
        n: ExerciseInfo(n, f"Move {n}", "bodyweight_reps", f"l{n}", 1) for n in range(1, 21)
    }
    logs = [
        session(MONDAY, *(SetDone(n, reps=5) for n in exercises)),
        session(MONDAY + timedelta(days=2), *(SetDone(n, reps=6) for n in exercises)),
    ]
    assert len(personal_records(logs, exercises)) == 12
    assert len(personal_records(logs, exercises, limit=3)) == 3


# Level -----------------------------------------------------------------------------------------


def test_level_reached_lists_moves_up_only():
    names = ["Getting started at home", "Home with light weights", "Quiet-hours gym"]
    moves = [
        LevelMove(MONDAY + timedelta(days=21), 0, 1),
        LevelMove(MONDAY + timedelta(days=40), 1, 2),
        LevelMove(MONDAY + timedelta(days=50), 2, 1),
    ]  # back down: not listed
    level = level_reached(names, 1, moves)
    assert (level.number, level.name) == (2, "Home with light weights")
    assert level.moved_up == (
        (MONDAY + timedelta(days=21), 2, "Home with light weights"),
        (MONDAY + timedelta(days=40), 3, "Quiet-hours gym"),
    )
