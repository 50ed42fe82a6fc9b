"""Dates and times as a person reads them: on the clinic's clock, with the zone named."""

from datetime import UTC, date, datetime


def format_in_zone(moment, zone, *, with_time=True, seconds=False):
    """``3 Dec 2026 09:15 GMT`` (or ``3 Dec 2026`` without the time, ``09:15:07`` with
    ``seconds``) for an aware ``moment``."""
    local = moment.astimezone(zone)
    text = f"{local.day} {local:%b %Y}"
    if not with_time:
        return text
    return f"{text} {local:%H:%M:%S %Z}" if seconds else f"{text} {local:%H:%M %Z}"


def format_day(day):
    """``3 Dec 2026`` for a date (the month's English abbreviation, as every page writes it)."""
    return f"{day.day} {day:%b %Y}"


def _clinic_zone():
    from flask_login import current_user

    clinic = getattr(current_user, "clinic", None)
    return clinic.zone if clinic is not None else UTC


def clinic_time(moment, with_time=True, seconds=False):
    """Template filter: ``moment`` on the logged-in clinician's clinic clock ("" for None)."""
    if moment is None:
        return ""
    return format_in_zone(moment, _clinic_zone(), with_time=with_time, seconds=seconds)


def clinic_day(value):
    """Template filter: ``3 Dec 2026`` for a date (already a clinic day: an episode start, a
    due date) or for an aware moment (the day it was on the clinic's calendar); "" for None.

    Pages name the zone once, beside the heading or column these days stand under.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_in_zone(value, _clinic_zone(), with_time=False)
    if isinstance(value, date):
        return format_day(value)
    raise TypeError(f"not a date: {value!r}")


def clinic_zone_name():
    """Template global: the logged-in clinician's clinic zone (``Europe/London``)."""
    return str(_clinic_zone())


def days_ago(day, today):
    """``today``, ``yesterday``, ``3 days ago`` (both calendar dates on the clinic's calendar);
    a date after ``today`` (a clock a little ahead) reads as today."""
    days = (today - day).days
    if days <= 0:
        return "today"
    return "yesterday" if days == 1 else f"{days} days ago"


def relative_day(moment, zone, today):
    """How long ago an aware ``moment`` was, counted in days of the clinic's calendar."""
    return days_ago(moment.astimezone(zone).date(), today)
