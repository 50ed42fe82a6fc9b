"""Pure due-date rules of scheduled questionnaires (``clinic.measures.schedule``).

No app and no database: occurrences of weekly, 2-weekly and 4-weekly schedules, the end date,
the 08:00 clinic-local send moment, the expiry window, and daylight-saving changes in
Europe/London (2026-03-29, 2026-10-25) and America/New_York (2026-03-08, 2026-11-01).
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from helpers import utc
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.measures import schedule

# No example database (no .hypothesis folder in the checkout), no deadline (slow CI machines).
pure = settings(database=None, deadline=None)

MONDAY, TUESDAY, WEDNESDAY, SATURDAY, SUNDAY = 0, 1, 2, 5, 6
START = date(2026, 1, 5)  # a Monday
LONDON = "Europe/London"
NEW_YORK = "America/New_York"


def local(timezone, *args):
    """A wall-clock time in ``timezone``, as an aware UTC datetime."""
    return datetime(*args, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def due(now_utc, *, every_weeks=1, weekday=MONDAY, starts_on=START, ends_on=None,
        timezone=LONDON, window_days=4):
    return schedule.due_now(every_weeks=every_weeks, weekday=weekday, starts_on=starts_on,
                            ends_on=ends_on, now_utc=now_utc, timezone=timezone,
                            window_days=window_days)


def occurrences(every_weeks, weekday, starts_on, ends_on, until):
    """Every due date up to ``until``, found day by day (an oracle independent of the module)."""
    found, day, first = [], starts_on, None
    while day <= until and (ends_on is None or day <= ends_on):
        if day.weekday() == weekday:
            first = first or day
            if (day - first).days % (7 * every_weeks) == 0:
                found.append(day)
        day += timedelta(days=1)
    return found


# Occurrences -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_on", "weekday", "expected"),
    [
        (date(2026, 1, 5), MONDAY, date(2026, 1, 5)),  # the start day itself
        (date(2026, 1, 6), MONDAY, date(2026, 1, 12)),  # a Tuesday start waits for Monday
        (date(2026, 1, 4), SATURDAY, date(2026, 1, 10)),  # Sunday start, Saturday: 6 days
        (date(2026, 1, 5), SUNDAY, date(2026, 1, 11)),
    ],
)
def test_first_occurrence_is_the_first_matching_weekday_on_or_after_the_start(
    starts_on, weekday, expected
):
    assert schedule.first_occurrence(starts_on, weekday) == expected


@pytest.mark.parametrize(
    ("every_weeks", "on_or_before", "expected"),
    [
        (1, date(2026, 1, 4), None),  # before the start
        (1, date(2026, 1, 5), date(2026, 1, 5)),
        (1, date(2026, 1, 11), date(2026, 1, 5)),
        (1, date(2026, 1, 12), date(2026, 1, 12)),
        (1, date(2026, 1, 18), date(2026, 1, 12)),
        (2, date(2026, 1, 12), date(2026, 1, 5)),  # the in-between week is not an occurrence
        (2, date(2026, 1, 18), date(2026, 1, 5)),
        (2, date(2026, 1, 19), date(2026, 1, 19)),
        (2, date(2026, 1, 30), date(2026, 1, 19)),
        (4, date(2026, 1, 26), date(2026, 1, 5)),
        (4, date(2026, 2, 1), date(2026, 1, 5)),
        (4, date(2026, 2, 2), date(2026, 2, 2)),
        (4, date(2026, 3, 1), date(2026, 2, 2)),
        (4, date(2026, 3, 2), date(2026, 3, 2)),
    ],
)
def test_latest_occurrence(every_weeks, on_or_before, expected):
    assert schedule.latest_occurrence(every_weeks=every_weeks, weekday=MONDAY, starts_on=START,
                                      ends_on=None, on_or_before=on_or_before) == expected


@pytest.mark.parametrize(
    ("every_weeks", "after", "expected"),
    [
        (1, date(2025, 12, 1), date(2026, 1, 5)),  # long before the start
        (1, date(2026, 1, 4), date(2026, 1, 5)),
        (1, date(2026, 1, 5), date(2026, 1, 12)),  # strictly after
        (1, date(2026, 1, 11), date(2026, 1, 12)),
        (2, date(2026, 1, 5), date(2026, 1, 19)),
        (2, date(2026, 1, 12), date(2026, 1, 19)),
        (2, date(2026, 1, 19), date(2026, 2, 2)),
        (4, date(2026, 1, 5), date(2026, 2, 2)),
        (4, date(2026, 2, 1), date(2026, 2, 2)),
        (4, date(2026, 2, 2), date(2026, 3, 2)),
    ],
)
def test_next_occurrence(every_weeks, after, expected):
    assert schedule.next_occurrence(every_weeks=every_weeks, weekday=MONDAY, starts_on=START,
                                    ends_on=None, after=after) == expected


def test_a_start_on_another_weekday_counts_periods_from_the_first_occurrence():
    # Starts on a Wednesday, every 2 weeks on Monday: 12 Jan, 26 Jan, 9 Feb...
    starts_on = date(2026, 1, 7)
    kwargs = {"every_weeks": 2, "weekday": MONDAY, "starts_on": starts_on, "ends_on": None}
    assert schedule.latest_occurrence(**kwargs, on_or_before=date(2026, 1, 11)) is None
    assert schedule.latest_occurrence(**kwargs, on_or_before=date(2026, 1, 25)) == date(2026, 1,
                                                                                       12)
    assert schedule.latest_occurrence(**kwargs, on_or_before=date(2026, 1, 26)) == date(2026, 1,
                                                                                       26)
    assert schedule.next_occurrence(**kwargs, after=date(2026, 1, 12)) == date(2026, 1, 26)


def test_ends_on_stops_latest_and_next_occurrences():
    kwargs = {"every_weeks": 1, "weekday": MONDAY, "starts_on": START}
    # Ends on a Wednesday: the Monday before is the last one, whatever the date asked about.
    assert schedule.latest_occurrence(**kwargs, ends_on=date(2026, 1, 14),
                                      on_or_before=date(2026, 6, 1)) == date(2026, 1, 12)
    assert schedule.next_occurrence(**kwargs, ends_on=date(2026, 1, 14),
                                    after=date(2026, 1, 12)) is None
    # Ends on a due date: that date is still an occurrence (the end is inclusive).
    assert schedule.next_occurrence(**kwargs, ends_on=date(2026, 1, 19),
                                    after=date(2026, 1, 12)) == date(2026, 1, 19)
    assert schedule.next_occurrence(**kwargs, ends_on=date(2026, 1, 19),
                                    after=date(2026, 1, 19)) is None
    # Ends before the first occurrence: there is none at all.
    assert schedule.latest_occurrence(every_weeks=1, weekday=MONDAY, starts_on=date(2026, 1, 6),
                                      ends_on=date(2026, 1, 10),
                                      on_or_before=date(2026, 6, 1)) is None
    assert schedule.next_occurrence(every_weeks=1, weekday=MONDAY, starts_on=date(2026, 1, 6),
                                    ends_on=date(2026, 1, 10), after=date(2026, 1, 1)) is None


schedules = st.fixed_dictionaries({
    "every_weeks": st.sampled_from(schedule.FREQUENCIES),
    "weekday": st.integers(0, 6),
    "starts_on": st.dates(date(2024, 1, 1), date(2027, 12, 31)),
})


@pure
@given(params=schedules, ends_after=st.none() | st.integers(0, 200),
       asked=st.integers(-30, 400))
def test_latest_and_next_occurrence_agree_with_a_day_by_day_count(params, ends_after, asked):
    ends_on = None if ends_after is None else params["starts_on"] + timedelta(days=ends_after)
    day = params["starts_on"] + timedelta(days=asked)
    # Far enough ahead to hold the next occurrence of any schedule, even before its start.
    horizon = max(day, params["starts_on"]) + timedelta(days=7 * 4 + 7)
    found = occurrences(params["every_weeks"], params["weekday"], params["starts_on"], ends_on,
                        horizon)
    before = [d for d in found if d <= day]
    after = [d for d in found if d > day]
    assert schedule.latest_occurrence(**params, ends_on=ends_on, on_or_before=day) == (
        before[-1] if before else None)
    assert schedule.next_occurrence(**params, ends_on=ends_on, after=day) == (
        after[0] if after else None)


# due_now: the 08:00 send moment and the expiry window ----------------------------------------


def test_nothing_is_due_before_0800_local_on_the_due_day():
    assert due(local(LONDON, 2026, 1, 12, 0, 0)) is None
    assert due(local(LONDON, 2026, 1, 12, 7, 59, 59)) is None
    assert due(local(LONDON, 2026, 1, 12, 8, 0)) == date(2026, 1, 12)
    assert due(local(LONDON, 2026, 1, 12, 23, 59)) == date(2026, 1, 12)


def test_before_0800_the_previous_occurrence_is_due_if_still_within_the_window():
    # A clinic whose links stay open 10 days: last Monday's link is still the current one.
    assert due(local(LONDON, 2026, 1, 12, 7, 59), window_days=10) == date(2026, 1, 5)
    assert due(local(LONDON, 2026, 1, 12, 8, 0), window_days=10) == date(2026, 1, 12)


def test_the_occurrence_stays_due_for_window_days_of_local_dates_then_nothing_is():
    assert due(local(LONDON, 2026, 1, 13, 12, 0)) == date(2026, 1, 12)
    assert due(local(LONDON, 2026, 1, 15, 23, 59)) == date(2026, 1, 12)  # 3 days after
    assert due(local(LONDON, 2026, 1, 16, 0, 0)) is None  # 4 days after: outside the window
    assert due(local(LONDON, 2026, 1, 18, 12, 0)) is None
    assert due(local(LONDON, 2026, 1, 16, 0, 0), window_days=5) == date(2026, 1, 12)


def test_the_in_between_weeks_of_a_two_or_four_weekly_schedule_have_nothing_due():
    assert due(local(LONDON, 2026, 1, 12, 9, 0), every_weeks=2) is None
    assert due(local(LONDON, 2026, 1, 19, 9, 0), every_weeks=2) == date(2026, 1, 19)
    for week in (1, 2, 3):
        monday = START + timedelta(weeks=week)
        assert due(local(LONDON, monday.year, monday.month, monday.day, 9), every_weeks=4) is None
    assert due(local(LONDON, 2026, 2, 2, 9, 0), every_weeks=4) == date(2026, 2, 2)


def test_nothing_is_due_before_the_start_or_after_the_end():
    assert due(local(LONDON, 2026, 1, 5, 9, 0), starts_on=date(2026, 1, 6)) is None
    assert due(local(LONDON, 2026, 1, 4, 9, 0)) is None
    ends_on = date(2026, 1, 12)
    assert due(local(LONDON, 2026, 1, 12, 9, 0), ends_on=ends_on) == date(2026, 1, 12)
    assert due(local(LONDON, 2026, 1, 19, 9, 0), ends_on=ends_on) is None
    assert due(local(LONDON, 2026, 2, 2, 9, 0), ends_on=ends_on, every_weeks=4) is None


def test_the_send_moment_is_0800_in_the_clinic_zone():
    moment = schedule.send_moment(date(2026, 1, 12), LONDON)
    assert (moment.hour, moment.minute) == (8, 0)
    assert moment.astimezone(UTC) == utc(2026, 1, 12, 8, 0)
    assert schedule.send_moment(date(2026, 1, 12), NEW_YORK).astimezone(UTC) == utc(2026, 1, 12,
                                                                                    13, 0)


# Daylight saving ---------------------------------------------------------------------------


def test_london_summer_time_sends_at_0700_utc():
    """Monday 30 March 2026, the day after the clocks go forward: 08:00 BST is 07:00 UTC."""
    monday = date(2026, 3, 30)
    assert schedule.send_moment(monday, LONDON).astimezone(UTC) == utc(2026, 3, 30, 7, 0)
    assert due(utc(2026, 3, 30, 6, 59)) is None
    assert due(utc(2026, 3, 30, 7, 0)) == monday
    assert due(utc(2026, 3, 30, 7, 30)) == monday


def test_london_winter_time_sends_at_0800_utc():
    """Monday 2 November 2026, after the clocks went back: 08:00 GMT is 08:00 UTC."""
    monday = date(2026, 11, 2)
    assert schedule.send_moment(monday, LONDON).astimezone(UTC) == utc(2026, 11, 2, 8, 0)
    assert due(utc(2026, 11, 2, 7, 30)) is None
    assert due(utc(2026, 11, 2, 8, 0)) == monday


def test_london_on_the_change_days_themselves():
    # Sunday 29 March: the clocks jump at 01:00 UTC, so 08:00 local is already 07:00 UTC.
    assert due(utc(2026, 3, 29, 6, 59), weekday=SUNDAY) is None
    assert due(utc(2026, 3, 29, 7, 0), weekday=SUNDAY) == date(2026, 3, 29)
    # Sunday 25 October: back at 01:00 UTC, so 08:00 local is 08:00 UTC.
    assert due(utc(2026, 10, 25, 7, 30), weekday=SUNDAY) is None
    assert due(utc(2026, 10, 25, 8, 0), weekday=SUNDAY) == date(2026, 10, 25)


def test_new_york_sends_at_0800_eastern_in_both_seasons():
    # EST (UTC-5) before 8 March, EDT (UTC-4) from then until 1 November.
    assert due(utc(2026, 3, 2, 12, 30), timezone=NEW_YORK) is None
    assert due(utc(2026, 3, 2, 13, 0), timezone=NEW_YORK) == date(2026, 3, 2)
    assert due(utc(2026, 3, 9, 11, 30), timezone=NEW_YORK) is None
    assert due(utc(2026, 3, 9, 12, 0), timezone=NEW_YORK) == date(2026, 3, 9)
    assert due(utc(2026, 11, 2, 12, 30), timezone=NEW_YORK) is None
    assert due(utc(2026, 11, 2, 13, 0), timezone=NEW_YORK) == date(2026, 11, 2)
    # Sunday 8 March: 02:00 EST jumps to 03:00 EDT; 08:00 EDT is 12:00 UTC.
    assert due(utc(2026, 3, 8, 11, 59), weekday=SUNDAY, timezone=NEW_YORK) is None
    assert due(utc(2026, 3, 8, 12, 0), weekday=SUNDAY, timezone=NEW_YORK) == date(2026, 3, 8)


def test_the_window_counts_clinic_local_dates_not_utc_dates():
    # Monday 9 March (EDT), window 4: due until Thursday 23:59 New York time, which is Friday
    # 03:59 UTC; at Friday 00:00 New York time (04:00 UTC) nothing is due any more.
    assert due(utc(2026, 3, 13, 3, 59), timezone=NEW_YORK) == date(2026, 3, 9)
    assert due(utc(2026, 3, 13, 4, 0), timezone=NEW_YORK) is None
    # And "today" is the local date: at 02:00 UTC on Tuesday it is still Monday evening there.
    assert due(utc(2026, 3, 10, 2, 0), timezone=NEW_YORK) == date(2026, 3, 9)


def test_is_valid_timezone():
    assert schedule.is_valid_timezone(LONDON)
    assert schedule.is_valid_timezone(NEW_YORK)
    assert not schedule.is_valid_timezone("Europe/Atlantis")
    assert not schedule.is_valid_timezone("../etc/passwd")


# Property: hourly runs across a daylight-saving change ---------------------------------------

DST_CHANGES = {
    LONDON: [utc(2026, 3, 29, 1), utc(2026, 10, 25, 1)],
    NEW_YORK: [utc(2026, 3, 8, 7), utc(2026, 11, 1, 6)],
}
HOURS = 24 * 16


def expected_due(found, now_utc, timezone, window_days):
    """The oracle: the latest occurrence whose 08:00 local moment has passed, within the window."""
    sent = [d for d in found if schedule.send_moment(d, timezone) <= now_utc]
    if not sent:
        return None
    today = now_utc.astimezone(ZoneInfo(timezone)).date()
    return sent[-1] if (today - sent[-1]).days < window_days else None


@pure
@given(
    timezone=st.sampled_from(sorted(DST_CHANGES)),
    change=st.integers(0, 1),
    every_weeks=st.sampled_from(schedule.FREQUENCIES),
    weekday=st.integers(0, 6),
    starts_before=st.integers(0, 70),
    ends_after=st.none() | st.integers(0, 60),
    run_starts_before=st.integers(0, 24 * 9),
    minute=st.integers(0, 59),
    window_days=st.integers(1, 7),
)
def test_hourly_runs_across_a_dst_change_see_each_date_exactly_from_its_send_moment(
    timezone, change, every_weeks, weekday, starts_before, ends_after, run_starts_before, minute,
    window_days,
):
    boundary = DST_CHANGES[timezone][change]
    starts_on = boundary.date() - timedelta(days=starts_before)
    ends_on = None if ends_after is None else starts_on + timedelta(days=ends_after)
    first_now = boundary - timedelta(hours=run_starts_before) + timedelta(minutes=minute)
    nows = [first_now + timedelta(hours=h) for h in range(HOURS)]
    found = occurrences(every_weeks, weekday, starts_on, ends_on,
                        nows[-1].date() + timedelta(days=1))
    params = {"every_weeks": every_weeks, "weekday": weekday, "starts_on": starts_on,
              "ends_on": ends_on, "timezone": timezone, "window_days": window_days}
    results = [due(now, **params) for now in nows]

    assert results == [expected_due(found, now, timezone, window_days) for now in nows]
    hours_of = {}
    for hour, result in enumerate(results):
        if result is not None:
            hours_of.setdefault(result, []).append(hour)
    for due_on, hours in hours_of.items():
        moment = schedule.send_moment(due_on, timezone)
        assert moment.astimezone(ZoneInfo(timezone)).hour == 8
        assert due_on in found
        # One unbroken run of hours per date (never back to an older date)...
        assert hours == list(range(hours[0], hours[-1] + 1))
        # ...starting at the first hourly run at or after 08:00 local, unless the run began
        # later than that.
        assert nows[hours[0]] >= moment
        if hours[0] > 0:
            assert nows[hours[0] - 1] < moment
    # Dates follow each other in order: never two different due dates interleaved.
    seen = [r for r in results if r is not None]
    assert seen == sorted(seen)
