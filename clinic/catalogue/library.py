"""The built-in exercise library: ordered ladders from home to gym, as plain frozen data.

Each exercise sits on the ladder of its movement pattern (shared/PROGRAMS.md "Ladders: from home
to gym"), so "easier" and "harder" are simply one step down or up. The cues and tips are our own
words, written for a nervous beginner; nothing here is copied from wger or any other source.

How things are measured:
- ``load_reps``: reps with a weight in kg (dumbbells, barbells, a weight-stack machine).
- ``bodyweight_reps``: reps with no kg load, which includes resistance-band moves: a band's pull
  is described by its colour or strength, not in kg.
- ``hold_seconds``: seconds held (plank, side plank) or, for carries, seconds of walking while
  holding a weight; the weight is still recorded in kg, but there is no e1RM for a carry.

This module is pure: no Flask or SQLAlchemy import, so unit tests and seeding can both use it.
"""

from dataclasses import dataclass

PATTERNS = (
    "squat",
    "hinge",
    "push_horizontal",
    "push_vertical",
    "pull_horizontal",
    "pull_vertical",
    "carry",
    "core",
)
SETTINGS = ("home", "bands", "dumbbells", "gym")
MEASURES = ("load_reps", "bodyweight_reps", "hold_seconds")

# One ladder per pattern, in the order PROGRAMS.md lists them.
LADDER_KEYS = (
    "push_horizontal",
    "squat",
    "hinge",
    "pull_horizontal",
    "pull_vertical",
    "push_vertical",
    "core",
    "carry",
)

LADDER_NAMES = {
    "push_horizontal": "Push",
    "squat": "Squat",
    "hinge": "Hinge",
    "pull_horizontal": "Pull (rows)",
    "pull_vertical": "Pull (from above)",
    "push_vertical": "Press overhead",
    "core": "Core",
    "carry": "Carry",
}

# Which part of the body a pattern mostly loads; progression uses it to pick the load step.
BODY_REGION = {
    "squat": "lower",
    "hinge": "lower",
    "push_horizontal": "upper",
    "push_vertical": "upper",
    "pull_horizontal": "upper",
    "pull_vertical": "upper",
    "core": "upper",
    "carry": "whole",
}

# Equipment that is a weight measured in kg: only these exercises can be ``load_reps``.
LOADED_EQUIPMENT = frozenset(
    {
        "dumbbells",
        "dumbbells and bench",
        "dumbbell and a bench or chair",
        "one dumbbell or kettlebell",
        "dumbbells or a kettlebell",
        "dumbbells or kettlebells",
        "pulldown machine",
        "trap bar",
        "barbell",
        "barbell and rack",
        "barbell, bench and rack",
    }
)


@dataclass(frozen=True)
class BuiltinExercise:
    """One exercise of the built-in library, at ``step`` (1 = easiest) of its ``ladder``."""

    slug: str
    name: str
    pattern: str
    setting: str
    equipment: str
    measure: str
    ladder: str
    step: int
    cues: tuple[str, ...]
    easier_tip: str

    def __post_init__(self):
        if self.pattern not in PATTERNS:
            raise ValueError(f"{self.slug}: unknown pattern {self.pattern!r}")
        if self.setting not in SETTINGS:
            raise ValueError(f"{self.slug}: unknown setting {self.setting!r}")
        if self.measure not in MEASURES:
            raise ValueError(f"{self.slug}: unknown measure {self.measure!r}")
        if self.ladder not in LADDER_KEYS:
            raise ValueError(f"{self.slug}: unknown ladder {self.ladder!r}")
        if self.step < 1:
            raise ValueError(f"{self.slug}: ladder steps start at 1")
        if not 2 <= len(self.cues) <= 4 or not all(cue.strip() for cue in self.cues):
            raise ValueError(f"{self.slug}: give 2 to 4 non-empty cues")

    @property
    def body_region(self) -> str:
        return BODY_REGION[self.pattern]


def _exercise(slug, name, pattern, setting, equipment, measure, step, cues, easier_tip):
    # Every ladder here is keyed by its pattern; the field stays separate so a clinic may split one.
    return BuiltinExercise(
        slug, name, pattern, setting, equipment, measure, pattern, step, tuple(cues), easier_tip
    )


