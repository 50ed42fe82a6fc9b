"""What a patient has done, in plain words: the "What I have done" page, as pure functions.

Showing up and mastery are what the program optimises (shared/PROGRAMS.md), so this counts
sessions done and weeks trained (never a percentage, never a streak: a missed week is simply
not mentioned), ladder steps climbed, personal records and the level reached.

Honest about what was recorded: a skipped session is not a session done; an entry the patient
removed does not count; a quick "done as planned" log (sets without reps) is a session done but
no evidence for a record, because "not recorded" is not zero. The first session of an exercise
is where the patient started, not a record: a record beats something done before.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

SKIPPED = "skipped"
LOAD_REPS = "load_reps"
BODYWEIGHT_REPS = "bodyweight_reps"
HOLD_SECONDS = "hold_seconds"

HEAVIEST = "heaviest"  # a load heavier than ever before (with reps recorded)
MORE_REPS_AT_LOAD = "more_reps_at_load"  # more reps than ever at the heaviest load
MORE_REPS = "more_reps"  # bodyweight work: more reps than ever
LONGER_HOLD = "longer_hold"  # holds: longer than ever

# How many records the page lists (newest first): enough to be worth keeping, short on a phone.
MAX_RECORDS = 12


@dataclass(frozen=True)
class SetDone:
    """One logged set; None means not recorded (never zero)."""

    exercise_id: int
    reps: int | None = None
    load_kg: Decimal | None = None
    seconds: int | None = None


@dataclass(frozen=True)
class SessionDone:
    """One logged session as this page sees it; ``order`` breaks ties of a day (the row id)."""

    performed_on: date
    status: str
    order: int = 0
    low_energy: bool = False
    removed: bool = False
    sets: tuple[SetDone, ...] = ()

    @property
    def counts(self) -> bool:
        """A session done (done, partial or low-energy) that is still in the patient's log."""
        return self.status != SKIPPED and not self.removed


@dataclass(frozen=True)
class ExerciseInfo:
    """What the page needs of a catalogue exercise: its name, how it is measured, its ladder."""

    exercise_id: int
    name: str
    measure: str
    ladder: str
    ladder_step: int
    ladder_name: str = ""


@dataclass(frozen=True)
class Climb:
    """Up a ladder: the first exercise done on it, and the highest step done since."""

    ladder_name: str
    from_name: str
    to_name: str
    reached_on: date

    @property
    def text(self) -> str:
        return f"From {_in_sentence(self.from_name)} to {_in_sentence(self.to_name)}"


@dataclass(frozen=True)
class PersonalRecord:
    """A set that beat everything done before on that exercise."""

    kind: str
    exercise_name: str
    on: date
    reps: int | None = None
    load_kg: Decimal | None = None
    seconds: int | None = None

    @property
    def text(self) -> str:
        name = _in_sentence(self.exercise_name)
        if self.kind == HEAVIEST:
            return f"Heavier than ever on the {name}: {_kg(self.load_kg)} kg for {_reps(self.reps)}"
        if self.kind == MORE_REPS_AT_LOAD:
            return f"First time: {_reps(self.reps)} of {name} at {_kg(self.load_kg)} kg"
        if self.kind == MORE_REPS:
            return f"First time: {_reps(self.reps)} of {name} in one set"
        return f"Longest hold yet: {self.seconds} seconds of {name}"


@dataclass(frozen=True)
class LevelMove:
    """A level change of the program (positions count from 0)."""

    on: date
    old: int
    new: int


@dataclass(frozen=True)
class LevelReached:
    """The level the patient is at, and the days they moved up (moves down are not listed)."""

    number: int
    name: str
    moved_up: tuple[tuple[date, int, str], ...] = ()


@dataclass(frozen=True)
class Achievements:
    """Everything the page shows about training."""

    sessions_done: int
    low_energy_sessions: int
    weeks_trained: int
    first_session_on: date | None
    climbs: tuple[Climb, ...] = ()
    records: tuple[PersonalRecord, ...] = ()
    level: LevelReached | None = None


def counted(sessions: Iterable[SessionDone]) -> list[SessionDone]:
    """The sessions done and still in the log, oldest first."""
    return sorted((s for s in sessions if s.counts), key=lambda s: (s.performed_on, s.order))


def sessions_done(sessions: Iterable[SessionDone]) -> int:
    """How many sessions were done: skipped and removed entries are not sessions done."""
    return len(counted(sessions))


def weeks_trained(sessions: Iterable[SessionDone]) -> int:
    """In how many calendar weeks (Monday first) at least one session was done."""
    return len(
        {s.performed_on - timedelta(days=s.performed_on.weekday()) for s in counted(sessions)}
    )


def ladder_climbs(
    sessions: Iterable[SessionDone], exercises: dict[int, ExerciseInfo]
) -> list[Climb]:
    """Per ladder, from the first exercise done on it to the highest step done since.

    An exercise counts as done when a set of it was logged in a session done (a quick log
    counts: the sets were done as planned). A ladder without a step up is not listed.
    """
    first: dict[str, ExerciseInfo] = {}
    highest: dict[str, tuple[ExerciseInfo, date]] = {}
    for session in counted(sessions):
        for set_done in session.sets:
            info = exercises.get(set_done.exercise_id)
            if info is None:
                continue
            first.setdefault(info.ladder, info)
            top = highest.get(info.ladder)
            if top is None or info.ladder_step > top[0].ladder_step:
                highest[info.ladder] = (info, session.performed_on)
    climbs = []
    for ladder, start in first.items():
        top, reached_on = highest[ladder]
        if top.ladder_step > start.ladder_step:
            climbs.append(Climb(start.ladder_name or ladder, start.name, top.name, reached_on))
    return sorted(climbs, key=lambda climb: climb.reached_on, reverse=True)


