"""Dates and times as a person reads them: on the clinic's clock, with the zone named."""

from datetime import UTC


def format_in_zone(moment, zone, *, with_time=True):
    """``3 Dec 2026 09:15 GMT`` (or ``3 Dec 2026`` without the time) for an aware ``moment``."""
    local = moment.astimezone(zone)
    text = f"{local.day} {local:%b %Y}"
    return f"{text} {local:%H:%M %Z}" if with_time else text


def clinic_time(moment, with_time=True):
    """Template filter: ``moment`` on the logged-in clinician's clinic clock ("" for None)."""
    from flask_login import current_user

    if moment is None:
        return ""
    clinic = getattr(current_user, "clinic", None)
    return format_in_zone(moment, clinic.zone if clinic is not None else UTC,
                          with_time=with_time)


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
