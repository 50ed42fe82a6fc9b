"""Use cases of a patient's program: assignments, targets, the program link, sessions, progress.

Each writing function is one transaction with its audit events. Assignments keep a snapshot of
the template as prescribed; approved changes rewrite the snapshot and leave an event. The
templates and exercises themselves are the clinic's catalogue (``clinic.catalogue``).
"""

import copy
import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql
import sqlalchemy.dialects.sqlite
import sqlalchemy.orm
from sqlalchemy.exc import IntegrityError

from clinic import limits, tokens
from clinic.alerts.models import Alert
from clinic.alerts.services import raise_alert
from clinic.audit.services import record
from clinic.auth.models import Clinic
from clinic.catalogue import rules
from clinic.catalogue.services import neighbours, template_in_clinic

# Re-exported for tests/e2e/conftest.py only, which this branch may not edit: the library sync
# is the catalogue's. Drop this line once that file imports it from clinic.catalogue.services.
from clinic.database import utcnow, write_transaction
from clinic.errors import NotFound, ServiceError
from clinic.extensions import db
from clinic.patients.models import ACTIVE, Patient
from clinic.patients.scope import visible_patient
from clinic.programs import adherence
from clinic.programs.models import Assignment, AssignmentEvent, SessionLog, SessionsSeen, SetLog

MAX_LOAD_KG = Decimal(limits.NUMBER_RANGE["load_kg"][1])


# Assignments -----------------------------------------------------------------------------


def snapshot_of(template, clinic_id):
    """Everything the patient was prescribed, frozen: later template edits never touch it."""
    levels = []
    for level in template.levels:
        if not level.exercises:
            raise ServiceError(f"The level “{level.name}” has no exercises yet.")
        exercises = []
        for item in level.exercises:
            easier, _harder = neighbours(item.exercise, clinic_id)
            exercises.append({
                "exercise_id": item.exercise_id, "slug": item.exercise.slug,
                "name": item.exercise.name, "measure": item.exercise.measure,
                "pattern": item.exercise.pattern, "cues": list(item.exercise.cues),
                "easier": ({"exercise_id": easier.id, "name": easier.name}
                           if easier else None),
                "easier_tip": item.exercise.easier_tip,
                "sets": item.sets, "reps_min": item.reps_min, "reps_max": item.reps_max,
                "load_kind": item.load_kind, "load_target": item.load_target,
                "load_kg": None, "rest_seconds": item.rest_seconds, "is_key": item.is_key,
            })
        levels.append({"name": level.name, "min_weeks": level.min_weeks,
                       "sessions_per_week": level.sessions_per_week,
                       "criteria": level.criteria, "exercises": exercises})
    return {"template": {"id": template.id, "name": template.name,
                         "version": template.version}, "levels": levels}


def program_link(assignment):
    """The patient's program link, built from BASE_URL (the token is derived again)."""
    return tokens.link_url(tokens.PROGRAM, tokens.link_token(tokens.PROGRAM,
                                                             assignment.token_salt))


def assignments_of(patient_id):
    """The patient's programs, newest first (at most one of them not completed)."""
    return db.session.scalars(sa.select(Assignment).where(Assignment.patient_id == patient_id)
                              .order_by(Assignment.created_at.desc())).all()


def visible_assignment(actor, assignment_id):
    """A patient's program that ``actor`` may see.

    :raises NotFound: for a missing id and a patient out of the actor's scope alike.
    """
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound("assignment")
    visible_patient(actor, assignment.patient_id)
    return assignment


def current_exercise(assignment, index):
    """One exercise of the current level's prescription (the snapshot's item).

    :raises NotFound: when the level has no exercise at ``index``.
    """
    exercises = assignment.current_level["exercises"]
    if not 0 <= index < len(exercises):
        raise NotFound("exercise of the current level")
    return exercises[index]


def _event(assignment, kind, actor, reason="", **detail):
    db.session.add(AssignmentEvent(assignment=assignment, kind=kind, reason=reason,
                                   by_id=getattr(actor, "id", None), detail=detail))


