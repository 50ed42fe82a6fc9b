"""Strength trend: Epley e1RM, weekly bests, change from baseline (PROGRAMS.md "Strength trend").

No app and no database: worked examples, ISO-week boundaries, the bodyweight trend, and the
properties that e1RM never falls when load or reps (1-10) rise.
"""

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.programs.strength import (
    WeeklyBest,
    best_reps_per_week,
    epley,
    ladder_step_per_week,
    percent_change_from_baseline,
    week_start,
    weekly_best_e1rm,
)

# No example database (no .hypothesis folder in the checkout), no deadline (slow CI machines).
pure = settings(database=None, deadline=None)

kg = Decimal
MONDAY = date(2026, 3, 2)
SUNDAY = date(2026, 3, 8)
NEXT_MONDAY = date(2026, 3, 9)


@pytest.mark.parametrize(
    ("load", "reps", "expected"),
    [
        pytest.param("100", 10, "133.33", id="100kg-x10"),
        pytest.param("100", 1, "100", id="single-rep-is-the-load"),
        pytest.param("60", 5, "70", id="60kg-x5"),
        pytest.param("42.5", 8, "53.83", id="42.5kg-x8-rounds-half-up"),
        pytest.param("20", 2, "21.33", id="20kg-x2"),
        pytest.param("100", 11, None, id="11-reps-too-many"),
        pytest.param("100", 0, None, id="no-reps"),
        pytest.param("0", 5, None, id="no-load"),
        pytest.param(None, 12, None, id="bodyweight"),
    ],
)
def test_epley_worked_examples(load, reps, expected):
    result = epley(None if load is None else kg(load), reps)
    assert result == (None if expected is None else kg(expected))


@pytest.mark.parametrize(("load", "reps"), [(100.0, 5), (kg("100"), 5.0), (kg("100"), True)])
def test_epley_refuses_floats(load, reps):
    with pytest.raises(TypeError):
        epley(load, reps)


def test_week_start_is_the_iso_monday():
    assert week_start(SUNDAY) == MONDAY
    assert week_start(NEXT_MONDAY) == NEXT_MONDAY
    assert week_start(datetime(2026, 3, 4, 18, 30)) == MONDAY


def test_weekly_best_e1rm_takes_the_best_set_of_each_week():
    sets = [
        (NEXT_MONDAY, kg("45"), 8),  # 57
        (MONDAY, kg("40"), 10),  # 53.33
        (SUNDAY, kg("42.5"), 9),  # 55.25, the same ISO week as MONDAY
        (SUNDAY, kg("50"), 12),  # 12 reps: not estimated
        (SUNDAY, None, 15),  # bodyweight: not estimated
    ]
    assert weekly_best_e1rm(sets) == [
        WeeklyBest(MONDAY, kg("55.25")),
        WeeklyBest(NEXT_MONDAY, kg("57")),
    ]


def test_weeks_without_a_loaded_set_do_not_appear():
    assert weekly_best_e1rm([(MONDAY, kg("0"), 5), (NEXT_MONDAY, kg("40"), 15)]) == []


@pytest.mark.parametrize(
    ("bests", "changes"),
    [
        pytest.param(
            ["100", "105", "110"],
            ["-4.8", "0", "4.8"],
            id="baseline-is-the-best-of-the-first-two-weeks",
        ),
        pytest.param(["105", "100", "126"], ["0", "-4.8", "20"], id="first-week-was-better"),
        pytest.param(["50"], ["0"], id="one-week-is-its-own-baseline"),
        pytest.param([], [], id="no-loaded-weeks"),
    ],
)
def test_percent_change_from_the_first_two_loaded_weeks(bests, changes):
    weekly = [
        WeeklyBest(date.fromordinal(MONDAY.toordinal() + 7 * i), kg(best))
        for i, best in enumerate(bests)
    ]
    result = percent_change_from_baseline(weekly)
    assert [change.percent_change for change in result] == [kg(c) for c in changes]
    assert [change.best for change in result] == [kg(b) for b in bests]


def test_best_reps_per_week_for_bodyweight_work():
    sets = [(MONDAY, 10), (SUNDAY, 12), (NEXT_MONDAY, 11), (NEXT_MONDAY, None)]
    assert best_reps_per_week(sets) == [WeeklyBest(MONDAY, 12), WeeklyBest(NEXT_MONDAY, 11)]


def test_ladder_step_per_week_reports_the_highest_step_and_reps_at_it():
    sets = [
        (MONDAY, 2, 15),  # incline push-up
        (SUNDAY, 3, 6),  # kneeling push-up: the highest step this week
        (NEXT_MONDAY, 3, 9),
        (NEXT_MONDAY, 3, 11),
    ]
    result = ladder_step_per_week(sets)
    assert [(week.week_start, week.step, week.best) for week in result] == [
        (MONDAY, 3, 6),
        (NEXT_MONDAY, 3, 11),
    ]


# Properties --------------------------------------------------------------------------------

loads = st.integers(1, 2000).map(lambda quarter: Decimal(quarter) / 4)  # 0.25 to 500 kg
reps_in_range = st.integers(1, 10)


@pure
@given(a=loads, b=loads, reps=reps_in_range)
def test_e1rm_never_falls_as_load_rises(a, b, reps):
    low, high = sorted((a, b))
    assert epley(low, reps) <= epley(high, reps)


@pure
@given(load=loads, a=reps_in_range, b=reps_in_range)
def test_e1rm_never_falls_as_reps_rise(load, a, b):
    fewer, more = sorted((a, b))
    assert epley(load, fewer) <= epley(load, more)


@pure
@given(load=loads, reps=reps_in_range)
def test_e1rm_is_at_least_the_load_lifted(load, reps):
    assert epley(load, reps) >= load.quantize(kg("0.01"))


@pure
@given(load=loads, reps=st.integers(11, 200))
def test_no_e1rm_beyond_ten_reps(load, reps):
    assert epley(load, reps) is None
