"""A clinician's catalogue pages: the exercise library, program templates and their levels.

The pages keep the ``/programs/...`` addresses they always had; a patient's program lives in
``clinic.programs.views``.
"""

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.catalogue import services
from clinic.catalogue.forms import (
    MEASURE_LABELS,
    PATTERN_LABELS,
    ExerciseForm,
    LevelForm,
    TemplateForm,
)
from clinic.catalogue.models import LOAD_KINDS
from clinic.errors import ServiceError
from clinic.patients.forms import EmptyForm

bp = Blueprint("catalogue", __name__, url_prefix="/programs")


def _me():
    return current_user._get_current_object()


def _require_post_form():
    if not EmptyForm().validate_on_submit():
        abort(400)


# Library ---------------------------------------------------------------------------------


@bp.route("/exercises", methods=["GET", "POST"])
def exercises():
    """The exercise library, ladder by ladder; a clinic adds and retires its own."""
    form = ExerciseForm()
    if form.validate_on_submit():
        try:
            services.create_exercise(_me(), {
                "name": form.name.data, "pattern": form.pattern.data,
                "ladder_step": form.ladder_step.data, "setting": form.setting.data,
                "measure": form.measure.data, "equipment": form.equipment.data,
                "cues": [form.cue1.data, form.cue2.data, form.cue3.data],
                "easier_tip": form.easier_tip.data or None})
        except ServiceError as error:
            error.show_on(form)
        else:
            flash("Exercise added.", "success")
            return redirect(url_for("catalogue.exercises"), code=303)
    items = services.exercises_for(current_user.clinic_id, include_retired=True)
    status = 422 if (form.errors or form.form_errors) else 200
    return render_template("catalogue/exercises.html", items=items, form=form,
                           pattern_labels=PATTERN_LABELS, measure_labels=MEASURE_LABELS,
                           post_form=EmptyForm()), status


@bp.post("/exercises/<dbid:exercise_id>/retire")
def retire_exercise(exercise_id):
    """Retire a clinic exercise (kept for the logs that refer to it)."""
    _require_post_form()
    try:
        services.set_exercise_retired(_me(), exercise_id, True)
    except ServiceError as error:
        flash(error.message, "error")
    return redirect(url_for("catalogue.exercises"), code=303)


@bp.post("/exercises/<dbid:exercise_id>/restore")
def restore_exercise(exercise_id):
    """Bring a retired clinic exercise back."""
    _require_post_form()
    services.set_exercise_retired(_me(), exercise_id, False)
    return redirect(url_for("catalogue.exercises"), code=303)


# Templates -------------------------------------------------------------------------------


@bp.route("/templates", methods=["GET", "POST"])
def templates():
    """The clinic's programs; create one or add the starter programs."""
    form = TemplateForm()
    if form.validate_on_submit():
        try:
            template = services.create_template(_me(), form.name.data, form.description.data or "")
        except ServiceError as error:
            error.show_on(form)
        else:
            return redirect(url_for("catalogue.template", template_id=template.id), code=303)
    show_archived = request.args.get("archived") == "1"
    status = 422 if (form.errors or form.form_errors) else 200
    items = services.templates_of(current_user.clinic_id, include_archived=show_archived)
    return render_template("catalogue/templates.html", form=form, post_form=EmptyForm(),
                           items=items, show_archived=show_archived,
                           following=services.patients_following([t.id for t in items])), status


@bp.post("/templates/starters")
def add_starters():
    """Add the starter programs built on PROGRAMS.md (those the clinic lacks)."""
    _require_post_form()
    added = services.add_starter_templates(_me())
    flash(f"{added} starter program(s) added." if added else "The starter programs are there.",
          "success")
    return redirect(url_for("catalogue.templates"), code=303)


@bp.route("/templates/<dbid:template_id>", methods=["GET", "POST"])
def template(template_id):
    """A program: its name and description, and its levels."""
    form = TemplateForm()
    if form.validate_on_submit():
        try:
            services.update_template(_me(), template_id, name=form.name.data,
                                     description=form.description.data or "")
        except ServiceError as error:
            error.show_on(form)
        else:
            flash("Saved.", "success")
            return redirect(url_for("catalogue.template", template_id=template_id), code=303)
    item = services.template_in_clinic(current_user.clinic_id, template_id)
    if not form.is_submitted():
        form = TemplateForm(obj=item)
    status = 422 if (form.errors or form.form_errors) else 200
    return render_template("catalogue/template.html", template=item, form=form,
                           post_form=EmptyForm()), status


