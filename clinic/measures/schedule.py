"""When a scheduled questionnaire is due: pure date arithmetic in the clinic's own time zone.

Decision: a scheduled invitation is sent from 08:00 local time on its weekday, so a patient is
not woken by a mail at midnight. Times are compared in the clinic's zone (zoneinfo), so the
local hour stays 08:00 across daylight-saving changes while the UTC hour moves.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

SEND_LOCAL_TIME = time(8, 0)
FREQUENCIES = (1, 2, 4)  # weeks
# The schedule a new patient is offered (issue 16, after INSTRUMENTS.md "Scheduling defaults"):
# (instrument code, every how many weeks); each one a tick on the form for adding a patient.
DEFAULT_SCHEDULE = (("PHQ-9", 1), ("GAD-7", 1), ("WHO-5", 2), ("RSES", 4))
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def first_occurrence(starts_on, weekday):
    """The first date on or after ``starts_on`` that falls on ``weekday`` (Monday = 0)."""
    return starts_on + timedelta(days=(weekday - starts_on.weekday()) % 7)


def latest_occurrence(*, every_weeks, weekday, starts_on, ends_on, on_or_before):
    """The most recent due date of a schedule on or before a date, or None if none yet."""
    first = first_occurrence(starts_on, weekday)
    last_day = on_or_before if ends_on is None else min(on_or_before, ends_on)
    if last_day < first:
        return None
    periods = (last_day - first).days // (7 * every_weeks)
    return first + timedelta(weeks=periods * every_weeks)


def next_occurrence(*, every_weeks, weekday, starts_on, ends_on, after):
    """The first due date strictly after ``after``, or None once the schedule has ended."""
    first = first_occurrence(starts_on, weekday)
    if after < first:
        candidate = first
    else:
        periods = (after - first).days // (7 * every_weeks) + 1
        candidate = first + timedelta(weeks=periods * every_weeks)
    if ends_on is not None and candidate > ends_on:
        return None
    return candidate


def local_now(now_utc, timezone):
    return now_utc.astimezone(ZoneInfo(timezone))


def send_moment(due_on, timezone):
    """The aware datetime (in the clinic's zone) from which a due date's link is sent."""
    return datetime.combine(due_on, SEND_LOCAL_TIME, tzinfo=ZoneInfo(timezone))


def due_now(*, every_weeks, weekday, starts_on, ends_on, now_utc, timezone, window_days):
    """The due date whose invitation should exist at ``now_utc``, or None.

    Only the most recent occurrence counts, and only within ``window_days`` (the link expiry)
    of it: if sending stopped for a month, patients do not get four old links at once.
    """
    today = local_now(now_utc, timezone).date()
    due_on = latest_occurrence(every_weeks=every_weeks, weekday=weekday, starts_on=starts_on,
                               ends_on=ends_on, on_or_before=today)
    if due_on is not None and now_utc < send_moment(due_on, timezone):
        # Today's occurrence is not sendable before 08:00: the previous one is the current one.
        due_on = latest_occurrence(every_weeks=every_weeks, weekday=weekday, starts_on=starts_on,
                                   ends_on=ends_on, on_or_before=due_on - timedelta(days=1))
    if due_on is None:
        return None
    if today - due_on >= timedelta(days=window_days):
        return None
    return due_on


def is_valid_timezone(name):
    try:
        ZoneInfo(name)
    except (KeyError, ValueError):
        return False
    return True
