"""Three starter program templates, as plain frozen data a clinic can copy and then edit.

Built on shared/PROGRAMS.md "Defaults for novices" and "Levels": two sessions a week, 4-6
exercises (squat, hinge, push, pull, then carry or core; multi-joint first), 8-12 reps (10-15 for
sedentary people), holds of 20-45 s, 60-120 s rest. The first level of every template is a
familiarisation level: 1-2 sets at an effort of CR10 3-4 (3-4 reps in reserve); later levels use
2-3 sets at CR10 5-6. Never to failure.

Reading the numbers:
- For a ``hold_seconds`` exercise (planks, carries) ``reps_min``/``reps_max`` are seconds.
- ``load_kind`` "rpe" with ``load_target`` "3-4" or "5-6": choose the weight, band or variation
  that feels like that on the Borg CR10 scale. Starters never suggest kilograms: the clinician
  fills in a starting load for the person in front of them.
- ``load_kind`` "band" with "light" or "medium": the band to start with.

Pure module: no Flask or SQLAlchemy import.
"""

import re
from dataclasses import dataclass

from clinic.catalogue import rules

ORDINAL_PREFIX = re.compile(r"^\d+\s+(?=\S)")


def level_title(name):
    """A level's name as people read it: the starters store "0 Getting familiar" (the number
    keeps the catalogue sorted), pages say "Getting familiar" beside their own "Level 1"."""
    return ORDINAL_PREFIX.sub("", name or "")


LOAD_KINDS = ("bodyweight", "kg", "rpe", "band")

# Efforts on the Borg CR10 scale, as load targets (PROGRAMS.md "Defaults for novices").
FAMILIARISATION_EFFORT = "3-4"
WORKING_EFFORT = "5-6"

# Decision (PROGRAMS.md "Levels" example); a clinic may tune these.
# The readiness rules of clinic.catalogue.rules, in words (one place to tune them).
MOVE_UP_ADHERENCE_PERCENT = int(rules.READINESS_MIN_ADHERENCE * 100)
MOVE_UP_WINDOW_WEEKS = rules.READINESS_WINDOW_WEEKS
MOVE_UP_MAX_SESSION_RPE = int(rules.READINESS_MAX_AVERAGE_RPE)

MOVE_UP_CRITERIA = (
    f"At least {MOVE_UP_ADHERENCE_PERCENT}% adherence over the last {MOVE_UP_WINDOW_WEEKS} "
    f"weeks, key exercises at the top of their range, average session RPE at most "
    f"{MOVE_UP_MAX_SESSION_RPE}. A clinician confirms every move up."
)
# The last level of a template has nowhere to move up to.
LAST_LEVEL_CRITERIA = ""


@dataclass(frozen=True)
class StarterExercise:
    """One exercise of a level; reps are seconds when the exercise is measured in holds."""

    slug: str
    sets: int
    reps_min: int
    reps_max: int
    load_kind: str
    load_target: str
    rest_seconds: int
    is_key: bool = False

    def __post_init__(self):
        if self.load_kind not in LOAD_KINDS:
            raise ValueError(f"{self.slug}: unknown load kind {self.load_kind!r}")
        if not 1 <= self.reps_min <= self.reps_max:
            raise ValueError(f"{self.slug}: need 1 <= reps_min <= reps_max")


@dataclass(frozen=True)
class StarterLevel:
    """One grade of a starter: what a session holds, how often, and when to move up."""

    name: str
    min_weeks: int
    sessions_per_week: int
    criteria_text: str
    exercises: tuple[StarterExercise, ...]


@dataclass(frozen=True)
class StarterTemplate:
    """A graded starter program: levels in order, the first one for getting familiar."""

    name: str
    description: str
    sessions_per_week: int
    levels: tuple[StarterLevel, ...]


def _familiar(slug, reps_min, reps_max, *, sets=2, rest=90, key=False):
    return StarterExercise(slug, sets, reps_min, reps_max, "rpe", FAMILIARISATION_EFFORT, rest, key)


def _bodyweight(slug, reps_min, reps_max, *, sets=3, rest=90, key=False):
    return StarterExercise(slug, sets, reps_min, reps_max, "bodyweight", "", rest, key)


def _band(slug, reps_min, reps_max, band, *, sets=3, rest=60, key=False):
    return StarterExercise(slug, sets, reps_min, reps_max, "band", band, rest, key)


def _loaded(slug, reps_min, reps_max, *, sets=3, rest=90, key=False):
    return StarterExercise(slug, sets, reps_min, reps_max, "rpe", WORKING_EFFORT, rest, key)


HOME_FOUNDATIONS = StarterTemplate(
    name="Home foundations",
    description=(
        "Strength at home with your own body weight and a resistance band, for people who are "
        "not ready for a gym. Two sessions a week, not on consecutive days; about 30 minutes."
    ),
    sessions_per_week=2,
    levels=(
        StarterLevel(
            name="0 Getting familiar",
            min_weeks=2,
            sessions_per_week=2,
            criteria_text=MOVE_UP_CRITERIA,
            exercises=(
                _familiar("sit_to_stand", 10, 15, key=True),
                _familiar("glute_bridge", 10, 15, key=True),
                _familiar("wall_push_up", 10, 15, key=True),
                _familiar("band_row", 10, 15, rest=60, key=True),
                _familiar("dead_bug", 8, 12, sets=1, rest=60),
            ),
        ),
        StarterLevel(
            name="1 Home strength",
            min_weeks=8,
            sessions_per_week=2,
            criteria_text=LAST_LEVEL_CRITERIA,
            exercises=(
                _bodyweight("box_squat", 10, 15, key=True),
                _bodyweight("glute_bridge", 10, 15, key=True),
                _bodyweight("incline_push_up", 8, 12, key=True),
                _band("band_row", 10, 15, "medium", key=True),
                _bodyweight("bird_dog", 8, 12, sets=2, rest=60),
                _bodyweight("plank", 20, 45, sets=2, rest=60),
            ),
        ),
    ),
)