@write_transaction
def assign_program(actor, patient_id, template_id, start_date, *, confirm_start=False):
    """Give a patient a program: a snapshot of the template, level 1, and a program link.

    A start more than a year back or ahead needs ``confirm_start`` (the clinician's word).
    """
    patient = visible_patient(actor, patient_id)
    if not patient.is_active:
        raise ServiceError("This patient is discharged: reactivate them first.")
    template = template_in_clinic(actor.clinic_id, template_id)
    if template.archived_at is not None:
        raise ServiceError("This program is archived.", field="template_id")
    today = patient.clinic.today()
    problem = limits.program_start_problem(start_date, today, confirm_start)
    if problem:
        raise ServiceError(problem, field="start_date")
    # The clinician's word made the difference: the audit row says so.
    confirmed = {"start_confirmed": True} if limits.program_start_problem(
        start_date, today) else {}
    if db.session.scalar(sa.select(Assignment.id).where(
            Assignment.patient_id == patient.id, Assignment.status != "completed")):
        raise ServiceError("The patient already has a program: complete it first.",
                           field="template_id")
    # The patient's own link becomes the program link: the address they keep stays the same.
    from clinic.portal.services import hand_over_to_program  # it imports programs' models

    handed = hand_over_to_program(actor, patient)
    if handed is None:
        minted = tokens.mint_link(tokens.PROGRAM)
        handed = minted.salt, minted.token_hash
    salt, token_hash = handed
    assignment = Assignment(
        patient_id=patient.id, template_id=template.id, template_version=template.version,
        name=template.name, snapshot=snapshot_of(template, actor.clinic_id), level_position=0,
        start_date=start_date, status="active", assigned_by_id=actor.id, token_salt=salt,
        token_hash=token_hash)
    db.session.add(assignment)
    try:
        db.session.flush()
    except IntegrityError as error:  # another assign for this patient won the race
        raise ServiceError("The patient already has a program: complete it first.",
                           field="template_id") from error
    _event(assignment, "assigned", actor, level=0, template_version=template.version)
    record("program_assign", actor=actor, obj=assignment, patient_id=patient.id,
           template=template.id, version=template.version, **confirmed)
    return assignment


@write_transaction
def change_level(actor, assignment_id, position, reason):
    """Move the patient to another level of their program (a clinician's decision, with why)."""
    assignment = visible_assignment(actor, assignment_id)
    if not 0 <= position < len(assignment.snapshot["levels"]):
        raise ServiceError("Choose a level of this program.", field="level")
    if not (reason or "").strip():
        raise ServiceError("Say why the level changes.", field="reason")
    old = assignment.level_position
    assignment.level_position = position
    _event(assignment, "level_change", actor, reason.strip(), old=old, new=position)
    record("program_level_change", actor=actor, obj=assignment,
           patient_id=assignment.patient_id, old=old, new=position)
    return assignment


def parse_load(text):
    """A load in kg from a form: 0 to 500, at most two decimals; None when blank."""
    if text is None or str(text).strip() == "":
        return None
    try:
        value = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation as error:
        raise ValueError("Enter a load in kg, like 12.5.") from error
    if not value.is_finite() or value < 0 or value > MAX_LOAD_KG:
        raise ValueError("Enter a load between 0 and 500 kg.")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("Use at most two decimals.")
    return value


