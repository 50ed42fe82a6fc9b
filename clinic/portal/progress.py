"""What the patient's own pages gather from other areas: the "What I have done" page.

Reads only the program the link opened and the patient it belongs to, in a fixed number of
queries; the counting and the wording are pure functions (``clinic.programs.achievements``,
``clinic.measures.plain_words``).
"""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from clinic.catalogue.library import LADDER_NAMES
from clinic.catalogue.models import Exercise
from clinic.extensions import db
from clinic.measures import plain_words
from clinic.measures import services as measures
from clinic.programs import achievements
from clinic.programs.models import SessionLog


@dataclass
class OwnProgress:
    """The page's content: training achievements and the released scores in words."""

    training: achievements.Achievements
    scores: list


def _is_removed(log):
    """An entry the patient removed or replaced stays in the history but is no session done."""
    return log.withdrawn_at is not None


def _session_records(logs):
    return [
        achievements.SessionDone(
            performed_on=log.performed_on,
            status=log.status,
            order=log.id,
            low_energy=log.low_energy,
            removed=_is_removed(log),
            sets=tuple(
                achievements.SetDone(s.exercise_id, s.reps, s.load_kg, s.seconds) for s in log.sets
            ),
        )
        for log in logs
    ]


def _exercise_infos(logs):
    ids = {s.exercise_id for log in logs for s in log.sets}
    if not ids:
        return {}
    return {
        e.id: achievements.ExerciseInfo(
            e.id, e.name, e.measure, e.ladder, e.ladder_step, LADDER_NAMES.get(e.ladder, "")
        )
        for e in db.session.scalars(sa.select(Exercise).where(Exercise.id.in_(ids)))
    }


def _level(assignment, zone):
    names = [level["name"] for level in assignment.snapshot["levels"]]
    moves = [
        achievements.LevelMove(
            event.at.astimezone(zone).date(), event.detail.get("old", 0), event.detail["new"]
        )
        for event in assignment.events
        if event.kind == "level_change" and "new" in event.detail
    ]
    return achievements.level_reached(names, assignment.level_position, moves)


def own_progress(assignment):
    """Everything "What I have done" shows for the program the patient's link opened."""
    patient = assignment.patient
    logs = db.session.scalars(
        sa.select(SessionLog)
        .where(SessionLog.assignment_id == assignment.id)
        .options(selectinload(SessionLog.sets))
        .order_by(SessionLog.performed_on, SessionLog.id)
    ).all()
    training = achievements.achievements(
        _session_records(logs), _exercise_infos(logs), _level(assignment, patient.clinic.zone)
    )
    scores = []
    released = measures.released_codes(patient.id)
    for instrument, history in measures.released_stories(patient, released).values():
        story = plain_words.score_story(
            instrument, [r.total for r in history], latest_prorated=history[-1].prorated
        )
        if story is not None:
            scores.append(story)
    return OwnProgress(training=training, scores=scores)
