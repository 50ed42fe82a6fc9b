"""The built-in exercise ladders and starter templates match shared/PROGRAMS.md."""

import subprocess
import sys
from itertools import pairwise

import pytest

from clinic.catalogue import library
from clinic.catalogue.library import (
    BODY_REGION,
    EXERCISES,
    LADDER_KEYS,
    LOADED_EQUIPMENT,
    MAIN_LIFTS,
    MEASURES,
    PATTERNS,
    SETTINGS,
    BuiltinExercise,
    by_slug,
    easier,
    harder,
    ladder,
)
from clinic.catalogue.starters import (
    FAMILIARISATION_EFFORT,
    HOME_STARTERS,
    LAST_LEVEL_CRITERIA,
    MOVE_UP_CRITERIA,
    STARTER_TEMPLATES,
    WORKING_EFFORT,
    StarterExercise,
    starter,
)

# The ladders of PROGRAMS.md "Ladders: from home to gym", easiest first.
EXPECTED_LADDERS = {
    "push_horizontal": (
        "wall_push_up",
        "incline_push_up",
        "kneeling_push_up",
        "push_up",
        "dumbbell_floor_press",
        "dumbbell_bench_press",
        "barbell_bench_press",
    ),
    "squat": (
        "sit_to_stand",
        "box_squat",
        "bodyweight_squat",
        "goblet_squat",
        "barbell_back_squat",
    ),
    "hinge": (
        "glute_bridge",
        "hip_hinge_dowel",
        "dumbbell_romanian_deadlift",
        "trap_bar_deadlift",
        "barbell_deadlift",
    ),
    "pull_horizontal": ("band_row", "inverted_row", "one_arm_dumbbell_row", "barbell_row"),
    "pull_vertical": ("band_pulldown", "lat_pulldown", "assisted_pull_up", "pull_up"),
    "push_vertical": (
        "wall_slide",
        "half_kneeling_dumbbell_press",
        "standing_dumbbell_press",
        "barbell_overhead_press",
    ),
    "core": ("dead_bug", "bird_dog", "plank", "side_plank"),
    "carry": ("suitcase_carry", "farmers_carry"),
}

ALL_SLUGS = [exercise.slug for exercise in EXERCISES]
LEVELS = [
    pytest.param(template, position, level, id=f"{template.name}-{position}")
    for template in STARTER_TEMPLATES
    for position, level in enumerate(template.levels)
]
LEVEL_EXERCISES = [
    pytest.param(item, id=f"{template.name}-{position}-{item.slug}")
    for template in STARTER_TEMPLATES
    for position, level in enumerate(template.levels)
    for item in level.exercises
]


def uses_a_band(exercise):
    return "band" in exercise.equipment


# --- the library ---------------------------------------------------------------------------


def test_library_has_at_least_30_exercises_with_unique_slugs():
    assert len(EXERCISES) >= 30
    assert len(set(ALL_SLUGS)) == len(ALL_SLUGS)


def test_slugs_are_short_lowercase_identifiers():
    for slug in ALL_SLUGS:
        assert slug.isidentifier() and slug == slug.lower() and len(slug) <= 64, slug


def test_every_pattern_and_every_setting_is_present():
    assert {exercise.pattern for exercise in EXERCISES} == set(PATTERNS)
    assert {exercise.setting for exercise in EXERCISES} == set(SETTINGS)
    assert {exercise.measure for exercise in EXERCISES} == set(MEASURES)


def test_ladders_are_exactly_the_programs_md_ladders_in_order():
    assert tuple(EXPECTED_LADDERS) == LADDER_KEYS
    for key, slugs in EXPECTED_LADDERS.items():
        assert tuple(exercise.slug for exercise in ladder(key)) == slugs, key
    assert sorted(ALL_SLUGS) == sorted(s for slugs in EXPECTED_LADDERS.values() for s in slugs)


