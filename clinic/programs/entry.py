"""Reading a session log form (the patient's and the clinician's are the same form).

Parsing lives here, not in the views: both pages need it, and the rules (which path logs
which sets, what ranges are allowed) are the program area's.
"""

from dataclasses import dataclass, field
from datetime import date

from clinic import limits
from clinic.catalogue import rules
from clinic.programs.services import parse_load

PATHS = ("as_prescribed", "sets", "low_energy", "skipped")


@dataclass
class SessionEntry:
    """One session as read from a form or the API, checked for shape; nothing stored yet."""

    performed_on: date
    status: str
    low_energy: bool
    skip_reason: str | None
    duration_minutes: int | None
    rpe: int | None
    mood_before: int | None
    mood_after: int | None
    pain: int | None
    pain_where: str | None
    note: str | None
    submission_key: str
    sets: dict = field(default_factory=dict)  # exercise index -> [{reps, load_kg, seconds}]
    # The quick "done as planned" path: every set done at the prescribed load, reps (or hold
    # seconds) not counted, so stored as None: never a number the patient did not give.
    as_planned: bool = False


def set_field(index, number, what):
    """The form field name of one set's value (``ex0-set1-reps``), shared by both pages."""
    return f"ex{index}-set{number}-{what}"


def _int(form, name, limit, errors, label):
    """A whole number within ``limits.NUMBER_RANGE[limit]``, the API's range too."""
    raw = (form.get(name) or "").strip()
    if raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        errors[name] = f"{label}: enter a whole number."
        return None
    problem = limits.number_problem(limit, value, label)
    if problem:
        errors[name] = problem
        return None
    return value


def planned_sets(level):
    """The quick path's sets: each prescribed set done at the prescribed load (the load is the
    prescription, not a guess), with reps and seconds not counted (None)."""
    sets = {}
    for index, item in enumerate(level["exercises"]):
        load = parse_load(item.get("load_kg")) if item.get("load_kg") else None
        sets[index] = [{"reps": None, "load_kg": load, "seconds": None}
                       for _ in range(item["sets"])]
    return sets


def parse_session_form(form, level, today):
    """(SessionEntry or None, {field name: message}). Nothing is stored here."""
    errors = {}
    path = form.get("path")
    if path not in PATHS:
        errors["path"] = "Choose how the session went."
    try:
        performed_on = date.fromisoformat((form.get("performed_on") or "").strip())
    except ValueError:
        performed_on = None
        errors["performed_on"] = "Enter the date of the session."
    if performed_on and performed_on > today:
        errors["performed_on"] = "The date cannot be in the future."
    skip_reason = form.get("skip_reason") or None
    if path == "skipped" and skip_reason not in rules.SKIP_REASONS:
        errors["skip_reason"] = "Choose a reason; it helps your clinician help you."
    numbers = {
        "duration_minutes": _int(form, "duration_minutes", "duration_minutes", errors, "Minutes"),
        "rpe": _int(form, "rpe", "rpe", errors, "How hard"),
        "mood_before": _int(form, "mood_before", "mood", errors, "Mood before"),
        "mood_after": _int(form, "mood_after", "mood", errors, "Mood after"),
        "pain": _int(form, "pain", "pain", errors, "Pain"),
    }
    sets = {}
    if path == "as_prescribed":
        sets = planned_sets(level)
    elif path in ("sets", "low_energy"):
        for index, item in enumerate(level["exercises"]):
            rows = []
            last = 1 if path == "low_energy" else item["sets"]
            for number in range(1, last + 1):
                row = _set_row(form, index, number, item, errors)
                if row is not None:
                    rows.append(row)
            sets[index] = rows
        if path == "sets" and not errors and not any(sets.values()):
            errors["path"] = "Enter at least one set, or choose another option."
    texts = {name: _text(form, name, label, errors)
             for name, label in (("note", "Note"), ("pain_where", "Where it hurt"))}
    key = (form.get("submission_key") or "").strip()
    if not key or len(key) > 64:
        errors["submission_key"] = "This form is out of date: please reload the page."
    if errors:
        return None, errors
    prescribed = sum(item["sets"] for item in level["exercises"])
    done = sum(len(rows) for rows in sets.values())
    status = {"skipped": "skipped", "low_energy": "partial"}.get(
        path, "done" if done * 2 >= prescribed else "partial")
    return SessionEntry(performed_on=performed_on, status=status,
                        low_energy=path == "low_energy", as_planned=path == "as_prescribed",
                        skip_reason=skip_reason if path == "skipped" else None,
                        submission_key=key, sets=sets, **texts, **numbers), {}


