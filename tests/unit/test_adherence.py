"""Adherence, patient counts, session load and program alerts (shared/PROGRAMS.md "Adherence").

No app and no database: worked examples of the credit rules, paused weeks, the rolling window,
what a patient sees, Foster's session load, each alert and its near misses, and properties.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.catalogue import rules
from clinic.programs.adherence import (
    HIGH_RPE,
    LOW_MOOD_SKIPS,
    MISSED_SESSIONS,
    PAIN_REPORTED,
    PAIN_REVIEW,
    SessionRecord,
    WeekRecord,
    as_percent,
    patient_counts,
    program_alerts,
    rolling_adherence,
    session_credit,
    session_load,
    week_adherence,
    weekly_adherence,
)

# No example database (no .hypothesis folder in the checkout), no deadline (slow CI machines).
pure = settings(database=None, deadline=None)

FIRST_MONDAY = date(2026, 3, 2)


def done(sets=6, of=6, rpe=5, pain=None):
    return SessionRecord("done", sets, of, session_rpe=rpe, pain=pain)


def partial(rpe=4):
    return SessionRecord("partial", 3, 6, session_rpe=rpe)


def low_energy():
    return SessionRecord("done", 5, 15, low_energy=True, session_rpe=3)


def skipped(reason="no_time"):
    return SessionRecord("skipped", skip_reason=reason)


def weeks(*sessions_per_week, planned=2, paused=()):
    """Consecutive weeks from FIRST_MONDAY; ``paused`` lists the indexes of paused weeks."""
    return [
        WeekRecord(FIRST_MONDAY + timedelta(weeks=i), planned, tuple(sessions), i in paused)
        for i, sessions in enumerate(sessions_per_week)
    ]


# Credit per session ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("session", "credit", "words"),
    [
        pytest.param(done(6, 6), "1", "Done", id="done-every-set"),
        pytest.param(done(3, 6), "1", "Done", id="done-exactly-half-the-sets"),
        pytest.param(done(2, 6), "0.5", "fewer than half", id="done-fewer-than-half-is-partial"),
        pytest.param(done(0, 0), "1", "Done", id="done-nothing-prescribed"),
        pytest.param(partial(), "0.5", "Partial", id="partial"),
        pytest.param(low_energy(), "0.5", "Low-energy", id="low-energy-version"),
        pytest.param(skipped(), "0", "Skipped", id="skipped"),
    ],
)
def test_session_credit(session, credit, words):
    result = session_credit(session)
    assert result.credit == Decimal(credit)
    assert words in result.reason


def test_done_with_fewer_than_half_says_so():
    assert session_credit(done(2, 6)).reason == (
        "Done with 2 of 6 working sets, fewer than half: counts as partial."
    )


# Weeks -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sessions", "planned", "credited", "fraction", "extra"),
    [
        pytest.param([done(), done()], 2, "2", "1", 0, id="2-of-2"),
        pytest.param([done(), partial()], 2, "1.5", "0.75", 0, id="done-and-partial"),
        pytest.param([done(), done(), done()], 2, "2", "1", 1, id="extra-session-capped"),
        pytest.param(
            [partial(), partial(), partial()],
            2,
            "1.5",
            "0.75",
            1,
            id="three-partials-in-a-two-week",
        ),
        pytest.param([skipped(), skipped()], 2, "0", "0", 0, id="two-skips"),
        pytest.param([], 3, "0", "0", 0, id="nothing-logged"),
        pytest.param([done()], 0, "0", None, 1, id="nothing-planned-left-out"),
    ],
)
def test_week_adherence(sessions, planned, credited, fraction, extra):
    result = week_adherence(WeekRecord(FIRST_MONDAY, planned, tuple(sessions)))
    assert result.credited == Decimal(credited)
    assert result.fraction == (None if fraction is None else Decimal(fraction))
    assert result.extra_sessions == extra
    assert len(result.credits) == len(sessions)


def test_paused_week_has_no_fraction():
    result = week_adherence(WeekRecord(FIRST_MONDAY, 2, (done(),), paused=True))
    assert result.paused is True
    assert result.fraction is None


def test_weekly_adherence_is_oldest_first():
    records = weeks([done()], [done(), done()])
    result = weekly_adherence(reversed(records))
    assert [week.week_start for week in result] == [FIRST_MONDAY, FIRST_MONDAY + timedelta(7)]


# Rolling adherence -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        pytest.param(
            weeks([done(), done()], [done(), partial()], [], [done()], paused=(2,)),
            "0.75",
            id="paused-week-left-out-of-both-sums",
        ),
        pytest.param(
            weeks([], [done(), done()], [done(), done()], [done(), done()], [done(), done()]),
            "1",
            id="only-the-newest-4-weeks",
        ),
        pytest.param(weeks([done()] * 3, [], [], []), "0.25", id="extras-never-raise-it"),
        pytest.param(weeks([done()], [done()], paused=(0, 1)), None, id="all-paused"),
        pytest.param(weeks([done()], planned=0), None, id="nothing-planned"),
        pytest.param([], None, id="no-weeks"),
    ],
)
def test_rolling_adherence(records, expected):
    result = rolling_adherence(records)
    assert result == (None if expected is None else Decimal(expected))


def test_rolling_adherence_window_can_be_three_weeks():
    records = weeks([], [done(), done()], [done(), done()], [done(), done()])
    assert rolling_adherence(records, n=3) == 1
    assert rolling_adherence(records) == Decimal("0.75")


@pytest.mark.parametrize(
    ("fraction", "percent"),
    [("0.675", 68), ("0.6666666666666666666666666667", 67), ("1", 100), ("0", 0)],
)
def test_as_percent_rounds_half_up(fraction, percent):
    assert as_percent(Decimal(fraction)) == percent


def test_as_percent_of_nothing_is_none():
    assert as_percent(None) is None


# What the patient sees ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("week", "so_far", "expected"),
    [
        pytest.param(
            WeekRecord(FIRST_MONDAY, 2, (done(), done())),
            17,
            ("2 of 2 this week", "17 sessions so far"),
            id="on-plan",
        ),
        pytest.param(
            WeekRecord(FIRST_MONDAY, 2, (partial(), skipped())),
            1,
            ("1 of 2 this week", "1 session so far"),
            id="partial-counts-as-showing-up",
        ),
        pytest.param(
            WeekRecord(FIRST_MONDAY, 2, ()),
            0,
            ("0 of 2 this week", "0 sessions so far"),
            id="nothing-yet",
        ),
        pytest.param(
            WeekRecord(FIRST_MONDAY, 2, (done(),) * 3),
            9,
            ("3 this week (2 planned)", "9 sessions so far"),
            id="more-than-planned",
        ),
        pytest.param(
            WeekRecord(FIRST_MONDAY, 2, (), paused=True),
            5,
            ("Paused this week", "5 sessions so far"),
            id="paused",
        ),
    ],
)
def test_patient_counts(week, so_far, expected):
    assert patient_counts(week, so_far) == expected


# Session load ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rpe", "minutes", "load"),
    [(6, 45, 270), (0, 30, 0), (None, 45, None), (5, None, None), (None, None, None)],
)
def test_session_load_is_rpe_times_minutes(rpe, minutes, load):
    assert session_load(rpe, minutes) == load


@pytest.mark.parametrize(("rpe", "minutes"), [(11, 30), (-1, 30), (5, -1), (5.5, 30), (True, 30)])
def test_session_load_refuses_impossible_values(rpe, minutes):
    with pytest.raises(ValueError):
        session_load(rpe, minutes)


# Alerts ------------------------------------------------------------------------------------


def kinds(sessions, records=()):
    return [alert.kind for alert in program_alerts(sessions, records)]


@pytest.mark.parametrize(
    ("sessions", "records", "expected"),
    [
        pytest.param(
            [done()],
            weeks([done()], [], []),
            [MISSED_SESSIONS],
            id="two-planned-weeks-without-a-session",
        ),
        pytest.param(
            [skipped()],
            weeks([done()], [skipped()], [skipped()]),
            [MISSED_SESSIONS],
            id="skips-only-is-no-session",
        ),
        pytest.param(
            [done()],
            weeks([], [], [], paused=(1,)),
            [MISSED_SESSIONS],
            id="a-paused-week-between-is-passed-over",
        ),
        pytest.param([done()], weeks([], [partial()]), [], id="a-partial-session-counts"),
        pytest.param(
            [done()], weeks([done()], [], [], paused=(1, 2)), [], id="paused-weeks-are-not-missed"
        ),
        pytest.param([done()], weeks([]), [], id="only-one-planned-week"),
        pytest.param([done()], weeks([], [], planned=0), [], id="nothing-planned"),
        pytest.param([done(pain=7)], [], [PAIN_REPORTED], id="pain-7"),
        pytest.param([done(pain=10)], [], [PAIN_REPORTED], id="pain-10"),
        pytest.param([done(pain=4)], [], [PAIN_REVIEW], id="pain-4-review"),
        pytest.param([done(pain=3)], [], [], id="pain-3"),
        pytest.param([done(pain=8), done(pain=0)], [], [], id="older-pain-not-raised-again"),
        pytest.param([done(rpe=8), done(rpe=9)], [], [HIGH_RPE], id="rpe-8-then-9"),
        pytest.param(
            [done(rpe=8), skipped(), done(rpe=8)],
            [],
            [HIGH_RPE],
            id="a-skip-between-does-not-break-the-run",
        ),
        pytest.param([done(rpe=9), done(rpe=7)], [], [], id="rpe-9-then-7"),
        pytest.param([done(rpe=8)], [], [], id="one-hard-session"),
        pytest.param([done(rpe=8), done(rpe=None)], [], [], id="rpe-not-asked"),
        pytest.param([skipped("low_mood")] * 3, [], [LOW_MOOD_SKIPS], id="three-low-mood-skips"),
        pytest.param(
            [done(), *[skipped("low_mood")] * 3], [], [LOW_MOOD_SKIPS], id="after-a-session"
        ),
        pytest.param([skipped("low_mood")] * 2, [], [], id="two-low-mood-skips"),
        pytest.param(
            [skipped("low_mood"), skipped("fatigue"), skipped("low_mood")],
            [],
            [],
            id="another-reason-breaks-the-run",
        ),
        pytest.param(
            [skipped("low_mood"), done(), skipped("low_mood"), skipped("low_mood")],
            [],
            [],
            id="a-session-breaks-the-run",
        ),
        pytest.param([], [], [], id="nothing-logged"),
    ],
)
def test_program_alerts(sessions, records, expected):
    assert kinds(sessions, records) == expected


def test_alerts_can_come_together_with_reasons():
    sessions = [done(rpe=8), done(rpe=9, pain=7)]
    alerts = program_alerts(sessions, weeks([], []))
    assert [alert.kind for alert in alerts] == [MISSED_SESSIONS, PAIN_REPORTED, HIGH_RPE]
    assert alerts[0].reason == "No session done in the last 2 planned weeks (since 2026-03-02)."
    assert alerts[1].reason == "Pain of 7/10 reported in the last session."
    assert alerts[2].reason == "Session RPE of 8 or more in the last 2 sessions in a row (8, 9)."


def test_skip_reasons_have_plain_labels():
    assert rules.SKIP_REASONS == (
        "low_mood",
        "fatigue",
        "pain",
        "illness",
        "no_time",
        "forgot",
        "anxious_setting",
        "other",
    )
    assert rules.SKIP_REASON_LABELS["anxious_setting"] == "Anxious about the setting"


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: SessionRecord("missed"), id="unknown-status"),
        pytest.param(lambda: SessionRecord("skipped", skip_reason="lazy"), id="unknown-reason"),
        pytest.param(lambda: SessionRecord("done", -1, 3), id="negative-sets"),
        pytest.param(lambda: SessionRecord("done", session_rpe=11), id="rpe-over-10"),
        pytest.param(lambda: WeekRecord(FIRST_MONDAY, -1), id="negative-planned"),
    ],
)
def test_bad_records_are_refused(build):
    with pytest.raises(ValueError):
        build()


# Properties --------------------------------------------------------------------------------

session_records = st.one_of(
    st.builds(
        SessionRecord,
        st.sampled_from(("done", "partial")),
        st.integers(0, 20),
        st.integers(0, 20),
        st.booleans(),
    ),
    st.builds(SessionRecord, st.just("skipped"), skip_reason=st.sampled_from(rules.SKIP_REASONS)),
)


@st.composite
def week_records(draw):
    count = draw(st.integers(0, 8))
    return [
        WeekRecord(
            FIRST_MONDAY + timedelta(weeks=i),
            draw(st.integers(0, 4)),
            tuple(draw(st.lists(session_records, max_size=6))),
            draw(st.booleans()),
        )
        for i in range(count)
    ]


@pure
@given(records=week_records(), n=st.integers(1, 8))
def test_adherence_is_always_between_zero_and_one(records, n):
    result = rolling_adherence(records, n)
    assert result is None or 0 <= result <= 1
    counted = [week for week in records[-n:] if week.planned and not week.paused]
    assert (result is None) is (not counted)
    for week in weekly_adherence(records):
        assert 0 <= week.credited <= week.planned
        assert week.fraction is None or 0 <= week.fraction <= 1


@pure
@given(records=week_records(), extra=st.lists(session_records, min_size=1, max_size=4))
def test_extra_sessions_never_lower_adherence(records, extra):
    """Logging one more session can only add credit (capped), never take it away."""
    if not records:
        return
    newest = records[-1]
    more = WeekRecord(
        newest.week_start, newest.planned, newest.sessions + tuple(extra), newest.paused
    )
    before, after = rolling_adherence(records), rolling_adherence([*records[:-1], more])
    assert (before is None) is (after is None)
    assert before is None or after >= before


@pure
@given(
    sessions=st.lists(session_records, max_size=6),
    planned=st.integers(0, 4),
    paused=st.booleans(),
    so_far=st.integers(0, 500),
)
def test_patients_see_counts_never_a_percentage_or_a_streak(sessions, planned, paused, so_far):
    texts = patient_counts(WeekRecord(FIRST_MONDAY, planned, tuple(sessions), paused), so_far)
    for text in texts:
        assert "%" not in text
        assert "streak" not in text.lower()
    assert texts[1].startswith(f"{so_far} session")