@write_transaction
def change_target(actor, assignment_id, index, changes, reason, confirm_jump=False):
    """Change one exercise's prescription at the current level (an approved suggestion)."""
    assignment = visible_assignment(actor, assignment_id)
    if not (reason or "").strip():
        raise ServiceError("Say why the target changes.", field="reason")
    current_exercise(assignment, index)
    snapshot = copy.deepcopy(assignment.snapshot)
    item = snapshot["levels"][assignment.level_position]["exercises"][index]
    old = {k: item.get(k) for k in changes}
    new_load = changes.get("load_kg")
    if new_load is not None and item.get("load_kg"):
        current = Decimal(item["load_kg"])
        if current > 0 and (Decimal(new_load) - current) / current > rules.MAX_INCREASE_FRACTION \
                and not confirm_jump:
            raise ServiceError("That is more than a 10% jump in load: tick the box to confirm.",
                               field="confirm_jump")
    for key, value in changes.items():
        item[key] = str(value) if isinstance(value, Decimal) else value
    if not 1 <= item["sets"] <= 10:
        raise ServiceError("Sets must be 1 to 10.", field="sets")
    if item["reps_min"] > item["reps_max"]:
        raise ServiceError("The lower end of the range must not be above the upper end.",
                           field="reps_min")
    assignment.snapshot = snapshot
    _event(assignment, "target_change", actor, reason.strip(), exercise=item["name"],
           index=index, old=old, new={k: item[k] for k in changes})
    record("program_target_change", actor=actor, obj=assignment,
           patient_id=assignment.patient_id, index=index)
    return assignment


@write_transaction
def decline_suggestion(actor, assignment_id, index, kind, reason):
    """Say no to a suggestion: it stays away until new sessions call for it again."""
    assignment = visible_assignment(actor, assignment_id)
    if len(reason or "") > limits.REASON_MAX:
        raise ServiceError(f"Keep the reason to {limits.REASON_MAX} characters.", field="reason")
    name = current_exercise(assignment, index)["name"]
    _event(assignment, "suggestion_declined", actor, (reason or "").strip(), index=index,
           suggestion=kind, exercise=name)
    record("program_suggestion_decline", actor=actor, obj=assignment,
           patient_id=assignment.patient_id, index=index)
    return assignment


MAX_EQUIPMENT_LOADS = 60


def parse_equipment(values):
    """The loads a patient can make, from a list of numbers or a text like "2, 4, 6.5".

    Returns the loads as sorted, distinct Decimals (an empty list: not recorded).
    :raises ServiceError: naming the ``equipment`` field, for a load that is not one.
    """
    if isinstance(values, str):
        values = [part for part in values.replace(";", " ").replace(",", " ").split() if part]
    loads = set()
    for value in values or ():
        try:
            load = parse_load(str(value))
        except ValueError as error:
            raise ServiceError(f"“{value}”: {error}", field="equipment") from error
        if load is None or load <= 0:
            raise ServiceError("Each load must be above 0 kg.", field="equipment")
        loads.add(load)
    if len(loads) > MAX_EQUIPMENT_LOADS:
        raise ServiceError(f"List at most {MAX_EQUIPMENT_LOADS} loads.", field="equipment")
    return sorted(loads)


def equipment_of(assignment):
    """The patient's loads as Decimals, lightest first; None when not recorded."""
    if not assignment.equipment_loads:
        return None
    return tuple(Decimal(value) for value in assignment.equipment_loads)


@write_transaction
def set_equipment(actor, assignment_id, values, reason=""):
    """Record the loads the patient can make with their own equipment (their dumbbells, or
    their plates on a bar): load suggestions then go to the next load they can actually make.
    An empty list clears it (back to the usual equipment steps)."""
    assignment = visible_assignment(actor, assignment_id)
    if len(reason or "") > limits.REASON_MAX:
        raise ServiceError(f"Keep the reason to {limits.REASON_MAX} characters.", field="reason")
    loads = parse_equipment(values)
    old = assignment.equipment_loads
    new = [str(load) for load in loads] or None
    assignment.equipment_loads = new
    _event(assignment, "equipment_change", actor, (reason or "").strip(), old=old, new=new)
    record("program_equipment_change", actor=actor, obj=assignment,
           patient_id=assignment.patient_id, loads=len(loads))
    return assignment


@write_transaction
def review_hold(actor, assignment_id, note):
    """A clinician has reviewed the pain that holds progression: the sessions logged so far
    hold nothing any more (pain reported later holds again)."""
    assignment = visible_assignment(actor, assignment_id)
    note = (note or "").strip()
    if not note:
        raise ServiceError("Say what the review found.", field="note")
    if len(note) > limits.REASON_MAX:
        raise ServiceError(f"Keep the note to {limits.REASON_MAX} characters.", field="note")
    _event(assignment, "hold_review", actor, note)
    record("program_hold_review", actor=actor, obj=assignment, patient_id=assignment.patient_id)
    return assignment


