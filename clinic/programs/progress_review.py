"""Reviewing a patient's progress: progression suggestions, level readiness, strength trend.

They gather rows from the database and hand plain values to the pure modules
(``progression``, ``strength``); nothing here writes.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from clinic import charts
from clinic.catalogue import library
from clinic.catalogue.models import Exercise
from clinic.extensions import db
from clinic.programs import progression, strength
from clinic.programs.models import SessionLog, SetLog
from clinic.programs.services import clinic_today, equipment_of, sessions_of, week_records


@dataclass(frozen=True)
class ExerciseSuggestion:
    """A suggestion of the pure ``progression`` module, named for the level's exercise."""

    index: int
    name: str
    suggestion: progression.Suggestion

    @property
    def reason(self):
        return self.suggestion.reason

    def as_form(self):
        s = self.suggestion
        return {"sets": s.new_sets, "reps_min": s.new_reps_min, "reps_max": s.new_reps_max,
                "load_kg": str(s.new_load_kg) if s.new_load_kg is not None else None}


def _changed_since(assignment, index):
    """Since when this exercise's logs count: its prescription's last change, or a declined
    suggestion (which then needs fresh sessions to come back)."""
    since = assignment.created_at
    for event in assignment.events:
        if event.kind == "level_change" or (
            event.kind in ("target_change", "suggestion_declined")
            and event.detail.get("index") == index
        ):
            since = max(since, event.at)
    return since


def _prescription(item, equipment=None):
    """The pure module's prescription; ``equipment`` (the patient's loads) sets the next step
    of a loaded exercise: the next load the patient can actually make."""
    region = library.BODY_REGION.get(item["pattern"], "upper")
    loaded = item["measure"] == "load_reps" and item.get("load_kg")
    return progression.ExercisePrescription(
        sets=item["sets"], reps_min=item["reps_min"], reps_max=item["reps_max"],
        load_kg=Decimal(item["load_kg"]) if item.get("load_kg") else None,
        measure=item["measure"], body_region=region,
        ladder_next=_harder_slug(item["slug"]),
        available_loads=equipment if loaded else None)


def _harder_slug(slug):
    try:
        return library.harder(slug)
    except KeyError:
        return None  # a clinic's own exercise: no built-in ladder neighbour


def _exercise_sessions(assignment, exercise_id, since, level_position):
    """This exercise's logged sessions at the current level since ``since``, oldest first."""
    rows = db.session.execute(
        sa.select(SessionLog, SetLog)
        .join(SetLog, SetLog.session_id == SessionLog.id)
        .where(SessionLog.assignment_id == assignment.id, SetLog.exercise_id == exercise_id,
               SessionLog.level_position == level_position, SessionLog.created_at >= since,
               SessionLog.status != "skipped", SessionLog.counted())
        .order_by(SessionLog.performed_on, SessionLog.id, SetLog.set_number)
    ).all()
    by_session = {}
    for session, set_log in rows:
        entry = by_session.setdefault(session.id, (session, []))
        # None for a set done but not counted (the quick path): it stays in the sequence, so
        # it breaks a run of sessions at the top of the range instead of being skipped over.
        amount = set_log.seconds if set_log.seconds is not None else set_log.reps
        entry[1].append(progression.SetResult(
            reps=amount, load_kg=Decimal(set_log.load_kg) if set_log.load_kg else None))
    return [progression.ExerciseSession(sets=tuple(sets), pain=session.pain,
                                        session_rpe=session.rpe)
            for session, sets in by_session.values()]


def hold_reason(assignment):
    """Why every increase is held now (PROGRAMS.md "Safety holds"), or None.

    Read from the program's last sessions whatever they held, skipped ones included; a session
    logged (or corrected) before a clinician's latest review of the hold holds nothing.
    """
    reviewed_at = max((e.at for e in assignment.events if e.kind == "hold_review"),
                      default=None)
    facts = [progression.ProgramSession(
        performed_on=s.performed_on, status=s.status, pain=s.pain, skip_reason=s.skip_reason,
        reviewed=reviewed_at is not None and max(s.created_at, s.updated_at or s.created_at)
        <= reviewed_at) for s in sessions_of(assignment.id)]
    return progression.pain_hold(facts)