@bp.post("/templates/<dbid:template_id>/levels")
def add_level(template_id):
    """Add a level at the end."""
    _require_post_form()
    level = services.add_level(_me(), template_id)
    return redirect(url_for("catalogue.level", template_id=template_id, level_id=level.id),
                    code=303)


ROWS = 8  # exercise rows offered on the level form (a session holds 4-6)
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,9}")


def _level_rows(form_data):
    """(rows as the service takes them, the form row number of each): empty rows dropped."""
    rows, raw = [], []
    for i in range(ROWS):
        def value(name, index=i):
            return (form_data.get(f"row{index}-{name}") or "").strip()

        if not value("exercise_id"):
            continue

        def number(name, index=i):
            text = value(name, index)
            return int(text) if WHOLE_NUMBER.fullmatch(text) else None

        raw.append(i)
        rows.append({"exercise_id": number("exercise_id"), "sets": number("sets"),
                     "reps_min": number("reps_min"), "reps_max": number("reps_max"),
                     "load_kind": value("load_kind"), "load_target": value("load_target"),
                     "rest_seconds": number("rest_seconds"),
                     "is_key": value("is_key") == "y"})
    return rows, raw


def _saved_values(level):
    """The level's rows as the editor's field values."""
    values = {}
    for i, row in enumerate(level.exercises):
        for key in ("exercise_id", "sets", "reps_min", "reps_max", "load_kind",
                    "load_target", "rest_seconds"):
            values[f"row{i}-{key}"] = str(getattr(row, key))
        values[f"row{i}-is_key"] = "y" if row.is_key else ""
    return values


@bp.route("/templates/<dbid:template_id>/levels/<dbid:level_id>", methods=["GET", "POST"])
def level(template_id, level_id):
    """Edit a level: its name, weeks, sessions a week, criteria and exercise rows."""
    form = LevelForm()
    row_errors = {}
    if form.validate_on_submit():
        rows, form_rows = _level_rows(request.form)
        try:
            services.save_level(_me(), template_id, level_id, {
                "name": form.name.data, "min_weeks": form.min_weeks.data,
                "sessions_per_week": form.sessions_per_week.data,
                "criteria": form.criteria.data}, rows)
        except services.LevelRowsInvalid as error:
            row_errors = {form_rows[i]: problems for i, problems in error.rows.items()}
        except ServiceError as error:
            error.show_on(form)
        else:
            flash("Level saved.", "success")
            return redirect(url_for("catalogue.template", template_id=template_id), code=303)
    item, lvl = services.level_in_clinic(current_user.clinic_id, template_id, level_id)
    if form.is_submitted():
        values = request.form
    else:
        form, values = LevelForm(obj=lvl), _saved_values(lvl)
    status = 422 if (form.errors or form.form_errors or row_errors) else 200
    return render_template("catalogue/level.html", template=item, level=lvl, form=form,
                           rows=range(ROWS), values=values, row_errors=row_errors,
                           exercises=services.level_choices(current_user.clinic_id, lvl),
                           load_kinds=LOAD_KINDS, post_form=EmptyForm()), status


@bp.post("/templates/<dbid:template_id>/levels/<dbid:level_id>/remove")
def remove_level(template_id, level_id):
    """Remove a level (a program keeps at least one)."""
    _require_post_form()
    try:
        services.remove_level(_me(), template_id, level_id)
    except ServiceError as error:
        flash(error.message, "error")
    return redirect(url_for("catalogue.template", template_id=template_id), code=303)


@bp.post("/templates/<dbid:template_id>/clone")
def clone_template(template_id):
    """Copy a program to adapt it."""
    _require_post_form()
    clone = services.clone_template(_me(), template_id)
    flash("Copied. Rename it and adjust its levels.", "success")
    return redirect(url_for("catalogue.template", template_id=clone.id), code=303)


@bp.post("/templates/<dbid:template_id>/archive")
def archive_template(template_id):
    """Archive a program: it can no longer be assigned; assignments keep their snapshot."""
    _require_post_form()
    services.update_template(_me(), template_id, archived=True)
    return redirect(url_for("catalogue.templates"), code=303)


@bp.post("/templates/<dbid:template_id>/restore")
def restore_template(template_id):
    """Bring an archived program back."""
    _require_post_form()
    services.update_template(_me(), template_id, archived=False)
    return redirect(url_for("catalogue.template", template_id=template_id), code=303)