@write_transaction
def set_status(actor, assignment_id, status, reason=""):
    """Pause, resume or complete a program; paused weeks leave adherence alone."""
    assignment = visible_assignment(actor, assignment_id)
    allowed = {"paused": {"active"}, "active": {"paused"}, "completed": {"active", "paused"}}
    if assignment.status not in allowed[status]:
        raise ServiceError(f"A program that is {assignment.status} cannot become {status}.")
    old = assignment.status
    assignment.status = status
    kind = {"paused": "pause", "active": "resume", "completed": "complete"}[status]
    _event(assignment, kind, actor, reason, old=old)
    if status == "completed":
        assignment.link_revoked_at = assignment.link_revoked_at or utcnow()
    record(f"program_{kind}", actor=actor, obj=assignment, patient_id=assignment.patient_id)
    return assignment


@write_transaction
def rotate_link(actor, assignment_id):
    """A new program link; the old one stops working at once."""
    assignment = visible_assignment(actor, assignment_id)
    if assignment.status == "completed":
        raise ServiceError("This program is completed.")
    link = tokens.mint_link(tokens.PROGRAM)
    assignment.token_salt, assignment.token_hash = link.salt, link.token_hash
    assignment.link_revoked_at = None
    _event(assignment, "link_rotate", actor)
    record("program_link_rotate", actor=actor, obj=assignment, patient_id=assignment.patient_id)
    return assignment


@write_transaction
def revoke_link(actor, assignment_id):
    """Stop the program link from working (a new one can be made with ``rotate_link``)."""
    assignment = visible_assignment(actor, assignment_id)
    assignment.link_revoked_at = utcnow()
    _event(assignment, "link_revoke", actor)
    record("program_link_revoke", actor=actor, obj=assignment, patient_id=assignment.patient_id)
    return assignment


def assignment_by_token(token):
    """The program a link's token opens, found by the token's hash; None for an unknown one."""
    if not tokens.looks_like_token(token):
        return None
    return db.session.scalar(sa.select(Assignment).where(
        Assignment.token_hash == tokens.token_hash(token)))


def link_state(assignment):
    """What the program link does now: active, paused, revoked or completed."""
    if assignment.link_revoked_at is not None:
        return "completed" if assignment.status == "completed" else "revoked"
    return assignment.status  # active / paused


# Sessions --------------------------------------------------------------------------------


def clinic_today(patient_id):
    """Today where the patient's clinic is (a session's day is the clinic's day)."""
    clinic = db.session.scalar(sa.select(Clinic).join(Patient, Patient.clinic_id == Clinic.id)
                               .where(Patient.id == patient_id))
    return clinic.today()


def new_submission_key():
    """A fresh key for a session form: the same form submitted twice stores one session."""
    return secrets.token_hex(16)


def sessions_of(assignment_id):
    """Every session of a program that counts (none the patient removed or replaced), oldest
    first, with its sets and their exercises
    (adherence counts the sets, the program page lists them): two more queries, not one per
    session."""
    return db.session.scalars(
        sa.select(SessionLog).where(SessionLog.assignment_id == assignment_id,
                                    SessionLog.counted())
        .options(sa.orm.selectinload(SessionLog.sets).joinedload(SetLog.exercise))
        .order_by(SessionLog.performed_on, SessionLog.id)).all()


# What the patient wrote: read markers -----------------------------------------------------


def _words_since(seen_at_column):
    """SQL: a session with the patient's words (a note or a pain report) logged or changed
    after ``seen_at_column`` (NULL: never looked)."""
    changed = sa.func.coalesce(SessionLog.updated_at, SessionLog.created_at)
    has_words = sa.or_(sa.func.length(sa.func.trim(sa.func.coalesce(SessionLog.note, ""))) > 0,
                       SessionLog.pain > 0,
                       sa.func.length(sa.func.coalesce(SessionLog.pain_where, "")) > 0)
    return sa.and_(has_words, sa.or_(seen_at_column.is_(None), changed > seen_at_column))


