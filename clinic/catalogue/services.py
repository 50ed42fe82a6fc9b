"""Use cases of the clinic's catalogue: the exercise library, program templates and their levels.

Each writing function is one transaction with its audit events. Lookups are scoped to the
actor's clinic (built-in exercises are everyone's) and raise ``NotFound`` otherwise. Nothing here
knows about patients: a patient's program is a snapshot taken by ``clinic.programs``.
"""

import sqlalchemy as sa

from clinic import limits
from clinic.audit.services import record
from clinic.catalogue import library, starters
from clinic.catalogue.models import (
    LOAD_KINDS,
    Exercise,
    LevelExercise,
    ProgramTemplate,
    TemplateLevel,
)
from clinic.database import get_in_clinic, utcnow, write_transaction
from clinic.errors import NotFound, ServiceError
from clinic.extensions import db

# The exercise library --------------------------------------------------------------------


def sync_builtin_exercises():
    """Insert or update the built-in exercises from ``library.py`` (idempotent)."""
    existing = {e.slug: e for e in db.session.scalars(
        sa.select(Exercise).where(Exercise.clinic_id.is_(None)))}
    changed = 0
    for item in library.EXERCISES:
        row = existing.get(item.slug) or Exercise(clinic_id=None, slug=item.slug)
        values = {"name": item.name, "pattern": item.pattern, "setting": item.setting,
                  "equipment": item.equipment, "measure": item.measure, "ladder": item.ladder,
                  "ladder_step": item.step, "cues": list(item.cues),
                  "easier_tip": item.easier_tip}
        if row.id is None or any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            db.session.add(row)
            changed += 1
    return changed


def exercises_for(clinic_id, *, include_retired=False):
    """Built-in exercises and the clinic's own, ladder by ladder, easiest first."""
    query = sa.select(Exercise).where(
        sa.or_(Exercise.clinic_id.is_(None), Exercise.clinic_id == clinic_id))
    if not include_retired:
        query = query.where(Exercise.retired_at.is_(None))
    return db.session.scalars(query.order_by(Exercise.ladder, Exercise.ladder_step,
                                             Exercise.name)).all()


def visible_exercise(clinic_id, exercise_id):
    """A built-in exercise or one of the clinic's own.

    :raises NotFound: for a missing id and another clinic's exercise alike.
    """
    exercise = db.session.scalar(sa.select(Exercise).where(
        Exercise.id == exercise_id,
        sa.or_(Exercise.clinic_id.is_(None), Exercise.clinic_id == clinic_id)))
    if exercise is None:
        raise NotFound("exercise")
    return exercise


def neighbours(exercise, clinic_id):
    """(easier, harder): one step down and up the same ladder, among active exercises."""
    ladder = [e for e in exercises_for(clinic_id) if e.ladder == exercise.ladder]
    easier = [e for e in ladder if e.ladder_step < exercise.ladder_step]
    harder = [e for e in ladder if e.ladder_step > exercise.ladder_step]
    return (max(easier, key=lambda e: e.ladder_step) if easier else None,
            min(harder, key=lambda e: e.ladder_step) if harder else None)


@write_transaction
def create_exercise(actor, data):
    """A clinic adds its own exercise to a ladder."""
    slug = "clinic-" + "-".join(data["name"].lower().split())[:50]
    if db.session.scalar(sa.select(Exercise.id).where(Exercise.clinic_id == actor.clinic_id,
                                                      Exercise.slug == slug)):
        raise ServiceError("Your clinic already has an exercise with this name.", field="name")
    exercise = Exercise(clinic_id=actor.clinic_id, slug=slug, name=data["name"],
                        pattern=data["pattern"], setting=data["setting"],
                        equipment=data["equipment"] or "none", measure=data["measure"],
                        ladder=data["pattern"], ladder_step=data["ladder_step"],
                        cues=[c for c in data["cues"] if c], easier_tip=data.get("easier_tip"))
    db.session.add(exercise)
    db.session.flush()
    record("exercise_create", actor=actor, obj=exercise)
    return exercise