@pytest.mark.parametrize("key", LADDER_KEYS)
def test_ladder_steps_run_one_to_n_without_gaps(key):
    rungs = ladder(key)
    assert [exercise.step for exercise in rungs] == list(range(1, len(rungs) + 1))
    assert all(exercise.ladder == key for exercise in rungs)


def test_each_ladder_holds_one_pattern():
    for key in LADDER_KEYS:
        assert {exercise.pattern for exercise in ladder(key)} == {key}


def test_unknown_ladder_or_slug_is_a_key_error():
    with pytest.raises(KeyError):
        ladder("push")
    with pytest.raises(KeyError):
        by_slug("bench_press")
    with pytest.raises(KeyError):
        easier("bench_press")


def test_by_slug_returns_the_exercise():
    plank = by_slug("plank")
    assert plank.name == "Plank"
    assert plank.measure == "hold_seconds"
    assert plank is library.EXERCISES_BY_SLUG["plank"]


@pytest.mark.parametrize("key", LADDER_KEYS)
def test_easier_and_harder_are_one_step_and_none_at_the_ends(key):
    slugs = EXPECTED_LADDERS[key]
    assert easier(slugs[0]) is None
    assert harder(slugs[-1]) is None
    for lower, upper in pairwise(slugs):
        assert harder(lower) == upper
        assert easier(upper) == lower
        assert by_slug(upper).step == by_slug(lower).step + 1


def test_planks_are_holds_and_carries_are_timed_with_a_weight():
    assert by_slug("plank").measure == "hold_seconds"
    assert by_slug("side_plank").measure == "hold_seconds"
    for slug in EXPECTED_LADDERS["carry"]:
        carry = by_slug(slug)
        assert carry.measure == "hold_seconds"
        assert carry.equipment in LOADED_EQUIPMENT
    holds = {exercise.slug for exercise in EXERCISES if exercise.measure == "hold_seconds"}
    assert holds == {"plank", "side_plank", "suitcase_carry", "farmers_carry"}


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda exercise: exercise.slug)
def test_measure_fits_the_equipment(exercise):
    loaded = exercise.equipment in LOADED_EQUIPMENT
    if exercise.measure == "load_reps":
        assert loaded
    elif exercise.pattern != "carry":
        assert not loaded
    if uses_a_band(exercise):
        assert exercise.measure != "load_reps"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda exercise: exercise.slug)
def test_setting_fits_the_equipment(exercise):
    if exercise.setting == "home":
        assert exercise.equipment not in LOADED_EQUIPMENT
        assert not uses_a_band(exercise)
    elif exercise.setting == "bands":
        assert "resistance band" in exercise.equipment
    elif exercise.setting == "dumbbells":
        assert exercise.equipment in LOADED_EQUIPMENT
        assert "bar" not in exercise.equipment.replace("kettlebell", "")


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda exercise: exercise.slug)
def test_every_exercise_has_two_to_four_cues_and_an_easier_tip(exercise):
    assert isinstance(exercise.cues, tuple)
    assert 2 <= len(exercise.cues) <= 4
    assert all(isinstance(cue, str) and cue.strip() for cue in exercise.cues)
    assert all(len(cue) <= 100 for cue in exercise.cues), "cues stay short"
    assert exercise.easier_tip.strip()
    assert exercise.name.strip() and len(exercise.name) <= 120
    assert exercise.equipment.strip() and len(exercise.equipment) <= 80


def test_main_lifts_are_known_weighted_exercises():
    assert len(set(MAIN_LIFTS)) == len(MAIN_LIFTS) == 11
    for slug in MAIN_LIFTS:
        assert by_slug(slug).measure == "load_reps", slug


def test_body_region_per_pattern():
    assert set(BODY_REGION) == set(PATTERNS)
    assert BODY_REGION["squat"] == BODY_REGION["hinge"] == "lower"
    assert BODY_REGION["carry"] == "whole"
    for pattern in ("push_horizontal", "push_vertical", "pull_horizontal", "pull_vertical", "core"):
        assert BODY_REGION[pattern] == "upper"
    assert by_slug("goblet_squat").body_region == "lower"