def new_session_words(user, patient_ids):
    """{patient id: sessions with a note or pain report since ``user`` last opened that
    patient's program page}, for a page of the dashboard in ONE statement whatever its size.

    Sessions the user logged themselves are not news to them.
    """
    if not patient_ids:
        return {}
    seen = sa.orm.aliased(SessionsSeen)
    query = (
        sa.select(Assignment.patient_id, sa.func.count(SessionLog.id))
        .join(SessionLog, SessionLog.assignment_id == Assignment.id)
        .outerjoin(seen, sa.and_(seen.patient_id == Assignment.patient_id,
                                 seen.user_id == user.id))
        .where(Assignment.patient_id.in_(patient_ids), SessionLog.counted(),
               _words_since(seen.seen_at),
               sa.or_(SessionLog.entered_by_id.is_(None), SessionLog.entered_by_id != user.id))
        .group_by(Assignment.patient_id))
    return dict(db.session.execute(query).all())


def sessions_seen_at(user, patient_id):
    """When ``user`` last opened this patient's sessions (None: never)."""
    return db.session.scalar(sa.select(SessionsSeen.seen_at).where(
        SessionsSeen.user_id == user.id, SessionsSeen.patient_id == patient_id))


@write_transaction
def mark_sessions_seen(user, patient_id, seen_at):
    """Move ``user``'s read marker of the patient's sessions to ``seen_at`` (never back).

    An upsert, so two tabs opening the page at once store one row.
    """
    dialect = db.session.get_bind().dialect.name
    insert = (sa.dialects.postgresql.insert if dialect == "postgresql"
              else sa.dialects.sqlite.insert)(SessionsSeen).values(
        user_id=user.id, patient_id=patient_id, seen_at=seen_at)
    db.session.execute(insert.on_conflict_do_update(
        index_elements=["user_id", "patient_id"], set_={"seen_at": seen_at},
        where=SessionsSeen.seen_at < seen_at))


def own_entries_on(assignment_id, day):
    """The patient's own entries that count for one day (the clinic's day), oldest first."""
    return db.session.scalars(sa.select(SessionLog).where(
        SessionLog.assignment_id == assignment_id, SessionLog.performed_on == day,
        SessionLog.source == "patient", SessionLog.counted()).order_by(SessionLog.id)).all()


def _set_rows(level, entry):
    """SetLog rows from a parsed entry, the prescription copied into each."""
    rows = []
    for index, item in enumerate(level["exercises"]):
        for set_number, done in enumerate(entry.sets.get(index, []), start=1):
            rows.append(SetLog(
                exercise_id=item["exercise_id"], set_number=set_number,
                reps=done.get("reps"), load_kg=done.get("load_kg"),
                seconds=done.get("seconds"), target_sets=item["sets"],
                target_reps_min=item["reps_min"], target_reps_max=item["reps_max"],
                target_load=item.get("load_kg") or item.get("load_target") or ""))
    return rows


def _check_entry(entry, today, start_date):
    if entry.performed_on > today:
        raise ServiceError("The date cannot be in the future.", field="performed_on")
    if entry.performed_on < start_date:
        raise ServiceError(f"The program started on {start_date:%d %B %Y}: choose a date from "
                           "then on.", field="performed_on")
    if entry.status == "skipped" and not entry.skip_reason:
        raise ServiceError("Choose a reason for skipping.", field="skip_reason")