def _text(form, name, label, errors):
    """Stripped text or None; longer than its limit is an error (never cut short: a note the
    patient wrote is kept whole or handed back to them)."""
    text = (form.get(name) or "").strip()
    most = limits.TEXT_MAX[name]
    if len(text) > most:
        errors[name] = f"{label}: use at most {most} characters (this has {len(text)})."
        return None
    return text or None


def _set_row(form, index, number, item, errors):
    reps_name = set_field(index, number, "reps")
    if item["measure"] == "hold_seconds":
        seconds = _int(form, set_field(index, number, "seconds"), "seconds_done", errors, "Seconds")
        reps = None
        if seconds is None:
            return None
    else:
        reps = _int(form, reps_name, "reps_done", errors, "Reps")
        seconds = None
        if reps is None:
            return None
    load = None
    load_name = set_field(index, number, "load")
    if item["measure"] != "bodyweight_reps" or form.get(load_name):
        try:
            load = parse_load(form.get(load_name))
        except ValueError as error:
            errors[load_name] = str(error)
    return {"reps": reps, "load_kg": load, "seconds": seconds}


def entry_from_data(data, level, submission_key):
    """A SessionEntry from typed values (the JSON API), whose sets name their exercise by id.

    Returns (SessionEntry or None, {field: message}) like ``parse_session_form``; an exercise
    that is not in the program's current level is refused whatever clinic it belongs to.
    """
    errors = {}
    index_of = {item["exercise_id"]: i for i, item in enumerate(level["exercises"])}
    sets = {}
    # ``done`` with no sets is the quick path, as on the patient's page: every prescribed set at
    # the prescribed load, reps not counted (not a partial session with nothing in it).
    as_planned = data["status"] == "done" and not data["sets"]
    if as_planned:
        sets = planned_sets(level)
    if data["status"] == "skipped" and data["sets"]:
        errors["sets"] = "A skipped session has no sets."
    for number, row in enumerate(data["sets"]):
        index = index_of.get(row["exercise_id"])
        if index is None:
            errors[f"sets.{number}.exercise_id"] = "Not an exercise of the current level."
            continue
        hold = level["exercises"][index]["measure"] == "hold_seconds"
        needed = "seconds" if hold else "reps"
        if row.get(needed) is None:
            errors[f"sets.{number}.{needed}"] = f"Give the {needed} of this set."
            continue
        load = None
        if row.get("load_kg") is not None:
            try:
                load = parse_load(str(row["load_kg"]))
            except ValueError as error:
                errors[f"sets.{number}.load_kg"] = str(error)
                continue
        sets.setdefault(index, []).append({"reps": None if hold else row["reps"],
                                           "load_kg": load,
                                           "seconds": row["seconds"] if hold else None})
    if errors:
        return None, errors
    return SessionEntry(
        performed_on=data["performed_on"], status=data["status"], low_energy=False,
        skip_reason=data["skip_reason"] if data["status"] == "skipped" else None,
        duration_minutes=data["duration_minutes"], rpe=data["rpe"],
        mood_before=data["mood_before"], mood_after=data["mood_after"], pain=data["pain"],
        pain_where=data["pain_where"], note=data["note"], submission_key=submission_key,
        sets=sets, as_planned=as_planned), {}