@write_transaction
def set_exercise_retired(actor, exercise_id, retired):
    """Retire (or bring back) a clinic's own exercise; logs that refer to it are kept."""
    exercise = visible_exercise(actor.clinic_id, exercise_id)
    if exercise.is_builtin:
        raise ServiceError("Built-in exercises cannot be retired.")
    exercise.retired_at = utcnow() if retired else None
    record("exercise_retire" if retired else "exercise_restore", actor=actor, obj=exercise)
    return exercise


# Templates -------------------------------------------------------------------------------


def templates_of(clinic_id, *, include_archived=False):
    """The clinic's programs by name (those that can be assigned, unless archived ones too)."""
    query = sa.select(ProgramTemplate).where(ProgramTemplate.clinic_id == clinic_id)
    if not include_archived:
        query = query.where(ProgramTemplate.archived_at.is_(None))
    return db.session.scalars(query.order_by(ProgramTemplate.name)).all()


# The programs area's table, named (the catalogue never imports programs/): who follows what.
_ASSIGNMENT = sa.table("assignment", sa.column("template_id"), sa.column("patient_id"),
                       sa.column("status"))


def patients_following(template_ids):
    """{template id: number of patients whose current program was made from it}; a template
    no one follows is absent (the list says "not assigned", not "in use")."""
    if not template_ids:
        return {}
    rows = db.session.execute(
        sa.select(_ASSIGNMENT.c.template_id,
                  sa.func.count(sa.distinct(_ASSIGNMENT.c.patient_id)))
        .where(_ASSIGNMENT.c.template_id.in_(template_ids),
               _ASSIGNMENT.c.status != "completed")
        .group_by(_ASSIGNMENT.c.template_id))
    return dict(rows.all())


def template_in_clinic(clinic_id, template_id):
    """One of the clinic's programs.

    :raises NotFound: for a missing id and another clinic's program alike.
    """
    return get_in_clinic(ProgramTemplate, template_id, clinic_id)


def level_in_clinic(clinic_id, template_id, level_id):
    """(template, level): a level of one of the clinic's programs.

    :raises NotFound: when either is missing, the level belongs to another program, or the
        program to another clinic.
    """
    template = template_in_clinic(clinic_id, template_id)
    return template, _level_of(template, level_id)


def _level_of(template, level_id):
    level = next((lv for lv in template.levels if lv.id == level_id), None)
    if level is None:
        raise NotFound("level")
    return level


def _touch(template):
    template.version += 1
    template.updated_at = utcnow()


def _name_free(clinic_id, name, except_id=None):
    query = sa.select(ProgramTemplate.id).where(ProgramTemplate.clinic_id == clinic_id,
                                                ProgramTemplate.name == name)
    if except_id:
        query = query.where(ProgramTemplate.id != except_id)
    if db.session.scalar(query):
        raise ServiceError("Your clinic already has a program with this name.", field="name")


@write_transaction
def create_template(actor, name, description):
    """A new program, with one empty level to fill in."""
    _name_free(actor.clinic_id, name)
    template = ProgramTemplate(clinic_id=actor.clinic_id, name=name, description=description,
                               created_by_id=actor.id)
    template.levels.append(TemplateLevel(position=0, name="Level 1", min_weeks=2,
                                         sessions_per_week=2))
    db.session.add(template)
    db.session.flush()
    record("template_create", actor=actor, obj=template)
    return template


@write_transaction
def update_template(actor, template_id, *, name=None, description=None, archived=None):
    """Rename or describe a program, and archive or restore it; ``None`` leaves a field as is.

    An archived program can no longer be assigned; assignments keep their snapshot.
    """
    template = template_in_clinic(actor.clinic_id, template_id)
    if name is not None or description is not None:
        if name is not None:
            _name_free(actor.clinic_id, name, except_id=template.id)
            template.name = name
        if description is not None:
            template.description = description
        _touch(template)
        record("template_update", actor=actor, obj=template)
    if archived is not None:
        template.archived_at = utcnow() if archived else None
        record("template_archive" if archived else "template_restore", actor=actor,
               obj=template)
    return template