@write_transaction
def log_session(assignment_id, entry, *, source, actor=None, replace=False):
    """Store one session with its sets and raise the alerts it calls for; once per form.

    The patient keeps one entry a day: a second one for a day that has one is refused with
    ``SameDayEntry`` unless ``replace`` says so, and then the earlier one is withdrawn (kept,
    audited, counted no more).
    """
    if actor is not None:
        assignment = visible_assignment(actor, assignment_id)
    else:  # the patient's own link: the caller found the program by its token
        assignment = db.session.get(Assignment, assignment_id)
        if assignment is None:
            raise NotFound("assignment")
    if assignment.status == "completed":
        raise ServiceError("This program is completed.")
    _check_entry(entry, clinic_today(assignment.patient_id), assignment.start_date)
    if db.session.scalar(sa.select(SessionLog.id).where(
            SessionLog.assignment_id == assignment.id,
            SessionLog.submission_key == entry.submission_key)):
        raise AlreadyLogged()  # a retry (a double tap, the offline queue): nothing to ask
    earlier = own_entries_on(assignment.id, entry.performed_on) if source == "patient" else []
    if earlier and not replace:
        raise SameDayEntry(earlier[-1])
    for old in earlier:
        _withdraw(old, "replaced")
    level = assignment.snapshot["levels"][assignment.level_position]
    session = SessionLog(
        assignment_id=assignment.id, level_position=assignment.level_position,
        performed_on=entry.performed_on, status=entry.status, low_energy=entry.low_energy,
        skip_reason=entry.skip_reason if entry.status == "skipped" else None,
        duration_minutes=entry.duration_minutes, rpe=entry.rpe, mood_before=entry.mood_before,
        mood_after=entry.mood_after, pain=entry.pain, pain_where=entry.pain_where,
        note=entry.note, source=source, entered_by_id=getattr(actor, "id", None),
        submission_key=entry.submission_key, as_planned=entry.as_planned)
    session.sets = [] if entry.status == "skipped" else _set_rows(level, entry)
    db.session.add(session)
    try:
        db.session.flush()
    except IntegrityError as error:
        raise AlreadyLogged() from error
    raise_session_alerts(assignment, session)
    record("session_log", actor=actor, actor_kind=None if actor else "link",
           clinic_id=None if actor else assignment.patient.clinic_id, obj=session,
           patient_id=assignment.patient_id, source=source)
    for old in earlier:
        record("session_withdraw", actor_kind="link", clinic_id=assignment.patient.clinic_id,
               obj=old, patient_id=assignment.patient_id, reason="replaced",
               replaced_by=session.id)
    return session


def _withdraw(session, reason):
    session.withdrawn_at = utcnow()
    session.withdrawn_reason = reason


class SameDayEntry(ServiceError):
    """The patient already has an entry for that day: replace it, or keep it."""

    def __init__(self, existing):
        super().__init__("You already logged a session for this day.", field="performed_on")
        self.existing = existing


class AlreadyLogged(ServiceError):
    """This form was stored before (a double tap or a retry): nothing new was written."""

    def __init__(self):
        super().__init__("This session is already saved.")


def own_session(assignment_id, session_id):
    """The patient's own entry of this program that still counts; None for any other."""
    return db.session.scalar(sa.select(SessionLog).where(
        SessionLog.id == session_id, SessionLog.assignment_id == assignment_id,
        SessionLog.source == "patient", SessionLog.counted()))


def changeable_today(session, today):
    """A patient may change or remove an entry on the day they made it, or of today."""
    zone = session.assignment.patient.clinic.zone
    return session.created_at.astimezone(zone).date() == today or session.performed_on == today


def _own_changeable(assignment_id, session_id):
    session = own_session(assignment_id, session_id)
    if session is None:
        raise NotFound("session")
    today = clinic_today(session.assignment.patient_id)
    if not changeable_today(session, today):
        raise ServiceError("A session can be changed on the day it was logged only.")
    return session, today


@write_transaction
def withdraw_own_session(assignment_id, session_id):
    """The patient removes their own entry made today: kept in history, audited as their
    correction, counted nowhere any more."""
    session, _ = _own_changeable(assignment_id, session_id)
    _withdraw(session, "removed")
    db.session.flush()
    record("session_withdraw", actor_kind="link", clinic_id=session.assignment.patient.clinic_id,
           obj=session, patient_id=session.assignment.patient_id, reason="removed")
    return session


