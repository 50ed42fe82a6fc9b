"""Progression suggestions and level readiness, as pure functions over logged working sets.

Double progression as shared/PROGRAMS.md "Progression" states it: an exercise moves on only when
every prescribed working set reached the top of the range, at the prescribed load or more, in the
last 2 sessions, with no pain of 4/10 or more and session RPE below 8. Three bugs seen in other
trackers are ruled out by construction and by tests: progressing when only some sets (or any set
at the bottom of the range) qualified, progressing on reps done at a lighter load, and a load
"increase" that rounds back to the same load.

Everything here is a suggestion with a plain-English reason; a clinician approves or declines it,
and nothing changes a prescription silently. The numbers live in ``clinic.catalogue.rules``.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal

from clinic.catalogue import rules
from clinic.programs.adherence import WeekRecord, as_percent, rolling_adherence

LOAD_REPS = "load_reps"
BODYWEIGHT_REPS = "bodyweight_reps"
HOLD_SECONDS = "hold_seconds"
MEASURES = (LOAD_REPS, BODYWEIGHT_REPS, HOLD_SECONDS)

LOWER_BODY = "lower"
UPPER_BODY = "upper"
WHOLE_BODY = "whole"  # carries: the exercise library's region; loaded like the lower body
BODY_REGIONS = (LOWER_BODY, UPPER_BODY, WHOLE_BODY)

INCREASE_LOAD = "increase_load"
ADD_SET = "add_set"
NEXT_VARIATION = "next_variation"
EXTEND_RANGE = "extend_range"
HOLD = "hold"
DECREASE_LOAD = "decrease_load"
SUGGESTION_KINDS = (INCREASE_LOAD, ADD_SET, NEXT_VARIATION, EXTEND_RANGE, HOLD, DECREASE_LOAD)
# Kinds that raise a load or reps (or the step): what a safety hold stops.
INCREASES = frozenset({INCREASE_LOAD, ADD_SET, NEXT_VARIATION, EXTEND_RANGE})

ONE = Decimal("1")
ZERO = Decimal("0")


@dataclass(frozen=True)
class SetResult:
    """One logged working set: reps (seconds for a hold) and the load in kg, None without one.

    ``reps`` None is a set done but not counted (the quick "done as planned" log): it shows up,
    so it counts for adherence, but it is no evidence of the top of the range, nor of a stall.
    """

    reps: int | None
    load_kg: Decimal | None = None

    def __post_init__(self):
        if self.reps is not None and (type(self.reps) is not int or self.reps < 0):
            raise ValueError(f"reps must be a whole number >= 0 or None, not {self.reps!r}")
        if self.load_kg is not None:
            object.__setattr__(self, "load_kg", _load(self.load_kg, "load_kg"))


@dataclass(frozen=True)
class ExerciseSession:
    """The logged working sets of one exercise in one session, with that session's pain and RPE.

    ``pain`` and ``session_rpe`` None mean not recorded. Not recorded is not zero
    (PROGRAMS.md "Safety holds"): an unknown pain is no evidence that more load is safe, and an
    unknown RPE is not "below 8", so either holds an automatic increase until someone asks.
    """

    sets: tuple[SetResult, ...]
    pain: int | None = None
    session_rpe: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "sets", tuple(self.sets))
        _check_scale(self.pain, "pain")
        _check_scale(self.session_rpe, "session_rpe")


@dataclass(frozen=True)
class ExercisePrescription:
    """What is prescribed for one exercise now: sets, a rep (or seconds) range and a load.

    A ``load_reps`` exercise without ``load_kg`` (a weight chosen by effort, CR10 5-6, before a
    clinician sets kilograms) is judged on reps alone and never gets a load suggestion: there is
    nothing to add 2-10% to. ``body_region`` picks the equipment
    step (``rules.LOAD_STEP_*``) unless ``load_step_kg`` gives the patient's own step;
    ``available_loads`` (a dumbbell rack) replaces the step: increases go to the next heavier
    load in it. ``ladder_next`` is the slug of the next variation on the exercise's ladder.
    """

    sets: int
    reps_min: int
    reps_max: int
    load_kg: Decimal | None = None
    measure: str = LOAD_REPS
    body_region: str = LOWER_BODY
    ladder_next: str | None = None
    available_loads: tuple[Decimal, ...] | None = None
    load_step_kg: Decimal | None = None

    def __post_init__(self):
        for name in ("sets", "reps_min"):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, not {value!r}")
        if type(self.reps_max) is not int or self.reps_max < self.reps_min:
            raise ValueError(f"reps_max must be a whole number >= reps_min, not {self.reps_max!r}")
        if self.measure not in MEASURES:
            raise ValueError(f"measure must be one of {MEASURES}, not {self.measure!r}")
        if self.body_region not in BODY_REGIONS:
            raise ValueError(f"body_region must be one of {BODY_REGIONS}, not {self.body_region!r}")
        if self.load_kg is not None:
            object.__setattr__(self, "load_kg", _load(self.load_kg, "load_kg"))
        if self.load_step_kg is not None:
            step = _load(self.load_step_kg, "load_step_kg")
            if step <= 0:
                raise ValueError("load_step_kg must be above 0")
            object.__setattr__(self, "load_step_kg", step)
        if self.available_loads is not None:
            loads = sorted({_load(load, "available_loads") for load in self.available_loads})
            if not loads or loads[0] <= 0:
                raise ValueError("available_loads must hold at least one load, all above 0")
            object.__setattr__(self, "available_loads", tuple(loads))

    @property
    def loaded(self) -> bool:
        """Whether load suggestions apply: a ``load_reps`` exercise with a load in kg above 0."""
        return self.measure == LOAD_REPS and self.load_kg is not None and self.load_kg > 0

    @property
    def step_kg(self) -> Decimal:
        """The equipment step that loads are multiples of, when no rack is given."""
        if self.load_step_kg is not None:
            return self.load_step_kg
        if self.body_region == UPPER_BODY:
            return rules.LOAD_STEP_UPPER_BODY_KG
        return rules.LOAD_STEP_LOWER_BODY_KG

    @property
    def unit(self) -> str:
        return "s" if self.measure == HOLD_SECONDS else "reps"


@dataclass(frozen=True)
class Suggestion:
    """A suggested change of one prescription, complete: every ``new_*`` field is the value to
    apply (unchanged ones repeated), so approving it needs no further arithmetic.

    ``needs_confirmation`` is True when a load increase is over 10%, beyond the ACSM 2-10%.
    """

    kind: str
    new_load_kg: Decimal | None
    new_sets: int
    new_reps_min: int
    new_reps_max: int
    next_exercise: str | None
    reason: str
    needs_confirmation: bool = False


def suggest(
    prescription: ExercisePrescription, recent_sessions: Sequence[ExerciseSession]
) -> Suggestion | None:
    """The next suggestion for one exercise, or None when the logs call for no change.

    ``recent_sessions`` are this exercise's sessions oldest first (newest last), logged since
    its prescription last changed: evidence for a change must come from the current target.
    """
    sessions = tuple(recent_sessions)
    needed = rules.CONSECUTIVE_SESSIONS_TO_PROGRESS
    latest = sessions[-needed:]
    if len(latest) == needed and all(at_top_of_range(prescription, s) for s in latest):
        met = _top_met(prescription, needed)
        blockers = _blockers(latest)
        if blockers:
            return _unchanged(
                prescription,
                HOLD,
                f"{met}, but {blockers}: keep the prescription as it is and review before "
                "progressing.",
            )
        if prescription.loaded:
            return _load_progression(prescription, met)
        if prescription.measure == LOAD_REPS:
            return _unchanged(
                prescription,
                HOLD,
                f"{met}, but no load in kg is prescribed: set a load in kg to get load "
                "suggestions, or ask the patient to choose a slightly heavier weight.",
            )
        return _bodyweight_progression(prescription, met)

    stalled = _sessions_below_range(prescription, sessions)
    short = (
        f"A working set fell short of {prescription.reps_min} {prescription.unit} in each of "
        f"the last {stalled} sessions"
    )
    if stalled >= rules.STALL_DELOAD_AFTER:
        if prescription.loaded:
            return _deload(prescription, short)
        lighter = " (or a lighter weight)" if prescription.measure == LOAD_REPS else ""
        return _unchanged(
            prescription,
            HOLD,
            f"{short}: keep the prescription and consider the easier step on the ladder{lighter}.",
        )
    if stalled >= rules.STALL_HOLD_AFTER:
        then = (
            f"{_percent(rules.DELOAD_FRACTION)} less load"
            if prescription.loaded
            else "the easier step on the ladder"
        )
        return _unchanged(
            prescription,
            HOLD,
            f"{short}: keep the prescription as it is for now (one more session like this "
            f"will suggest {then}).",
        )
    return None


def at_top_of_range(prescription: ExercisePrescription, session: ExerciseSession) -> bool:
    """Whether every prescribed working set reached the top of the range in this session.

    Counted, not sampled: at least ``sets`` logged sets must each reach ``reps_max``, and for a
    loaded exercise each at the prescribed load or more. One good set among weak ones, or reps
    done at a lighter load, are not the top of the range.
    """
    qualifying = sum(
        1
        for done in session.sets
        if done.reps is not None
        and done.reps >= prescription.reps_max
        and _at_load(prescription, done)
    )
    return qualifying >= prescription.sets


def below_range(prescription: ExercisePrescription, session: ExerciseSession) -> bool:
    """Whether a working set of this session fell short of the bottom of the range.

    Only sets that were done are judged: a short session (the low-energy version, one set of
    each exercise) is about energy that day, not a stall, so missing sets do not count here.
    Sets are judged at the load actually lifted: a set heavier than prescribed that fell short
    says the patient chose more weight, not that the prescription is too heavy, so it is left
    out; and a set whose reps were not counted says nothing either way.
    """
    judged = [
        done
        for done in session.sets
        if done.reps is not None and not _heavier_than_prescribed(prescription, done)
    ]
    if not judged:
        return False
    reached = sum(1 for done in judged if done.reps >= prescription.reps_min)
    return reached < min(len(judged), prescription.sets)


# Safety holds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramSession:
    """One session of the whole program as the pain hold reads it, whatever exercises it held.

    ``reviewed`` is True once a clinician has reviewed the program's holds after this session
    was logged: its pain no longer holds anything.
    """

    performed_on: date
    status: str
    pain: int | None = None
    skip_reason: str | None = None
    reviewed: bool = False

    def __post_init__(self):
        _check_scale(self.pain, "pain")


def pain_hold(program_sessions: Sequence[ProgramSession]) -> str | None:
    """Why every increase is held (PROGRAMS.md "Safety holds"), or None when nothing holds.

    ``program_sessions`` are the program's sessions oldest first, skipped ones included. Pain of
    ``rules.PAIN_BLOCKS_PROGRESSION_AT`` or more in any of the last
    ``rules.PAIN_HOLD_LAST_SESSIONS`` holds, whichever exercises that session held: a knee that
    hurt during lunges is a knee that squats load too. A session skipped for pain with no pain
    number is a report of pain all the same (not recorded is not zero).
    """
    last = tuple(program_sessions)[-rules.PAIN_HOLD_LAST_SESSIONS :]
    reports = []
    for session in last:
        if session.reviewed:
            continue
        skipped_for_pain = (
            session.status == "skipped" and session.skip_reason == rules.PAIN_SKIP_REASON
        )
        if session.pain is not None and session.pain >= rules.PAIN_BLOCKS_PROGRESSION_AT:
            how = " (skipped for pain)" if skipped_for_pain else ""
            reports.append(f"pain of {session.pain}/10 on {_day(session.performed_on)}{how}")
        elif skipped_for_pain and session.pain is None:
            reports.append(f"a session skipped for pain on {_day(session.performed_on)}")
    if not reports:
        return None
    return (
        "Progression is on hold: "
        + " and ".join(reports)
        + " was reported. Every load and rep increase waits until a clinician reviews."
    )


def held(
    prescription: ExercisePrescription, suggestion: Suggestion | None, hold: str | None
) -> Suggestion | None:
    """The suggestion as a safety hold lets it stand: an increase becomes a hold that keeps the
    prescription and says why. Holds and lighter loads pass unchanged: a hold stops more, never
    less.
    """
    if suggestion is None or hold is None or suggestion.kind not in INCREASES:
        return suggestion
    return _unchanged(prescription, HOLD, f"{hold} (The logs alone: {suggestion.reason})")


# Level readiness --------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyExercise:
    """A key exercise of the level, its prescription, and its newest session (None if none)."""

    name: str
    prescription: ExercisePrescription
    latest_session: ExerciseSession | None


@dataclass(frozen=True)
class ReadinessCriteria:
    """A level's criteria for moving up; the defaults are PROGRAMS.md's example (rules)."""

    window_weeks: int = rules.READINESS_WINDOW_WEEKS
    min_adherence: Decimal = rules.READINESS_MIN_ADHERENCE
    max_average_rpe: Decimal = rules.READINESS_MAX_AVERAGE_RPE


@dataclass(frozen=True)
class ReadinessItem:
    label: str
    met: bool
    detail: str


@dataclass(frozen=True)
class Readiness:
    """The checklist for moving up a level. It only reports: moving up needs a clinician."""

    items: tuple[ReadinessItem, ...]

    @property
    def ready(self) -> bool:
        return all(item.met for item in self.items)


def level_readiness(
    *,
    weeks_at_level: int,
    minimum_weeks: int,
    weeks: Sequence[WeekRecord],
    key_exercises: Sequence[KeyExercise],
    criteria: ReadinessCriteria | None = None,
) -> Readiness:
    """Check each criterion for moving up: weeks done, adherence, key exercises, effort.

    ``weeks`` holds one record per calendar week at this level (paused ones included, they are
    left out of the sums); adherence and average session RPE use the newest
    ``criteria.window_weeks`` of them. With no key exercises marked, that item is met.
    """
    criteria = criteria or ReadinessCriteria()
    if type(criteria.window_weeks) is not int or criteria.window_weeks < 1:
        raise ValueError("criteria.window_weeks must be a whole number >= 1")
    items = (
        ReadinessItem(
            "Minimum weeks at this level",
            weeks_at_level >= minimum_weeks,
            f"{weeks_at_level} {_weeks(weeks_at_level)} at this level; the minimum is "
            f"{minimum_weeks}.",
        ),
        _adherence_item(weeks, criteria),
        _key_exercises_item(key_exercises),
        _rpe_item(weeks, criteria),
    )
    return Readiness(items)


def _adherence_item(weeks: Sequence[WeekRecord], criteria: ReadinessCriteria) -> ReadinessItem:
    window = criteria.window_weeks
    label = f"Adherence over the last {window} {_weeks(window)}"
    fraction = rolling_adherence(weeks, n=window)
    needed = as_percent(criteria.min_adherence)
    if fraction is None:
        return ReadinessItem(label, False, f"No planned weeks in the last {window} to judge.")
    return ReadinessItem(
        label,
        fraction >= criteria.min_adherence,
        f"{as_percent(fraction)}%; needs at least {needed}%.",
    )


def _key_exercises_item(key_exercises: Sequence[KeyExercise]) -> ReadinessItem:
    label = "Key exercises at the top of their range"
    if not key_exercises:
        return ReadinessItem(label, True, "No key exercises are marked at this level.")
    at_top, not_yet = [], []
    for exercise in key_exercises:
        if exercise.latest_session is None:
            not_yet.append(f"{exercise.name} (not logged yet)")
        elif at_top_of_range(exercise.prescription, exercise.latest_session):
            at_top.append(exercise.name)
        else:
            not_yet.append(exercise.name)
    parts = []
    if at_top:
        parts.append("At the top: " + ", ".join(at_top) + ".")
    if not_yet:
        parts.append("Not yet: " + ", ".join(not_yet) + ".")
    return ReadinessItem(label, not not_yet, " ".join(parts))


def _rpe_item(weeks: Sequence[WeekRecord], criteria: ReadinessCriteria) -> ReadinessItem:
    window = criteria.window_weeks
    label = f"Average session RPE over the last {window} {_weeks(window)}"
    newest = sorted(weeks, key=lambda week: week.week_start)[-window:]
    rpes = [
        session.session_rpe
        for week in newest
        if not week.paused
        for session in week.sessions
        if session.performed and session.session_rpe is not None
    ]
    limit = _number(criteria.max_average_rpe)
    if not rpes:
        return ReadinessItem(label, False, f"No session RPE recorded in the last {window} weeks.")
    average = Decimal(sum(rpes)) / len(rpes)
    shown = _number(average.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    noun = "session" if len(rpes) == 1 else "sessions"
    return ReadinessItem(
        label,
        average <= criteria.max_average_rpe,
        f"{shown} over {len(rpes)} {noun}; needs at most {limit}.",
    )


# Progression paths ------------------------------------------------------------------------


def _load_progression(prescription: ExercisePrescription, met: str) -> Suggestion:
    """Raise the load 2-10%, rounded up to the equipment (never back to the same load).

    When no load fits inside 10% (20 kg with a 2.5 kg step is +12.5%), the rep range grows
    first, by ``rules.EXTEND_RANGE_BY_REPS`` while its top stays within
    ``rules.REP_RANGE_CEILING``; we chose a wider range over an extra set because more volume
    buys no extra mood benefit (Gordon et al. 2018) while more reps at the same load is the
    gentlest next step. Past the ceiling the bigger jump is suggested, flagged for confirmation.
    """
    load = prescription.load_kg
    target = _next_load(prescription)
    within = target is not None and target <= load * (ONE + rules.MAX_INCREASE_FRACTION)
    if within:
        return _increase(prescription, target, f"{met}: raise the load", "", confirm=False)
    smallest = (
        f"the next available load, {_kg(target)}, is {_change(load, target)}"
        if target is not None
        else f"no load heavier than {_kg(load)} is available"
    )
    extended = prescription.reps_max + rules.EXTEND_RANGE_BY_REPS
    if extended <= rules.REP_RANGE_CEILING:
        return Suggestion(
            kind=EXTEND_RANGE,
            new_load_kg=load,
            new_sets=prescription.sets,
            new_reps_min=prescription.reps_min,
            new_reps_max=extended,
            next_exercise=None,
            reason=(
                f"{met}, but {smallest}, more than "
                f"{_percent(rules.MAX_INCREASE_FRACTION)}: keep {_kg(load)} and extend the "
                f"range to {prescription.reps_min}-{extended} reps first."
            ),
        )
    if target is None:
        ladder = f" or moving on to {prescription.ladder_next}" if prescription.ladder_next else ""
        return _unchanged(
            prescription,
            HOLD,
            f"{met}, but {smallest} and the range already reaches {prescription.reps_max} "
            f"reps: keep the prescription; consider heavier equipment{ladder}.",
        )
    return _increase(
        prescription,
        target,
        f"{met}, and the range already reaches {prescription.reps_max} reps: raise the load",
        f" No load on this equipment fits within {_percent(rules.MAX_INCREASE_FRACTION)}: "
        "confirm the bigger jump, or keep the load.",
        confirm=True,
    )


def _increase(
    prescription: ExercisePrescription, target: Decimal, lead: str, tail: str, *, confirm: bool
) -> Suggestion:
    load = prescription.load_kg
    return Suggestion(
        kind=INCREASE_LOAD,
        new_load_kg=target,
        new_sets=prescription.sets,
        new_reps_min=prescription.reps_min,
        new_reps_max=prescription.reps_max,
        next_exercise=None,
        reason=(
            f"{lead} from {_kg(load)} to {_kg(target)} ({_change(load, target)}) and start "
            f"again at {prescription.reps_min} reps.{tail}"
        ),
        needs_confirmation=confirm,
    )


def _next_load(prescription: ExercisePrescription) -> Decimal | None:
    """The lightest load at least 2% above the current one: on the step grid, or in the rack.

    Rounding up from +2% (never to the nearest step) is what stops 20.4 kg from rounding back
    to 20 kg; the result is always strictly heavier than the current load.
    """
    load = prescription.load_kg
    lowest = load * (ONE + rules.MIN_INCREASE_FRACTION)
    if prescription.available_loads is not None:
        return next((a for a in prescription.available_loads if a >= lowest and a > load), None)
    step = prescription.step_kg
    target = (lowest / step).to_integral_value(rounding=ROUND_CEILING) * step
    while target <= load:  # unreachable for a load above 0; kept as the guard the bug needs
        target += step
    return target


def _deload(prescription: ExercisePrescription, short: str) -> Suggestion:
    """About 10% less load, to the nearest step (ties to the lighter), always strictly lighter."""
    load = prescription.load_kg
    exact = load * (ONE - rules.DELOAD_FRACTION)
    if prescription.available_loads is not None:
        lighter = [a for a in prescription.available_loads if a < load]
        if not lighter:
            return _unchanged(
                prescription,
                HOLD,
                f"{short}, and no load lighter than {_kg(load)} is available: keep the "
                "prescription and consider the easier step on the ladder.",
            )
        target = min(lighter, key=lambda a: (abs(a - exact), a))
    else:
        step = prescription.step_kg
        target = (exact / step).to_integral_value(rounding=ROUND_HALF_DOWN) * step
        if target >= load:
            target = ((load / step).to_integral_value(rounding=ROUND_CEILING) - 1) * step
        target = max(target, ZERO)
    note = (
        " That leaves no added load: consider the easier step on the ladder." if not target else ""
    )
    return Suggestion(
        kind=DECREASE_LOAD,
        new_load_kg=target,
        new_sets=prescription.sets,
        new_reps_min=prescription.reps_min,
        new_reps_max=prescription.reps_max,
        next_exercise=None,
        reason=(
            f"{short}: suggest about {_percent(rules.DELOAD_FRACTION)} less load, from "
            f"{_kg(load)} to {_kg(target)} ({_change(load, target)}).{note}"
        ),
    )


def _bodyweight_progression(prescription: ExercisePrescription, met: str) -> Suggestion:
    """Add a set up to 3, then the next variation with reps reset, then (no next) extend."""
    p = prescription
    if p.sets < rules.MAX_BODYWEIGHT_SETS:
        return Suggestion(
            kind=ADD_SET,
            new_load_kg=p.load_kg,
            new_sets=p.sets + 1,
            new_reps_min=p.reps_min,
            new_reps_max=p.reps_max,
            next_exercise=None,
            reason=f"{met}: add a set, {p.sets} to {p.sets + 1}, in the same range.",
        )
    if p.ladder_next is not None:
        return Suggestion(
            kind=NEXT_VARIATION,
            new_load_kg=p.load_kg,
            new_sets=p.sets,
            new_reps_min=p.reps_min,
            new_reps_max=p.reps_max,
            next_exercise=p.ladder_next,
            reason=(
                f"{met} with {p.sets} sets: move on to the next variation on the ladder "
                f"({p.ladder_next}) and start again at {p.reps_min} {p.unit}."
            ),
        )
    by = rules.EXTEND_RANGE_BY_SECONDS if p.measure == HOLD_SECONDS else rules.EXTEND_RANGE_BY_REPS
    return Suggestion(
        kind=EXTEND_RANGE,
        new_load_kg=p.load_kg,
        new_sets=p.sets,
        new_reps_min=p.reps_min,
        new_reps_max=p.reps_max + by,
        next_exercise=None,
        reason=(
            f"{met} with {p.sets} sets and this is the last step of its ladder: extend the "
            f"range to {p.reps_min}-{p.reps_max + by} {p.unit}."
        ),
    )


def _unchanged(prescription: ExercisePrescription, kind: str, reason: str) -> Suggestion:
    return Suggestion(
        kind=kind,
        new_load_kg=prescription.load_kg,
        new_sets=prescription.sets,
        new_reps_min=prescription.reps_min,
        new_reps_max=prescription.reps_max,
        next_exercise=None,
        reason=reason,
    )


def _sessions_below_range(
    prescription: ExercisePrescription, sessions: tuple[ExerciseSession, ...]
) -> int:
    """How many of the newest sessions in a row had a working set below the range."""
    count = 0
    for session in reversed(sessions):
        if not below_range(prescription, session):
            break
        count += 1
    return count


def _blockers(latest: tuple[ExerciseSession, ...]) -> str:
    """Why a progression earned on reps must wait, in words; empty when nothing blocks it."""
    reasons = []
    pains = [
        s.pain for s in latest if s.pain is not None and s.pain >= rules.PAIN_BLOCKS_PROGRESSION_AT
    ]
    if pains:
        reasons.append(f"pain of {max(pains)}/10 was reported")
    rpes = [
        s.session_rpe
        for s in latest
        if s.session_rpe is not None and s.session_rpe >= rules.RPE_BLOCKS_PROGRESSION_AT
    ]
    if rpes:
        reasons.append(f"session RPE reached {max(rpes)}")
    if any(s.pain is None for s in latest):
        reasons.append("pain was not recorded")
    if any(s.session_rpe is None for s in latest):
        reasons.append("session RPE was not recorded")
    return " and ".join(reasons)


def _top_met(prescription: ExercisePrescription, sessions: int) -> str:
    p = prescription
    if p.sets == 1:
        which, verb = "The working set", "was held for" if p.measure == HOLD_SECONDS else "reached"
    else:
        which = "Both working sets" if p.sets == 2 else f"All {p.sets} working sets"
        verb = "were held for" if p.measure == HOLD_SECONDS else "reached"
    at_load = f" at {_kg(p.load_kg)} or more" if p.loaded else ""
    return f"{which} {verb} {p.reps_max} {p.unit}{at_load} in each of the last {sessions} sessions"


def _heavier_than_prescribed(prescription: ExercisePrescription, done: SetResult) -> bool:
    return prescription.loaded and done.load_kg is not None and done.load_kg > prescription.load_kg


def _at_load(prescription: ExercisePrescription, done: SetResult) -> bool:
    if not prescription.loaded:
        return True
    return done.load_kg is not None and done.load_kg >= prescription.load_kg


def _kg(load: Decimal) -> str:
    return f"{_number(load)} kg"


def _number(value: Decimal) -> str:
    """A Decimal without trailing zeros or exponent: 40.00 -> "40", 42.50 -> "42.5"."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


def _change(old: Decimal, new: Decimal) -> str:
    change = ((new - old) * 100 / old).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{'+' if change > 0 else ''}{_number(change)}%"


def _percent(fraction: Decimal) -> str:
    return f"{_number(fraction * 100)}%"


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _weeks(count: int) -> str:
    return "week" if count == 1 else "weeks"


def _load(value, name: str) -> Decimal:
    """A load as Decimal; floats are refused so no binary rounding reaches a training number."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name} must be a Decimal (or whole kg), not {value!r}")
    load = Decimal(value)
    if not load.is_finite() or load < 0:
        raise ValueError(f"{name} must be a finite number >= 0, not {value!r}")
    return load


def _check_scale(value, name: str) -> None:
    if value is not None and (type(value) is not int or not 0 <= value <= 10):
        raise ValueError(f"{name} must be a whole number 0-10, not {value!r}")