def level_choices(clinic_id, level):
    """Active exercises, plus retired ones this level still uses (so a re-save keeps them)."""
    in_use = {row.exercise_id for row in level.exercises}
    return [e for e in exercises_for(clinic_id, include_retired=True)
            if e.retired_at is None or e.id in in_use]


class LevelRowsInvalid(ServiceError):
    """Some exercise rows of a level were refused; ``rows`` is {row index: {field: message}}."""

    def __init__(self, rows):
        super().__init__("Some exercise rows need attention.", field="exercises")
        self.rows = rows


def _level_row_problems(rows, clinic_id, keep):
    """{row index: {field: message}} of a level's exercise rows (empty when all are fine).

    A retired exercise is refused unless the level already uses it (``keep``).
    """
    errors = {}
    for index, row in enumerate(rows):
        problems = {}
        exercise = None
        if row["exercise_id"] is not None:
            exercise = db.session.scalar(sa.select(Exercise).where(
                Exercise.id == row["exercise_id"],
                sa.or_(Exercise.clinic_id.is_(None), Exercise.clinic_id == clinic_id)))
        if row["exercise_id"] is None:
            problems["exercise_id"] = "Choose an exercise."
        elif exercise is None or (exercise.retired_at is not None and exercise.id not in keep):
            problems["exercise_id"] = "Choose an exercise from the library."
        if not _within("sets", row["sets"]):
            problems["sets"] = "Sets must be {} to {}.".format(*limits.NUMBER_RANGE["sets"])
        if not (_within("reps_target", row["reps_min"])
                and _within("reps_target", row["reps_max"])):
            problems["reps_min"] = "Give a range such as 8 to 12 (reps {} to {}).".format(
                *limits.NUMBER_RANGE["reps_target"])
        elif row["reps_min"] > row["reps_max"]:
            problems["reps_min"] = "The lower end of the range must not be above the upper end."
        if row["load_kind"] not in LOAD_KINDS:
            problems["load_kind"] = "Choose how the load is set."
        if not _within("rest_seconds", row["rest_seconds"]):
            problems["rest_seconds"] = "Rest must be {} to {} seconds.".format(
                *limits.NUMBER_RANGE["rest_seconds"])
        if len(row.get("load_target") or "") > limits.TEXT_MAX["load_target"]:
            problems["load_target"] = (
                f"Use at most {limits.TEXT_MAX['load_target']} characters.")
        if problems:
            errors[index] = problems
    return errors


def _within(limit, value):
    low, high = limits.NUMBER_RANGE[limit]
    return value is not None and low <= value <= high


@write_transaction
def save_level(actor, template_id, level_id, data, rows):
    """Replace a level's settings and exercises, validated as a whole (nothing half-saved).

    :raises LevelRowsInvalid: naming every refused row and field.
    """
    template, level = level_in_clinic(actor.clinic_id, template_id, level_id)
    if not rows:
        raise ServiceError("A level needs at least one exercise.", field="exercises")
    problems = _level_row_problems(rows, actor.clinic_id,
                                   keep={r.exercise_id for r in level.exercises})
    if problems:
        raise LevelRowsInvalid(problems)
    level.name = data["name"]
    level.min_weeks = data["min_weeks"]
    level.sessions_per_week = data["sessions_per_week"]
    level.criteria = data["criteria"] or ""
    level.exercises.clear()
    db.session.flush()
    for position, row in enumerate(rows):
        level.exercises.append(LevelExercise(position=position, **row))
    _touch(template)
    record("template_level_save", actor=actor, obj=template, level=level.position)
    return level


@write_transaction
def add_level(actor, template_id):
    """Add an empty level at the end of a program."""
    template = template_in_clinic(actor.clinic_id, template_id)
    position = len(template.levels)
    level = TemplateLevel(position=position, name=f"Level {position + 1}", min_weeks=2,
                          sessions_per_week=2)
    template.levels.append(level)
    _touch(template)
    db.session.flush()
    record("template_level_add", actor=actor, obj=template, level=position)
    return level