@write_transaction
def correct_own_session(assignment_id, session_id, entry):
    """The patient corrects their own entry on the same day (in the clinic's time zone)."""
    session, today = _own_changeable(assignment_id, session_id)
    _check_entry(entry, today, session.assignment.start_date)
    level = session.assignment.snapshot["levels"][session.level_position]
    for key in ("performed_on", "status", "low_energy", "duration_minutes", "rpe",
                "mood_before", "mood_after", "pain", "pain_where", "note", "as_planned"):
        setattr(session, key, getattr(entry, key))
    session.skip_reason = entry.skip_reason if entry.status == "skipped" else None
    session.sets = [] if entry.status == "skipped" else _set_rows(level, entry)
    session.updated_at = utcnow()
    db.session.flush()
    raise_session_alerts(session.assignment, session)
    record("session_correct", actor_kind="link", clinic_id=session.assignment.patient.clinic_id,
           obj=session, patient_id=session.assignment.patient_id)
    return session


def _record_for(session, level):
    prescribed = sum(item["sets"] for item in level["exercises"])
    done = len({(s.exercise_id, s.set_number) for s in session.sets})
    return adherence.SessionRecord(status=session.status, working_sets_done=done,
                                   working_sets_prescribed=prescribed,
                                   low_energy=session.low_energy, session_rpe=session.rpe,
                                   pain=session.pain, skip_reason=session.skip_reason)


def raise_session_alerts(assignment, session):
    """Pain, very hard sessions in a row, low-mood skips: alerts named by this session."""
    patient = assignment.patient
    # Judged as of this session: a back-dated entry is read with what came before it.
    history = [s for s in sessions_of(assignment.id)
               if (s.performed_on, s.id) <= (session.performed_on, session.id)]
    levels = assignment.snapshot["levels"]
    records = [_record_for(s, levels[s.level_position]) for s in history]
    for kind, reason in adherence.program_alerts(records, ()):
        if kind == adherence.PAIN_REVIEW:
            continue  # shown on the session; the alert threshold is 7
        exists = db.session.scalar(sa.select(Alert.id).where(
            Alert.kind == kind, Alert.session_log_id == session.id))
        if not exists:
            raise_alert(patient, kind, session_log=session, reason=reason)
    db.session.flush()


# Adherence and progress ------------------------------------------------------------------


def _pauses(assignment):
    """Paused intervals as (first day, day after) from the pause/resume/complete events."""
    intervals, started = [], None
    for event in sorted(assignment.events, key=lambda e: (e.at, e.id)):
        if event.kind == "pause" and started is None:
            started = event.at.date()
        elif event.kind in ("resume", "complete") and started is not None:
            intervals.append((started, event.at.date() + timedelta(days=1)))
            started = None
    if started is not None:
        intervals.append((started, None))
    return intervals


def _level_at_start(assignment, week, zone=None):
    """The level in force at the start of ``week`` (its Monday, 00:00 where the clinic is).

    A week is planned with the level the patient began it at (PROGRAMS.md "Safety holds"): a
    level change on Wednesday does not reach back and change what Monday to Tuesday were
    planned for. Without ``zone`` an event's day is its UTC day.
    """
    level = 0
    for event in sorted(assignment.events, key=lambda e: (e.at, e.id)):
        day = (event.at.astimezone(zone) if zone is not None else event.at).date()
        if event.kind == "level_change" and day < week:
            level = event.detail.get("new", level)
    return min(level, len(assignment.snapshot["levels"]) - 1)


def week_records(assignment, sessions, today, zone=None):
    """One WeekRecord per calendar week (Monday first) from the start to this week.

    A week in which the program was paused for any day is a paused week: it enters neither
    the planned nor the credited sum. Each week plans the sessions of the level in force at its
    start.
    """
    levels = assignment.snapshot["levels"]
    pauses = _pauses(assignment)
    week = assignment.start_date - timedelta(days=assignment.start_date.weekday())
    weeks = []
    while week <= today:
        end = week + timedelta(days=7)
        paused = any(first < end and (after is None or after > week) for first, after in pauses)
        in_week = [s for s in sessions if week <= s.performed_on < end]
        planned = levels[_level_at_start(assignment, week, zone)]["sessions_per_week"]
        weeks.append(adherence.WeekRecord(
            week_start=week, planned=planned, paused=paused,
            sessions=tuple(_record_for(s, levels[s.level_position]) for s in in_week)))
        week = end
    return weeks