def personal_records(
    sessions: Iterable[SessionDone], exercises: dict[int, ExerciseInfo], limit: int = MAX_RECORDS
) -> list[PersonalRecord]:
    """The newest record of each kind per exercise, newest first, at most ``limit``.

    Only sets with their reps (or seconds) recorded, and above zero, are evidence. Weighted
    work: a load heavier than ever (reps recorded) is a record; at the same top load, more reps
    than ever is one. Bodyweight work: more reps in one set; holds: a longer hold.
    """
    best: dict[int, dict] = {}
    latest: dict[tuple[int, str], PersonalRecord] = {}
    for session in counted(sessions):
        by_exercise: dict[int, list[SetDone]] = {}
        for set_done in session.sets:
            if set_done.exercise_id in exercises:
                by_exercise.setdefault(set_done.exercise_id, []).append(set_done)
        for exercise_id, sets in by_exercise.items():
            info = exercises[exercise_id]
            found = _session_best(info.measure, sets)
            if found is None:
                continue
            before = best.get(exercise_id)
            record = None if before is None else _beats(info, found, before, session.performed_on)
            best[exercise_id] = _merge(info.measure, before, found)
            if record is not None:
                latest[(exercise_id, record.kind)] = record
    records = sorted(latest.values(), key=lambda r: r.on, reverse=True)
    return records[:limit]


def level_reached(
    levels: Sequence[str], position: int, moves: Iterable[LevelMove] = ()
) -> LevelReached:
    """The current level (numbered from 1) and the days the patient moved up a level."""
    up = tuple(
        (move.on, move.new + 1, levels[move.new])
        for move in sorted(moves, key=lambda m: m.on)
        if move.new > move.old and 0 <= move.new < len(levels)
    )
    return LevelReached(position + 1, levels[position], up)


def achievements(
    sessions: Sequence[SessionDone],
    exercises: dict[int, ExerciseInfo],
    level: LevelReached | None = None,
) -> Achievements:
    """The whole training part of the page, from the logs alone."""
    done = counted(sessions)
    return Achievements(
        sessions_done=len(done),
        low_energy_sessions=sum(1 for s in done if s.low_energy),
        weeks_trained=weeks_trained(done),
        first_session_on=done[0].performed_on if done else None,
        climbs=tuple(ladder_climbs(done, exercises)),
        records=tuple(personal_records(done, exercises)),
        level=level,
    )


# Helpers ------------------------------------------------------------------------------------


def _session_best(measure: str, sets: list[SetDone]):
    """The best set of one exercise in one session, as a comparable tuple; None if nothing in
    the session is evidence (no reps or seconds recorded, or only zeros)."""
    if measure == HOLD_SECONDS:
        held = [s.seconds for s in sets if s.seconds]
        return (max(held),) if held else None
    counted_sets = [s for s in sets if s.reps]
    if not counted_sets:
        return None
    if measure == LOAD_REPS:
        loaded = [s for s in counted_sets if s.load_kg is not None and s.load_kg > 0]
        if loaded:
            top = max(s.load_kg for s in loaded)
            return (top, max(s.reps for s in loaded if s.load_kg == top))
        return (None, max(s.reps for s in counted_sets))
    return (max(s.reps for s in counted_sets),)


def _beats(info: ExerciseInfo, found, before: dict, on: date) -> PersonalRecord | None:
    """The record ``found`` sets against the best before it, or None."""
    if info.measure == HOLD_SECONDS:
        if found[0] > before["seconds"]:
            return PersonalRecord(LONGER_HOLD, info.name, on, seconds=found[0])
        return None
    if info.measure == LOAD_REPS and found[0] is not None:
        load, reps = found
        top = before.get("load")
        if top is None or load > top:
            return PersonalRecord(HEAVIEST, info.name, on, reps=reps, load_kg=load)
        if load == top and reps > before["reps_at_top"]:
            return PersonalRecord(MORE_REPS_AT_LOAD, info.name, on, reps=reps, load_kg=load)
        return None
    reps = found[-1]
    if info.measure != LOAD_REPS and reps > before["reps"]:
        return PersonalRecord(MORE_REPS, info.name, on, reps=reps)
    return None


def _merge(measure: str, before: dict | None, found) -> dict:
    """The best so far after a session."""
    best = dict(before or {})
    if measure == HOLD_SECONDS:
        best["seconds"] = max(found[0], best.get("seconds", 0))
        return best
    if measure == LOAD_REPS and found[0] is not None:
        load, reps = found
        top = best.get("load")
        if top is None or load > top:
            best["load"], best["reps_at_top"] = load, reps
        elif load == top:
            best["reps_at_top"] = max(reps, best["reps_at_top"])
        return best
    best["reps"] = max(found[-1], best.get("reps", 0))
    return best


def _in_sentence(name: str) -> str:
    """An exercise name inside a sentence: "Wall push-up" -> "wall push-up" (an acronym or a
    name like "Romanian" in second place keeps its capitals)."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def _kg(load: Decimal | None) -> str:
    """12.50 -> "12.5", 10.00 -> "10"."""
    text = f"{load:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _reps(reps: int | None) -> str:
    return f"{reps} rep" if reps == 1 else f"{reps} reps"