def suggestions(assignment):
    """One suggestion per exercise of the current level that its logs call for."""
    if assignment.status == "completed":
        return []
    level = assignment.current_level
    hold = hold_reason(assignment)
    equipment = equipment_of(assignment)
    result = []
    for index, item in enumerate(level["exercises"]):
        if item["measure"] == "load_reps" and not item.get("load_kg"):
            continue  # prescribed by effort (RPE) until a clinician sets a load in kg
        sessions = _exercise_sessions(assignment, item["exercise_id"],
                                      _changed_since(assignment, index),
                                      assignment.level_position)
        prescription = _prescription(item, equipment)
        suggestion = progression.held(prescription,
                                      progression.suggest(prescription, sessions), hold)
        if suggestion is not None:
            result.append(ExerciseSuggestion(index, item["name"], suggestion))
    return result


def suggestion_for(assignment, index):
    """The suggestion for the current level's exercise at ``index``, or None."""
    return next((s for s in suggestions(assignment) if s.index == index), None)


def readiness(assignment, summary):
    """The checklist for moving up a level (None at the last level)."""
    if assignment.level_position >= len(assignment.snapshot["levels"]) - 1:
        return None
    level = assignment.current_level
    since = assignment.created_at
    for event in assignment.events:
        if event.kind == "level_change":
            since = max(since, event.at)
    first_week = since.date() - timedelta(days=since.date().weekday())
    records = [w for w in week_records(assignment, summary["sessions"],
                                       clinic_today(assignment.patient_id),
                                       assignment.patient.clinic.zone)
               if w.week_start >= first_week]
    keys = []
    for item in level["exercises"]:
        if not item.get("is_key") or (item["measure"] == "load_reps" and not item.get("load_kg")):
            continue
        sessions = _exercise_sessions(assignment, item["exercise_id"], since,
                                      assignment.level_position)
        keys.append(progression.KeyExercise(item["name"], _prescription(item),
                                            sessions[-1] if sessions else None))
    complete = max(len(records) - 1, 0)  # the week in progress is not done yet
    return progression.level_readiness(weeks_at_level=complete, minimum_weeks=level["min_weeks"],
                                       weeks=records[:-1] or records, key_exercises=keys)


def _sets_by_exercise(assignment):
    rows = db.session.execute(
        sa.select(SessionLog.performed_on, SetLog, Exercise)
        .join(SetLog, SetLog.session_id == SessionLog.id)
        .join(Exercise, Exercise.id == SetLog.exercise_id)
        .where(SessionLog.assignment_id == assignment.id, SessionLog.status != "skipped",
               SessionLog.counted())
        .order_by(SessionLog.performed_on)
    ).all()
    grouped = {}
    for performed_on, set_log, exercise in rows:
        grouped.setdefault(exercise.id, (exercise, []))[1].append((performed_on, set_log))
    return grouped


def strength_rows(assignment):
    """Per exercise logged: the weekly best e1RM and % change, or best reps at its step."""
    rows = []
    for exercise, sets in _sets_by_exercise(assignment).values():
        loaded = [(day, s.load_kg, s.reps) for day, s in sets
                  if s.load_kg and s.reps and exercise.measure == "load_reps"]
        if loaded:
            weekly = strength.weekly_best_e1rm(loaded)
            changes = strength.percent_change_from_baseline(weekly)
            rows.append({"exercise": exercise, "kind": "e1rm", "weekly": weekly,
                         "changes": changes, "unit": "kg (estimated 1RM)"})
        else:
            # Sets whose reps were not counted (the quick path) are no evidence of strength.
            amounts = [(day, s.seconds if s.seconds is not None else s.reps) for day, s in sets]
            weekly = strength.best_reps_per_week(amounts)
            if not weekly:
                continue
            unit = "seconds" if exercise.measure == "hold_seconds" else "reps"
            rows.append({"exercise": exercise, "kind": "reps", "weekly": weekly,
                         "changes": [], "unit": f"best {unit}, ladder step "
                                                f"{exercise.ladder_step}"})
    return rows


def strength_chart_svg(assignment, exercise_id):
    """One logged exercise's weekly best as an SVG chart; None when it has no logs here."""
    row = next((r for r in strength_rows(assignment) if r["exercise"].id == exercise_id), None)
    if row is None:
        return None
    values = [float(w.best) for w in row["weekly"]]
    top = max(values) if values else 1
    geometry = charts.line_chart(
        [(w.week_start, float(w.best)) for w in row["weekly"]], y_min=0,
        y_max=max(10, int(top * 1.2) + 1), title=f"{row['exercise'].name}: weekly best",
        description=f"Weekly best {row['unit']} for {row['exercise'].name}; the table beside "
                    "the chart lists every week.")
    return charts.render_svg(geometry)