def progress(assignment, today=None):
    """Counts, weekly adherence, rolling adherence and session load for one assignment."""
    today = today or clinic_today(assignment.patient_id)
    sessions = sessions_of(assignment.id)
    weeks = week_records(assignment, sessions, today, assignment.patient.clinic.zone)
    complete_weeks = weeks[:-1]
    weekly = adherence.weekly_adherence(weeks)
    rolling = adherence.rolling_adherence(complete_weeks or weeks, rules.ROLLING_WEEKS)
    this_week = weeks[-1] if weeks else adherence.WeekRecord(week_start=today, planned=0)
    performed = sum(1 for s in sessions if s.status != "skipped")
    counts = adherence.patient_counts(this_week, performed)
    loads = {}
    for s in sessions:
        load = adherence.session_load(s.rpe, s.duration_minutes)
        if load is not None:
            monday = s.performed_on - timedelta(days=s.performed_on.weekday())
            loads[monday] = loads.get(monday, 0) + load
    return {"sessions": sessions, "weeks": weekly, "rolling": rolling,
            "rolling_percent": adherence.as_percent(rolling), "counts": counts,
            "weekly_load": sorted(loads.items()), "performed": performed}


def rolling_adherence_for(patient_ids, today):
    """{patient id: rolling 4-week adherence %} of current programs, in a fixed number of
    queries (the dashboard's)."""
    assignments = db.session.scalars(
        sa.select(Assignment).where(Assignment.patient_id.in_(patient_ids),
                                    Assignment.status != "completed")
        .options(sa.orm.selectinload(Assignment.events))
    ).all()
    if not assignments:
        return {}
    sessions = {}
    for session in db.session.scalars(
        sa.select(SessionLog).where(SessionLog.assignment_id.in_([a.id for a in assignments]),
                                    SessionLog.counted())
        .options(sa.orm.selectinload(SessionLog.sets))
        .order_by(SessionLog.performed_on, SessionLog.id)
    ):
        sessions.setdefault(session.assignment_id, []).append(session)
    result = {}
    for assignment in assignments:
        weeks = week_records(assignment, sessions.get(assignment.id, []), today)
        rolling = adherence.rolling_adherence(weeks[:-1] or weeks, rules.ROLLING_WEEKS)
        result[assignment.patient_id] = adherence.as_percent(rolling)
    return result


def missed_session_alerts(today=None):
    """For every active program: two planned weeks in a row with no session -> one alert."""
    raised = 0
    for assignment in db.session.scalars(
        sa.select(Assignment).join(Patient, Patient.id == Assignment.patient_id)
        .where(Assignment.status == "active", Patient.status == ACTIVE)
    ):
        day = today or clinic_today(assignment.patient_id)
        all_weeks = week_records(assignment, sessions_of(assignment.id), day)
        if all_weeks and any(s.performed for s in all_weeks[-1].sessions):
            continue  # back this week: nothing to raise
        weeks = all_weeks[:-1]
        for kind, reason in adherence.program_alerts((), weeks):
            if kind != adherence.MISSED_SESSIONS:
                continue
            last_week = weeks[-1].week_start.isoformat()
            earlier = db.session.scalars(sa.select(Alert).where(
                Alert.kind == kind, Alert.patient_id == assignment.patient_id)).all()
            if not any(a.acknowledged_at is None or (
                    a.detail.get("assignment") == assignment.id
                    and a.detail.get("week") == last_week) for a in earlier):
                raise_alert(assignment.patient, kind, reason=reason, week=last_week,
                            assignment=assignment.id)
                raised += 1
    return raised