EXERCISES = (
    # Push (horizontal): from the wall to the barbell bench press.
    _exercise(
        "wall_push_up",
        "Wall push-up",
        "push_horizontal",
        "home",
        "wall",
        "bodyweight_reps",
        1,
        (
            "Stand about an arm's length from a wall, hands flat at chest height.",
            "Keep your body in one straight line from head to heels.",
            "Bend your elbows to bring your chest towards the wall, then push away.",
        ),
        "Stand a little closer to the wall.",
    ),
    _exercise(
        "incline_push_up",
        "Incline push-up",
        "push_horizontal",
        "home",
        "bench, sturdy table or kitchen worktop",
        "bodyweight_reps",
        2,
        (
            "Put your hands on the edge, a little wider than your shoulders.",
            "Walk your feet back until your body is a straight, gentle slope.",
            "Lower your chest towards the edge slowly, then press away.",
        ),
        "Use a higher surface, such as a kitchen worktop.",
    ),
    _exercise(
        "kneeling_push_up",
        "Kneeling push-up",
        "push_horizontal",
        "home",
        "none",
        "bodyweight_reps",
        3,
        (
            "Kneel on a folded towel with your hands under your shoulders.",
            "Keep a straight line from your knees to your head.",
            "Lower your chest towards the floor, then push the floor away.",
        ),
        "Go back to push-ups with your hands on a bench or table.",
    ),
    _exercise(
        "push_up",
        "Push-up",
        "push_horizontal",
        "home",
        "none",
        "bodyweight_reps",
        4,
        (
            "Hands under your shoulders, legs straight out behind you.",
            "Hold your body firm and straight, like a plank of wood.",
            "Lower until your chest is near the floor, then push back up.",
        ),
        "Put your knees down, or your hands on a bench.",
    ),
    _exercise(
        "dumbbell_floor_press",
        "Dumbbell floor press",
        "push_horizontal",
        "dumbbells",
        "dumbbells",
        "load_reps",
        5,
        (
            "Lie on your back with your knees bent and a dumbbell in each hand.",
            "Lower the weights until your upper arms rest on the floor.",
            "Press them up over your chest, breathing out as you push.",
        ),
        "Use lighter dumbbells or do fewer reps.",
    ),
    _exercise(
        "dumbbell_bench_press",
        "Dumbbell bench press",
        "push_horizontal",
        "gym",
        "dumbbells and bench",
        "load_reps",
        6,
        (
            "Lie on the bench with your feet flat on the floor.",
            "Lower the dumbbells slowly to the sides of your chest.",
            "Press them back up until your arms are straight.",
        ),
        "Press from the floor instead, or use lighter dumbbells.",
    ),
    _exercise(
        "barbell_bench_press",
        "Barbell bench press",
        "push_horizontal",
        "gym",
        "barbell, bench and rack",
        "load_reps",
        7,
        (
            "Set the safety bars, or ask someone to stand behind you, before you start.",
            "Lie with your eyes under the bar and your feet flat on the floor.",
            "Lower the bar to the middle of your chest with control.",
            "Press it back up until it is over your shoulders.",
        ),
        "Use the empty bar, or go back to dumbbells.",
    ),
    # Squat: from standing up out of a chair to the barbell back squat.
    _exercise(
        "sit_to_stand",
        "Sit to stand",
        "squat",
        "home",
        "chair",
        "bodyweight_reps",
        1,
        (
            "Sit near the front of a sturdy chair, feet flat and hip-width apart.",
            "Lean forward a little and stand up, pushing through your whole foot.",
            "Sit back down slowly, as if the chair were fragile.",
        ),
        "Use a higher seat, or push lightly on your thighs with your hands.",
    ),
    _exercise(
        "box_squat",
        "Box squat",
        "squat",
        "home",
        "chair or low box",
        "bodyweight_reps",
        2,
        (
            "Stand just in front of a chair or box, feet a little wider than your hips.",
            "Reach your hips back and down until you lightly touch the seat.",
            "Stand straight back up without settling onto the seat.",
        ),
        "Use a higher seat, or sit down fully for a breath between reps.",
    ),
    _exercise(
        "bodyweight_squat",
        "Bodyweight squat",
        "squat",
        "home",
        "none",
        "bodyweight_reps",
        3,
        (
            "Feet about shoulder-width apart, toes turned out a little.",
            "Bend your knees and hips together, as if sitting into a chair.",
            "Keep your heels down and stand up tall at the top.",
        ),
        "Squat down to a chair so you have something to aim for.",
    ),
    _exercise(
        "goblet_squat",
        "Goblet squat",
        "squat",
        "dumbbells",
        "one dumbbell or kettlebell",
        "load_reps",
        4,
        (
            "Hold one weight upright against your chest with both hands.",
            "Squat down between your knees, keeping your chest lifted.",
            "Push through your whole foot to stand up.",
        ),
        "Use a lighter weight, or squat down to a chair.",
    ),
    _exercise(
        "barbell_back_squat",
        "Barbell back squat",
        "squat",
        "gym",
        "barbell and rack",
        "load_reps",
        5,
        (
            "Set the safety bars just below the lowest point of your squat.",
            "Rest the bar across the top of your back, not on your neck.",
            "Sit down between your heels, then stand up at a steady pace.",
        ),
        "Use the empty bar, or go back to the goblet squat.",
    ),
    # Hinge: from the glute bridge to the barbell deadlift.
    _exercise(
        "glute_bridge",
        "Glute bridge",
        "hinge",
        "home",
        "none",
        "bodyweight_reps",
        1,
        (
            "Lie on your back with your knees bent and feet flat.",
            "Press through your heels and lift your hips until knees, hips and shoulders line up.",
            "Pause for a moment at the top, then lower slowly.",
        ),
        "Lift your hips only part of the way.",
    ),
    _exercise(
        "hip_hinge_dowel",
        "Hip hinge with a stick",
        "hinge",
        "home",
        "broom handle or dowel",
        "bodyweight_reps",
        2,
        (
            "Hold the stick along your back so it touches your head, upper back and tailbone.",
            "Push your hips back with soft knees, keeping all three points on the stick.",
            "Stop when you feel a stretch behind your thighs, then stand tall.",
        ),
        "Put your hands on your hips and make the movement smaller.",
    ),
    _exercise(
        "dumbbell_romanian_deadlift",
        "Dumbbell Romanian deadlift",
        "hinge",
        "dumbbells",
        "dumbbells or a kettlebell",
        "load_reps",
        3,
        (
            "Stand tall holding the weight in front of your thighs.",
            "Push your hips back and let the weight slide down close to your legs.",
            "Keep your back long; stop at a stretch behind your thighs, then stand up.",
        ),
        "Use a lighter weight and stop a little higher.",
    ),
    _exercise(
        "trap_bar_deadlift",
        "Trap-bar deadlift",
        "hinge",
        "gym",
        "trap bar",
        "load_reps",
        4,
        (
            "Stand in the middle of the bar with the handles beside your feet.",
            "Bend down, hold the handles and take a breath with your back long.",
            "Push the floor away to stand up, then lower the bar with control.",
        ),
        "Use lighter plates, or go back to the dumbbell version.",
    ),
    _exercise(
        "barbell_deadlift",
        "Barbell deadlift",
        "hinge",
        "gym",
        "barbell",
        "load_reps",
        5,
        (
            "Stand with the bar over the middle of your feet.",
            "Bend to hold the bar just outside your legs, chest up.",
            "Push through your feet and keep the bar close to your legs as you stand.",
            "Lower it the same way, without rushing.",
        ),
        "Use lighter plates, or go back to the trap bar.",
    ),
    # Pull (horizontal): from a band row to the barbell row.
    _exercise(
        "band_row",
        "Band row",
        "pull_horizontal",
        "bands",
        "resistance band",
        "bodyweight_reps",
        1,
        (
            "Fix the band at chest height, or sit and loop it around your feet.",
            "Pull your elbows back past your sides and lift your chest.",
            "Let your arms go forward slowly.",
        ),
        "Use a lighter band, or step closer to where it is fixed.",
    ),
    _exercise(
        "inverted_row",
        "Inverted row (low bar or rings)",
        "pull_horizontal",
        "gym",
        "low bar or rings",
        "bodyweight_reps",
        2,
        (
            "Hang under the bar with straight arms and your heels on the floor.",
            "Keep your body straight and pull your chest up towards the bar.",
            "Lower yourself slowly until your arms are straight.",
        ),
        "Walk your feet in so your body is more upright.",
    ),
    _exercise(
        "one_arm_dumbbell_row",
        "One-arm dumbbell row",
        "pull_horizontal",
        "dumbbells",
        "dumbbell and a bench or chair",
        "load_reps",
        3,
        (
            "Rest one hand and knee on a bench or chair, back flat like a table.",
            "Pull the dumbbell up towards your hip.",
            "Lower it until your arm is straight; do the other side after.",
        ),
        "Use a lighter dumbbell.",
    ),
    _exercise(
        "barbell_row",
        "Barbell row",
        "pull_horizontal",
        "gym",
        "barbell",
        "load_reps",
        4,
        (
            "Lean forward from your hips with soft knees and a long back.",
            "Pull the bar up to your lower ribs.",
            "Lower it with control, keeping your back still.",
        ),
        "Use lighter plates, or go back to the one-arm dumbbell row.",
    ),
    # Pull (vertical): from a band pulldown to the pull-up.
    _exercise(
        "band_pulldown",
        "Band pulldown",
        "pull_vertical",
        "bands",
        "resistance band and door anchor",
        "bodyweight_reps",
        1,
        (
            "Fix the band high, for example over a door, and kneel or sit facing it.",
            "Pull your elbows down towards your ribs.",
            "Let your arms rise slowly.",
        ),
        "Use a lighter band, or move a little closer to the door.",
    ),
    _exercise(
        "lat_pulldown",
        "Lat pulldown",
        "pull_vertical",
        "gym",
        "pulldown machine",
        "load_reps",
        2,
        (
            "Sit with your thighs under the pads and hold the bar a bit wider than your shoulders.",
            "Pull the bar down to your upper chest, leaning back only a little.",
            "Let it rise slowly until your arms are straight.",
        ),
        "Move the pin to a lighter weight.",
    ),
    _exercise(
        "assisted_pull_up",
        "Assisted pull-up",
        "pull_vertical",
        "gym",
        "assisted pull-up machine or band",
        "bodyweight_reps",
        3,
        (
            "Kneel or stand on the support and hold the bar.",
            "Pull yourself up until your chin is near the bar.",
            "Lower yourself slowly all the way down.",
        ),
        "Use more assistance.",
    ),
    _exercise(
        "pull_up",
        "Pull-up",
        "pull_vertical",
        "gym",
        "pull-up bar",
        "bodyweight_reps",
        4,
        (
            "Hang from the bar with your hands about shoulder-width apart.",
            "Pull your elbows down to lift your chin over the bar.",
            "Lower yourself with control until your arms are straight.",
        ),
        "Use the assisted pull-up machine or a band.",
    ),
    # Press (vertical): from wall slides to the barbell overhead press.
    _exercise(
        "wall_slide",
        "Wall slide",
        "push_vertical",
        "home",
        "wall",
        "bodyweight_reps",
        1,
        (
            "Stand with your back and forearms against a wall.",
            "Slide your arms up as high as feels comfortable, keeping them on the wall.",
            "Slide them back down slowly and breathe out.",
        ),
        "Slide only part of the way up.",
    ),
    _exercise(
        "half_kneeling_dumbbell_press",
        "Half-kneeling dumbbell press",
        "push_vertical",
        "dumbbells",
        "dumbbells",
        "load_reps",
        2,
        (
            "Kneel on one knee on a towel, the other foot flat in front of you.",
            "Hold a dumbbell at shoulder height on the same side as the knee that is down.",
            "Press it straight up without leaning back, then lower it slowly.",
        ),
        "Use a lighter dumbbell.",
    ),
    _exercise(
        "standing_dumbbell_press",
        "Standing dumbbell press",
        "push_vertical",
        "dumbbells",
        "dumbbells",
        "load_reps",
        3,
        (
            "Stand tall, feet hip-width apart, weights resting at your shoulders.",
            "Press the weights up until your arms are straight, without leaning back.",
            "Lower them slowly back to your shoulders.",
        ),
        "Use lighter dumbbells, or press one arm at a time while kneeling.",
    ),
    _exercise(
        "barbell_overhead_press",
        "Barbell overhead press",
        "push_vertical",
        "gym",
        "barbell and rack",
        "load_reps",
        4,
        (
            "Take the bar from the rack at shoulder height, hands just wider than your shoulders.",
            "Tighten your bottom and tummy, then press the bar straight up past your face.",
            "Lower it back to your shoulders with control.",
        ),
        "Use the empty bar, or go back to dumbbells.",
    ),
    # Core.
    _exercise(
        "dead_bug",
        "Dead bug",
        "core",
        "home",
        "none",
        "bodyweight_reps",
        1,
        (
            "Lie on your back, arms pointing up, knees bent over your hips.",
            "Gently press your lower back into the floor.",
            "Slowly reach one arm back and the opposite leg out, then return and swap.",
        ),
        "Move only your legs, or only your arms.",
    ),
    _exercise(
        "bird_dog",
        "Bird dog",
        "core",
        "home",
        "none",
        "bodyweight_reps",
        2,
        (
            "Start on hands and knees, hands under your shoulders.",
            "Reach one arm forward and the opposite leg back, keeping your hips level.",
            "Come back slowly and swap sides.",
        ),
        "Move only one arm or one leg at a time.",
    ),
    _exercise(
        "plank",
        "Plank",
        "core",
        "home",
        "none",
        "hold_seconds",
        3,
        (
            "Forearms on the floor, elbows under your shoulders.",
            "Keep a straight line from your head to your heels.",
            "Breathe slowly; stop when your body starts to sag.",
        ),
        "Keep your knees on the floor, or lean your forearms on a bench.",
    ),
    _exercise(
        "side_plank",
        "Side plank",
        "core",
        "home",
        "none",
        "hold_seconds",
        4,
        (
            "Lie on your side with your elbow under your shoulder.",
            "Lift your hips so your body makes a straight line.",
            "Breathe slowly, then do the other side.",
        ),
        "Keep your bottom knee on the floor.",
    ),
    # Carry: seconds of steady walking while holding a weight.
    _exercise(
        "suitcase_carry",
        "Suitcase carry",
        "carry",
        "dumbbells",
        "one dumbbell or kettlebell",
        "hold_seconds",
        1,
        (
            "Hold one weight at your side, like a suitcase.",
            "Stand tall without leaning towards the weight.",
            "Walk at a steady pace and swap hands halfway.",
        ),
        "Use a lighter weight or walk for less time.",
    ),
    _exercise(
        "farmers_carry",
        "Farmer's carry",
        "carry",
        "dumbbells",
        "dumbbells or kettlebells",
        "hold_seconds",
        2,
        (
            "Hold a weight in each hand by your sides.",
            "Relax your shoulders and stand tall.",
            "Walk with short, steady steps.",
        ),
        "Use lighter weights or walk for less time.",
    ),
)