HOME_TO_GYM = StarterTemplate(
    name="Home to gym",
    description=(
        "Starts at home and moves, one level at a time, to a gym at a quiet hour: body weight, "
        "then light dumbbells and bands, then dumbbells and machines, and barbells if wanted. "
        "Two sessions a week, not on consecutive days."
    ),
    sessions_per_week=2,
    levels=(
        StarterLevel(
            name="0 Getting started at home",
            min_weeks=2,
            sessions_per_week=2,
            criteria_text=MOVE_UP_CRITERIA,
            exercises=(
                _familiar("box_squat", 10, 15, key=True),
                _familiar("glute_bridge", 10, 15, key=True),
                _familiar("incline_push_up", 8, 12, key=True),
                _familiar("band_row", 10, 15, rest=60, key=True),
                _familiar("dead_bug", 8, 12, sets=1, rest=60),
            ),
        ),
        StarterLevel(
            name="1 Home with light weights",
            min_weeks=6,
            sessions_per_week=2,
            criteria_text=MOVE_UP_CRITERIA,
            exercises=(
                _loaded("goblet_squat", 8, 12, key=True),
                _loaded("dumbbell_romanian_deadlift", 8, 12, key=True),
                _loaded("dumbbell_floor_press", 8, 12, key=True),
                _loaded("one_arm_dumbbell_row", 8, 12, key=True),
                _band("band_pulldown", 10, 15, "light", sets=2),
                _loaded("suitcase_carry", 20, 40, sets=2, rest=60),
            ),
        ),
        StarterLevel(
            name="2 Quiet-hours gym: dumbbells and machines",
            min_weeks=8,
            sessions_per_week=2,
            criteria_text=MOVE_UP_CRITERIA,
            exercises=(
                _loaded("goblet_squat", 8, 12, rest=120, key=True),
                _loaded("dumbbell_romanian_deadlift", 8, 12, rest=120, key=True),
                _loaded("dumbbell_bench_press", 8, 12, key=True),
                _loaded("lat_pulldown", 8, 12, key=True),
                _loaded("one_arm_dumbbell_row", 8, 12, sets=2),
                _loaded("farmers_carry", 20, 40, sets=2, rest=60),
            ),
        ),
        StarterLevel(
            name="3 Barbell basics (optional)",
            min_weeks=8,
            sessions_per_week=2,
            criteria_text=LAST_LEVEL_CRITERIA,
            exercises=(
                _loaded("barbell_back_squat", 8, 12, rest=120, key=True),
                _loaded("trap_bar_deadlift", 8, 10, rest=120, key=True),
                _loaded("barbell_bench_press", 8, 12, rest=120, key=True),
                _loaded("barbell_row", 8, 12, key=True),
                _bodyweight("plank", 20, 45, sets=2, rest=60),
            ),
        ),
    ),
)

BARBELL_BASICS = StarterTemplate(
    name="Barbell basics",
    description=(
        "The four barbell lifts (squat, deadlift, overhead press, row), learned with light "
        "weights first, for people already at ease in a gym. Two sessions a week; three are "
        "allowed if the person wants them, never on consecutive days."
    ),
    sessions_per_week=2,
    levels=(
        StarterLevel(
            name="0 Learning the lifts",
            min_weeks=2,
            sessions_per_week=2,
            criteria_text=MOVE_UP_CRITERIA,
            exercises=(
                _familiar("barbell_back_squat", 8, 10, rest=120, key=True),
                _familiar("barbell_deadlift", 8, 10, rest=120, key=True),
                _familiar("barbell_overhead_press", 8, 10, key=True),
                _familiar("barbell_row", 8, 10, key=True),
                _familiar("dead_bug", 8, 12, sets=1, rest=60),
            ),
        ),
        StarterLevel(
            name="1 Barbell basics",
            min_weeks=8,
            sessions_per_week=2,
            criteria_text=MOVE_UP_CRITERIA,
            exercises=(
                _loaded("barbell_back_squat", 8, 12, rest=120, key=True),
                _loaded("barbell_deadlift", 8, 10, sets=2, rest=120, key=True),
                _loaded("barbell_overhead_press", 8, 12, rest=120, key=True),
                _loaded("barbell_row", 8, 12, key=True),
                _bodyweight("plank", 20, 45, sets=2, rest=60),
            ),
        ),
        StarterLevel(
            name="2 Adding the bench press (optional)",
            min_weeks=8,
            sessions_per_week=2,
            criteria_text=LAST_LEVEL_CRITERIA,
            exercises=(
                _loaded("barbell_back_squat", 8, 12, rest=120, key=True),
                _loaded("barbell_deadlift", 8, 10, sets=2, rest=120, key=True),
                _loaded("barbell_bench_press", 8, 12, rest=120, key=True),
                _loaded("barbell_row", 8, 12, key=True),
                _loaded("barbell_overhead_press", 8, 12, sets=2),
                _loaded("farmers_carry", 20, 40, sets=2, rest=60),
            ),
        ),
    ),
)

STARTER_TEMPLATES = (HOME_FOUNDATIONS, HOME_TO_GYM, BARBELL_BASICS)

# The templates meant for people who are not (yet) in a gym: their first level stays at home.
HOME_STARTERS = (HOME_FOUNDATIONS, HOME_TO_GYM)


def starter(name: str) -> StarterTemplate:
    """The starter template with this name; KeyError if there is none."""
    for template in STARTER_TEMPLATES:
        if template.name == name:
            return template
    raise KeyError(name)
