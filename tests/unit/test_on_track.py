"""The PHQ-9 not-on-track rule of shared/INSTRUMENTS.md, worked through by hand."""

from datetime import date, timedelta

import pytest

from clinic.measures.on_track import (
    WINDOWS,
    episode_week,
    verdict_of,
    verdicts,
    window_of,
    window_of_week,
)

BASELINE = date(2026, 1, 5)


def day(weeks, days=0):
    return BASELINE + timedelta(weeks=weeks, days=days)


def test_the_published_cut_points_and_windows():
    """PHQ-9 >= 17 at week 4, >= 13 at week 9, >= 9 at week 14; windows 4-5, 9-10, 14-15."""
    assert [(w.week, w.first, w.last, w.cut_point) for w in WINDOWS] == [
        (4, 4, 5, 17),
        (9, 9, 10, 13),
        (14, 14, 15, 9),
    ]


@pytest.mark.parametrize(
    ("days", "week"), [(0, 0), (6, 0), (7, 1), (27, 3), (28, 4), (41, 5), (42, 6)]
)
def test_week_n_is_whole_weeks_since_the_baseline(days, week):
    assert episode_week(BASELINE, BASELINE + timedelta(days=days)) == week


@pytest.mark.parametrize(
    ("week", "cut"),
    [
        (3, None),
        (4, 17),
        (5, 17),
        (6, None),
        (8, None),
        (9, 13),
        (10, 13),
        (11, None),
        (13, None),
        (14, 9),
        (15, 9),
        (16, None),
    ],
)
def test_each_week_falls_in_its_window_or_none(week, cut):
    window = window_of_week(week)
    assert (window.cut_point if window else None) == cut


@pytest.mark.parametrize(
    ("week", "total", "not_on_track"),
    [
        (4, 17, True),
        (4, 16, False),
        (5, 20, True),
        (9, 13, True),
        (9, 12, False),
        (10, 13, True),
        (14, 9, True),
        (14, 8, False),
        (15, 9, True),
    ],
)
def test_at_or_above_the_cut_point_is_not_on_track(week, total, not_on_track):
    history = [(BASELINE, 22, "b"), (day(week, 2), total, "r")]
    verdict = verdict_of(history, "r")
    assert verdict.not_on_track is not_on_track
    assert verdict.detail["cut_point"] == window_of_week(week).cut_point
    assert "Schueller" in verdict.detail["source"]


def test_the_latest_dated_of_a_window_decides():
    """Week 4 at 18 then week 5 at 10: the window is judged on the week-5 answer."""
    history = [(BASELINE, 22, "b"), (day(4), 18, "w4"), (day(5, 3), 10, "w5")]
    judged = verdicts(history)
    assert list(judged) == [4]
    assert judged[4].decider == "w5" and not judged[4].not_on_track
    assert verdict_of(history, "w4") is None
    assert window_of(history, "w4").week == 4


def test_outside_the_windows_nothing_is_judged():
    history = [
        (BASELINE, 25, "b"),
        (day(2), 25, "w2"),
        (day(7), 25, "w7"),
        (day(12), 25, "w12"),
        (day(16), 25, "w16"),
    ]
    assert verdicts(history) == {}
    assert window_of(history, "w7") is None


def test_the_baseline_is_never_judged_and_an_empty_history_has_no_verdict():
    assert verdicts([]) == {}
    assert verdicts([(BASELINE, 27, "b")]) == {}
    assert window_of([], "b") is None


def test_three_windows_judged_independently():
    history = [(BASELINE, 24, "b"), (day(4), 16, "a"), (day(9, 1), 14, "c"), (day(15), 8, "d")]
    judged = verdicts(history)
    assert {w: v.not_on_track for w, v in judged.items()} == {4: False, 9: True, 14: False}
    assert judged[9].detail == {
        "instrument": "PHQ-9",
        "week": 9,
        "episode_week": 9,
        "cut_point": 13,
        "total": 14,
        "source": judged[9].detail["source"],
    }
