"""Limits that the page forms and the API schemas share: each defined once, here.

A page form takes its validators from :func:`length` and :func:`number_range`, an API schema
from :func:`api_length` and :func:`api_range`, and a date field on either side from
:func:`page_date_window` / :func:`api_date_window`. Each validator carries the name of its
limit, so ``tests/test_field_limits.py`` can walk every form and schema and prove that a page
and the API refuse the same input. Hand-parsed page inputs (the session log) read the same
tables.

The services enforce the date windows that depend on the patient (their clinic day, their
episode), so a page and the API refuse the same dates with the same message on the same field.
"""

from datetime import timedelta

from marshmallow import ValidationError as ApiValidationError
from marshmallow import validate as api_validate
from wtforms.validators import Length, NumberRange
from wtforms.validators import ValidationError as PageValidationError

# Text: the most characters a field takes (as typed; surrounding spaces are stripped).
TEXT_MAX = {
    "reason": 1000,  # a clinician's reason: a correction, a level change, a target, a decline
    "note": 2000,  # an alert acknowledgement, a patient's session note
    "name": 120,  # a person's, a clinic's, a program's, a level's or an exercise's name
    "reference": 40,  # the clinic's own reference for a patient
    "email": 254,  # the longest address SMTP can carry (RFC 5321 path)
    "description": 2000,  # a program template's description
    "criteria": 2000,  # a level's readiness criteria
    "cue": 200,  # one form cue of an exercise
    "easier_tip": 300,
    "equipment": 80,
    "load_target": 32,  # a level row's load, as written ("bodyweight", "8-10 kg")
    "pain_where": 120,
    "search": 120,  # a caseload search
    "summary": 4000,  # the clinician's summary on a report
    "crisis_text": 2000,  # the clinic's text shown after a risk answer
    "token_name": 80,  # the name of an API token
    "password": 256,  # new passwords (a passphrase, not a document)
    "password_check": 1024,  # a password typed to confirm who you are (never stored)
    "mfa_code": 40,  # a six-digit code or a recovery code, with spaces
    "suggestion_kind": 32,
}
REASON_MAX = TEXT_MAX["reason"]

# Numbers: (lowest, highest), both allowed.
NUMBER_RANGE = {
    "sets": (1, 10),  # prescribed sets of an exercise
    "reps_target": (1, 200),  # a prescribed rep range's ends
    "reps_done": (0, 200),  # reps logged for one set
    "load_kg": (0, 500),
    "seconds_done": (0, 3600),  # a held position, logged
    "rest_seconds": (0, 600),
    "rpe": (0, 10),  # how hard the session felt, 0-10
    "mood": (0, 10),
    "pain": (0, 10),
    "duration_minutes": (1, 600),
    "ladder_step": (1, 20),
    "min_weeks": (0, 52),
    "sessions_per_week": (1, 7),
    "level": (1, 100),  # a level's number within a program
    "weekday": (0, 6),  # Monday = 0
    "link_expiry_days": (1, 30),
    "reminder_after_days": (1, 29),  # a reminder before the link (at most 30 days) expires
}

# Dates of clinical records (birth, a form's day, a program start, a report period): far outside
# these years a date is a typing slip, and week arithmetic over centuries costs seconds.
DATE_YEARS = (1900, 2100)

PLAN_WINDOW = timedelta(days=366)  # "no more than a year back or ahead" (a leap year too)
# With the clinician's confirmation a program may start further out (a program transcribed
# from paper notes, a planned start after surgery), within this outer window.
CONFIRMED_PLAN_WINDOW = timedelta(days=5 * 366)


# Page forms (WTForms) ---------------------------------------------------------------------


class LimitedLength(Length):
    """A WTForms ``Length`` that knows the name of its limit (for the walk test)."""

    def __init__(self, key, message=None):
        self.limit_key = key
        super().__init__(max=TEXT_MAX[key], message=message or (
            f"Use at most {TEXT_MAX[key]} characters."))


class LimitedRange(NumberRange):
    """A WTForms ``NumberRange`` that knows the name of its limit."""

    def __init__(self, key, message=None):
        self.limit_key = key
        low, high = NUMBER_RANGE[key]
        super().__init__(low, high, message or f"Use a number from {low} to {high}.")


class PageDateWindow:
    """A WTForms validator: the date lies within :data:`DATE_YEARS`."""

    limit_key = "date"

    def __call__(self, form, field):
        problem = date_problem(field.data)
        if problem:
            raise PageValidationError(problem)


def length(key, message=None):
    return LimitedLength(key, message)


def number_range(key, message=None):
    return LimitedRange(key, message)


def page_date_window():
    return PageDateWindow()


# API schemas (marshmallow) ----------------------------------------------------------------


class ApiLength(api_validate.Length):
    """A marshmallow ``Length`` that knows the name of its limit; ``required`` text needs at
    least one character."""

    def __init__(self, key, *, required=False):
        self.limit_key = key
        super().__init__(1 if required else None, TEXT_MAX[key])


class ApiRange(api_validate.Range):
    def __init__(self, key, *, min_inclusive=True):
        self.limit_key = key
        super().__init__(*NUMBER_RANGE[key], min_inclusive=min_inclusive)


class ApiDateWindow:
    """A marshmallow validator for dates and datetimes within :data:`DATE_YEARS`."""

    limit_key = "date"

    def __call__(self, value):
        problem = date_problem(value)
        if problem:
            raise ApiValidationError(problem)
        return value


def api_length(key, *, required=False):
    return ApiLength(key, required=required)


def api_range(key, *, min_inclusive=True):
    return ApiRange(key, min_inclusive=min_inclusive)


def api_date_window():
    return ApiDateWindow()


# Rules ------------------------------------------------------------------------------------


def date_problem(value):
    """Why a clinical date is out of range (None if it is fine or missing)."""
    if value is None:
        return None
    low, high = DATE_YEARS
    if not low <= value.year <= high:
        return f"Use a date between {low} and {high}."
    return None


def number_problem(key, value, label):
    """Why a hand-parsed number is out of range, in the page's words (None if it is fine)."""
    low, high = NUMBER_RANGE[key]
    if not low <= value <= high:
        return f"{label}: use a number from {low} to {high}."
    return None


def program_start_problem(start_date, today, confirmed=False):
    """Why a program cannot start on ``start_date`` (None if it can).

    Within a year of today; further out (up to five years) only when the clinician confirms.
    """
    if start_date < today - CONFIRMED_PLAN_WINDOW:
        return "A program cannot start more than five years ago."
    if start_date > today + CONFIRMED_PLAN_WINDOW:
        return "A program cannot start more than five years ahead."
    if confirmed:
        return None
    if start_date < today - PLAN_WINDOW:
        return ("A program cannot start more than a year ago unless you confirm the date "
                "(tick \u201cThis start date is right\u201d).")
    if start_date > today + PLAN_WINDOW:
        return ("A program cannot start more than a year ahead unless you confirm the date "
                "(tick \u201cThis start date is right\u201d).")
    return None


def schedule_start_problem(starts_on, episode_start, today):
    """Why a questionnaire schedule cannot start on ``starts_on`` (None if it can): not before
    the patient's current episode of care began, nor more than a year ahead."""
    if starts_on < episode_start:
        return (f"A schedule cannot start before this episode of care began "
                f"({episode_start.isoformat()}).")
    if starts_on > today + PLAN_WINDOW:
        return "A schedule cannot start more than a year ahead."
    return None