def test_exercises_are_frozen():
    with pytest.raises(AttributeError):
        by_slug("plank").step = 9


@pytest.mark.parametrize(
    "field, value",
    [("pattern", "push"), ("setting", "park"), ("measure", "reps"), ("step", 0), ("cues", ("x",))],
)
def test_a_malformed_exercise_is_refused(field, value):
    fields = {
        "slug": "x",
        "name": "X",
        "pattern": "core",
        "setting": "home",
        "equipment": "none",
        "measure": "bodyweight_reps",
        "ladder": "core",
        "step": 1,
        "cues": ("a", "b"),
        "easier_tip": "t",
    }
    BuiltinExercise(**fields)
    with pytest.raises(ValueError):
        BuiltinExercise(**{**fields, field: value})


def test_pure_modules_do_not_pull_in_the_web_stack():
    code = (
        "import sys, clinic.catalogue.library, clinic.catalogue.starters; "
        "print(sorted(m for m in ('flask', 'sqlalchemy', 'flask_sqlalchemy') if m in sys.modules))"
    )
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- the starter templates -----------------------------------------------------------------


def test_three_starters_by_name():
    assert [template.name for template in STARTER_TEMPLATES] == [
        "Home foundations",
        "Home to gym",
        "Barbell basics",
    ]
    assert starter("Home to gym") is STARTER_TEMPLATES[1]
    with pytest.raises(KeyError):
        starter("Couch to 5k")


@pytest.mark.parametrize("template", STARTER_TEMPLATES, ids=lambda template: template.name)
def test_template_shape(template):
    assert template.levels
    assert template.description.strip()
    assert 2 <= template.sessions_per_week <= 3
    names = [level.name for level in template.levels]
    assert len(set(names)) == len(names)
    assert [name.split(" ", 1)[0] for name in names] == [str(i) for i in range(len(names))]


@pytest.mark.parametrize("template, position, level", LEVELS)
def test_level_shape(template, position, level):
    assert 4 <= len(level.exercises) <= 6
    assert 1 <= level.sessions_per_week <= 7
    assert 2 <= level.sessions_per_week <= 3
    assert level.min_weeks >= 2
    assert any(item.is_key for item in level.exercises)
    slugs = [item.slug for item in level.exercises]
    assert len(set(slugs)) == len(slugs)
    assert set(slugs) <= set(ALL_SLUGS)


@pytest.mark.parametrize("template, position, level", LEVELS)
def test_session_order_is_squat_hinge_push_pull_then_carry_or_core(template, position, level):
    patterns = [by_slug(item.slug).pattern for item in level.exercises]
    assert patterns[0] == "squat"
    assert patterns[1] == "hinge"
    assert patterns[2].startswith("push_")
    assert patterns[3].startswith("pull_")
    assert patterns[-1] in ("carry", "core")
    # Multi-joint first: once carry or core work starts, nothing else follows.
    first_accessory = next(i for i, p in enumerate(patterns) if p in ("carry", "core"))
    assert all(p in ("carry", "core") for p in patterns[first_accessory:])


@pytest.mark.parametrize("item", LEVEL_EXERCISES)
def test_level_exercise_numbers(item):
    exercise = by_slug(item.slug)
    assert 1 <= item.sets <= 10
    assert 1 <= item.reps_min <= item.reps_max
    assert 60 <= item.rest_seconds <= 120
    if exercise.measure == "hold_seconds":
        assert 20 <= item.reps_min <= item.reps_max <= 45
    else:
        assert 8 <= item.reps_min <= item.reps_max <= 15


