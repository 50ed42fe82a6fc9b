"""Limits that the page forms and the API schemas share: each defined once, here.

The services enforce the date windows (they know the patient's clinic day and episode), so a
page and the API refuse the same dates with the same message on the same field; the forms and
schemas take their lengths from here.
"""

from datetime import timedelta

REASON_MAX = 1000  # a clinician's reason: a level change, a target, a status, a decline
PLAN_WINDOW = timedelta(days=366)  # "no more than a year back or ahead" (a leap year too)


def program_start_problem(start_date, today):
    """Why a program cannot start on ``start_date`` (None if it can): within a year of today."""
    if start_date < today - PLAN_WINDOW:
        return "A program cannot start more than a year ago."
    if start_date > today + PLAN_WINDOW:
        return "A program cannot start more than a year ahead."
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