@write_transaction
def remove_level(actor, template_id, level_id):
    """Remove a level (a program keeps at least one); the levels after it move up."""
    template, level = level_in_clinic(actor.clinic_id, template_id, level_id)
    if len(template.levels) == 1:
        raise ServiceError("A program needs at least one level.")
    template.levels.remove(level)
    db.session.flush()
    for position, other in enumerate(template.levels):
        other.position = position + 1000  # two steps: the unique (template, position) holds
    db.session.flush()
    for position, other in enumerate(template.levels):
        other.position = position
    _touch(template)
    record("template_level_remove", actor=actor, obj=template)
    return template


def _copy_levels(source_levels, target):
    for level in source_levels:
        copy_level = TemplateLevel(position=level.position, name=level.name,
                                   min_weeks=level.min_weeks,
                                   sessions_per_week=level.sessions_per_week,
                                   criteria=level.criteria)
        for item in level.exercises:
            copy_level.exercises.append(LevelExercise(
                position=item.position, exercise_id=item.exercise_id, sets=item.sets,
                reps_min=item.reps_min, reps_max=item.reps_max, load_kind=item.load_kind,
                load_target=item.load_target, rest_seconds=item.rest_seconds,
                is_key=item.is_key))
        target.levels.append(copy_level)


@write_transaction
def clone_template(actor, template_id):
    """A copy of a program with all its levels, under a free name, to adapt."""
    source = template_in_clinic(actor.clinic_id, template_id)
    name = f"Copy of {source.name}"[:120]
    suffix = 2
    while db.session.scalar(sa.select(ProgramTemplate.id).where(
            ProgramTemplate.clinic_id == actor.clinic_id, ProgramTemplate.name == name)):
        name = f"Copy {suffix} of {source.name}"[:120]
        suffix += 1
    clone = ProgramTemplate(clinic_id=actor.clinic_id, name=name,
                            description=source.description, created_by_id=actor.id)
    _copy_levels(source.levels, clone)
    db.session.add(clone)
    db.session.flush()
    record("template_clone", actor=actor, obj=clone, source=source.id)
    return clone


def install_starters(clinic_id, actor=None):
    """Add the starter templates of ``starters.py`` that the clinic does not have yet."""
    slugs = {e.slug: e for e in db.session.scalars(
        sa.select(Exercise).where(Exercise.clinic_id.is_(None)))}
    added = 0
    for starter in starters.STARTER_TEMPLATES:
        if db.session.scalar(sa.select(ProgramTemplate.id).where(
                ProgramTemplate.clinic_id == clinic_id, ProgramTemplate.name == starter.name)):
            continue
        template = ProgramTemplate(clinic_id=clinic_id, name=starter.name,
                                   description=starter.description,
                                   created_by_id=getattr(actor, "id", None))
        for position, level in enumerate(starter.levels):
            row = TemplateLevel(position=position, name=level.name, min_weeks=level.min_weeks,
                                sessions_per_week=level.sessions_per_week,
                                criteria=level.criteria_text)
            for index, item in enumerate(level.exercises):
                row.exercises.append(LevelExercise(
                    position=index, exercise_id=slugs[item.slug].id, sets=item.sets,
                    reps_min=item.reps_min, reps_max=item.reps_max, load_kind=item.load_kind,
                    load_target=item.load_target, rest_seconds=item.rest_seconds,
                    is_key=item.is_key))
            template.levels.append(row)
        db.session.add(template)
        db.session.flush()
        record("template_create", actor=actor, actor_kind=None if actor else "system",
               clinic_id=clinic_id, obj=template, starter=True)
        added += 1
    return added


@write_transaction
def add_starter_templates(actor):
    """The actor's clinic gets the starter programs it lacks (the library synced first)."""
    sync_builtin_exercises()
    db.session.flush()
    return install_starters(actor.clinic_id, actor)