@pytest.mark.parametrize("item", LEVEL_EXERCISES)
def test_load_kind_fits_the_exercise(item):
    exercise = by_slug(item.slug)
    if item.load_kind == "bodyweight":
        assert exercise.equipment not in LOADED_EQUIPMENT and not uses_a_band(exercise)
        assert item.load_target == ""
    elif item.load_kind == "band":
        assert uses_a_band(exercise)
        assert item.load_target in ("light", "medium")
    elif item.load_kind == "kg":
        assert exercise.equipment in LOADED_EQUIPMENT
    else:
        assert item.load_kind == "rpe"
        assert item.load_target in (FAMILIARISATION_EFFORT, WORKING_EFFORT)
    if exercise.equipment in LOADED_EQUIPMENT:
        assert item.load_kind in ("kg", "rpe"), "weighted work needs a load or an effort"


@pytest.mark.parametrize("template", STARTER_TEMPLATES, ids=lambda template: template.name)
def test_first_level_is_familiarisation_at_cr10_3_to_4(template):
    first = template.levels[0]
    assert FAMILIARISATION_EFFORT == "3-4"
    assert 2 <= first.min_weeks <= 3
    assert first.sessions_per_week == 2
    for item in first.exercises:
        assert 1 <= item.sets <= 2, item.slug
        assert (item.load_kind, item.load_target) == ("rpe", "3-4"), item.slug


@pytest.mark.parametrize("template", STARTER_TEMPLATES, ids=lambda template: template.name)
def test_later_levels_use_two_to_three_sets_and_cr10_5_to_6(template):
    assert WORKING_EFFORT == "5-6"
    for level in template.levels[1:]:
        for item in level.exercises:
            assert 2 <= item.sets <= 3, item.slug
            assert item.load_target != FAMILIARISATION_EFFORT, item.slug


@pytest.mark.parametrize("template", STARTER_TEMPLATES, ids=lambda template: template.name)
def test_move_up_criteria_on_every_level_but_the_last(template):
    assert "80% adherence over the last 3 weeks" in MOVE_UP_CRITERIA
    assert "key exercises at the top of their range" in MOVE_UP_CRITERIA
    assert "average session RPE at most 6" in MOVE_UP_CRITERIA
    *earlier, last = template.levels
    assert all(level.criteria_text == MOVE_UP_CRITERIA for level in earlier)
    assert last.criteria_text == LAST_LEVEL_CRITERIA == ""


@pytest.mark.parametrize("template", HOME_STARTERS, ids=lambda template: template.name)
def test_home_templates_start_with_home_or_band_exercises_only(template):
    settings = {by_slug(item.slug).setting for item in template.levels[0].exercises}
    assert settings <= {"home", "bands"}


def test_home_foundations_never_needs_a_gym_or_weights():
    for level in starter("Home foundations").levels:
        for item in level.exercises:
            assert by_slug(item.slug).setting in ("home", "bands"), item.slug


def test_home_to_gym_levels_follow_programs_md():
    names = [level.name for level in starter("Home to gym").levels]
    assert names[:3] == [
        "0 Getting started at home",
        "1 Home with light weights",
        "2 Quiet-hours gym: dumbbells and machines",
    ]
    level_1 = starter("Home to gym").levels[1]
    assert {by_slug(item.slug).setting for item in level_1.exercises} <= {"dumbbells", "bands"}


def test_barbell_basics_covers_squat_deadlift_press_row():
    working = starter("Barbell basics").levels[1]
    slugs = {item.slug for item in working.exercises}
    assert {"barbell_back_squat", "barbell_deadlift", "barbell_overhead_press", "barbell_row"} <= (
        slugs
    )
    keys = {item.slug for item in working.exercises if item.is_key}
    assert keys == {
        "barbell_back_squat",
        "barbell_deadlift",
        "barbell_overhead_press",
        "barbell_row",
    }


def test_a_malformed_starter_exercise_is_refused():
    with pytest.raises(ValueError):
        StarterExercise("plank", 2, 45, 20, "bodyweight", "", 60)
    with pytest.raises(ValueError):
        StarterExercise("plank", 2, 20, 45, "kilos", "", 60)