EXERCISES_BY_SLUG = {exercise.slug: exercise for exercise in EXERCISES}

# Loaded lifts whose best estimated 1RM per week makes the strength trend.
MAIN_LIFTS = (
    "goblet_squat",
    "barbell_back_squat",
    "dumbbell_romanian_deadlift",
    "trap_bar_deadlift",
    "barbell_deadlift",
    "dumbbell_bench_press",
    "barbell_bench_press",
    "standing_dumbbell_press",
    "barbell_overhead_press",
    "one_arm_dumbbell_row",
    "barbell_row",
)

_LADDERS = {
    key: tuple(sorted((e for e in EXERCISES if e.ladder == key), key=lambda e: e.step))
    for key in LADDER_KEYS
}


def by_slug(slug: str) -> BuiltinExercise:
    """The built-in exercise with this slug; KeyError if there is none."""
    return EXERCISES_BY_SLUG[slug]


def ladder(key: str) -> tuple[BuiltinExercise, ...]:
    """The exercises of one ladder, easiest first; KeyError for an unknown ladder."""
    return _LADDERS[key]


def _neighbour(slug: str, offset: int) -> str | None:
    exercise = by_slug(slug)
    rungs = ladder(exercise.ladder)
    position = rungs.index(exercise) + offset
    return rungs[position].slug if 0 <= position < len(rungs) else None


def easier(slug: str) -> str | None:
    """The slug one step down the same ladder, or None at the bottom."""
    return _neighbour(slug, -1)


def harder(slug: str) -> str | None:
    """The slug one step up the same ladder, or None at the top."""
    return _neighbour(slug, +1)
