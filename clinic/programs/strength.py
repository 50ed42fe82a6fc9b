"""Strength trend: estimated 1RM by Epley, weekly bests and change from baseline, as pure functions.

Strength gained is not what helps mood (shared/PROGRAMS.md: the effect on depression did not
depend on it), so these numbers are a trend for the clinician, never a target and never a reason
to prescribe a 1RM test. Weeks are ISO weeks starting on Monday. Loads are Decimal, quantised to
0.01 kg; percentages to 0.1, both rounded half up.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from clinic.catalogue import rules

EPLEY_DIVISOR = 30
KG = Decimal("0.01")
PERCENT = Decimal("0.1")


class WeeklyBest(NamedTuple):
    """The best value of one ISO week: e1RM in kg, or reps / hold seconds for bodyweight work."""

    week_start: date
    best: Decimal | int


class WeeklyChange(NamedTuple):
    """A week's best e1RM and its change from the baseline, in percent."""

    week_start: date
    best: Decimal
    percent_change: Decimal


class WeeklyLadderStep(NamedTuple):
    """The highest ladder step reached in one week and the best reps (or seconds) at it."""

    week_start: date
    step: int
    best: int


def week_start(day: date) -> date:
    """The Monday of the ISO week that ``day`` falls in."""
    if isinstance(day, datetime):
        day = day.date()
    return day - timedelta(days=day.weekday())


def epley(load_kg: Decimal | int, reps: int) -> Decimal | None:
    """Estimated 1RM = load x (1 + reps / 30), and the load itself for a single rep.

    None for anything Epley should not estimate: no load (bodyweight work) or reps outside 1-10,
    where the prediction is poor.
    """
    if load_kg is None:
        return None
    load = _load(load_kg)
    if type(reps) is not int:
        raise TypeError(f"reps must be a whole number, not {reps!r}")
    if load <= 0 or not rules.E1RM_MIN_REPS <= reps <= rules.E1RM_MAX_REPS:
        return None
    if reps == 1:
        return load.quantize(KG, rounding=ROUND_HALF_UP)
    estimate = load * (EPLEY_DIVISOR + reps) / EPLEY_DIVISOR
    return estimate.quantize(KG, rounding=ROUND_HALF_UP)


def weekly_best_e1rm(sets: Iterable[tuple[date, Decimal | int | None, int]]) -> list[WeeklyBest]:
    """The best e1RM of each week from (date, load_kg, reps) working sets, oldest week first.

    Sets Epley cannot estimate are left out, so a week appears only when it was loaded.
    """
    best: dict[date, Decimal] = {}
    for day, load_kg, reps in sets:
        estimate = epley(load_kg, reps)
        if estimate is None:
            continue
        monday = week_start(day)
        if monday not in best or estimate > best[monday]:
            best[monday] = estimate
    return [WeeklyBest(monday, best[monday]) for monday in sorted(best)]


def percent_change_from_baseline(weekly: Iterable[WeeklyBest]) -> list[WeeklyChange]:
    """Each week's best e1RM as % change from the baseline, oldest week first.

    PROGRAMS.md asks for "the % change from the first two loaded weeks"; the baseline is the
    best e1RM of those two weeks (of the one week, while there is only one), so a light first
    week while the patient was learning the lift does not inflate every later change.
    """
    weeks = sorted(weekly, key=lambda week: week.week_start)
    if not weeks:
        return []
    baseline = max(week.best for week in weeks[: rules.E1RM_BASELINE_WEEKS])
    return [
        WeeklyChange(
            week.week_start,
            week.best,
            ((week.best - baseline) * 100 / baseline).quantize(PERCENT, rounding=ROUND_HALF_UP),
        )
        for week in weeks
    ]


def best_reps_per_week(sets: Iterable[tuple[date, int | None]]) -> list[WeeklyBest]:
    """The best reps (or hold seconds) of each week from (date, reps) sets of one exercise.

    Bodyweight work has no e1RM: its trend is the most reps, or the longest hold, at a step.
    """
    best: dict[date, int] = {}
    for day, reps in sets:
        if reps is None:
            continue
        monday = week_start(day)
        best[monday] = max(reps, best.get(monday, reps))
    return [WeeklyBest(monday, best[monday]) for monday in sorted(best)]


def ladder_step_per_week(sets: Iterable[tuple[date, int, int | None]]) -> list[WeeklyLadderStep]:
    """The highest ladder step of each week and the best reps at it, from (date, step, reps).

    PROGRAMS.md reports bodyweight progress as "the ladder step reached and the best reps (or
    hold seconds) at that step"; reps at an easier step the same week do not count.
    """
    reached: dict[date, tuple[int, int]] = {}
    for day, step, reps in sets:
        if reps is None:
            continue
        monday = week_start(day)
        reached[monday] = max((step, reps), reached.get(monday, (step, reps)))
    return [WeeklyLadderStep(monday, *reached[monday]) for monday in sorted(reached)]


def _load(value: Decimal | int) -> Decimal:
    """A load as Decimal; floats are refused so no binary rounding reaches a training number."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"load must be a Decimal (or whole kg), not {value!r}")
    load = Decimal(value)
    if not load.is_finite():
        raise ValueError(f"load must be a finite number, not {value!r}")
    return load
