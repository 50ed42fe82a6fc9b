"""A clinician's program pages: library, templates and levels, assignments, supervised logs."""

import re

import segno
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from wtforms import SelectChoice

from clinic.audit.services import record_read
from clinic.errors import ServiceError
from clinic.patients.forms import EmptyForm
from clinic.patients.scope import visible_patient
from clinic.programs import entry as session_entry
from clinic.programs import rules, services, trend
from clinic.programs.forms import (
    MEASURE_LABELS,
    PATTERN_LABELS,
    AssignForm,
    ExerciseForm,
    LevelChangeForm,
    LevelForm,
    TargetForm,
    TemplateForm,
)
from clinic.programs.models import LOAD_KINDS

bp = Blueprint("programs", __name__, url_prefix="/programs")


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
            return redirect(url_for("programs.exercises"), code=303)
    items = services.exercises_for(current_user.clinic_id, include_retired=True)
    status = 422 if (form.errors or form.form_errors) else 200
    return render_template("programs/exercises.html", items=items, form=form,
                           pattern_labels=PATTERN_LABELS, measure_labels=MEASURE_LABELS,
                           post_form=EmptyForm()), status


@bp.post("/exercises/<int:exercise_id>/retire")
def retire_exercise(exercise_id):
    """Retire a clinic exercise (kept for the logs that refer to it)."""
    _require_post_form()
    try:
        services.set_exercise_retired(_me(), exercise_id, True)
    except ServiceError as error:
        flash(error.message, "error")
    return redirect(url_for("programs.exercises"), code=303)


@bp.post("/exercises/<int:exercise_id>/restore")
def restore_exercise(exercise_id):
    """Bring a retired clinic exercise back."""
    _require_post_form()
    services.set_exercise_retired(_me(), exercise_id, False)
    return redirect(url_for("programs.exercises"), code=303)


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
            return redirect(url_for("programs.template", template_id=template.id), code=303)
    show_archived = request.args.get("archived") == "1"
    status = 422 if (form.errors or form.form_errors) else 200
    return render_template("programs/templates.html", form=form, post_form=EmptyForm(),
                           items=services.templates_of(current_user.clinic_id,
                                                       include_archived=show_archived),
                           show_archived=show_archived), status


@bp.post("/templates/starters")
def add_starters():
    """Add the starter programs built on PROGRAMS.md (those the clinic lacks)."""
    _require_post_form()
    added = services.add_starter_templates(_me())
    flash(f"{added} starter program(s) added." if added else "The starter programs are there.",
          "success")
    return redirect(url_for("programs.templates"), code=303)


@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
def template(template_id):
    """A program: its name and description, and its levels."""
    item = services.get_template_or_404(current_user.clinic_id, template_id)
    form = TemplateForm(obj=item)
    if form.validate_on_submit():
        try:
            services.update_template(_me(), item.id, form.name.data, form.description.data or "")
        except ServiceError as error:
            error.show_on(form)
        else:
            flash("Saved.", "success")
            return redirect(url_for("programs.template", template_id=item.id), code=303)
    status = 422 if (form.errors or form.form_errors) else 200
    return render_template("programs/template.html", template=item, form=form,
                           post_form=EmptyForm()), status


@bp.post("/templates/<int:template_id>/levels")
def add_level(template_id):
    """Add a level at the end."""
    _require_post_form()
    level = services.add_level(_me(), template_id)
    return redirect(url_for("programs.level", template_id=template_id, level_id=level.id),
                    code=303)


ROWS = 8  # exercise rows offered on the level form (a session holds 4-6)
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,9}")


def _level_rows(form_data):
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
                     "load_kind": value("load_kind"), "load_target": value("load_target")[:32],
                     "rest_seconds": number("rest_seconds"),
                     "is_key": value("is_key") == "y"})
    return rows, raw


@bp.route("/templates/<int:template_id>/levels/<int:level_id>", methods=["GET", "POST"])
def level(template_id, level_id):
    """Edit a level: its name, weeks, sessions a week, criteria and exercise rows."""
    item = services.get_template_or_404(current_user.clinic_id, template_id)
    lvl = next((lv for lv in item.levels if lv.id == level_id), None)
    if lvl is None:
        abort(404)
    form = LevelForm(obj=lvl)
    row_errors, values = {}, None
    if request.method == "POST":
        values = request.form
        rows, indexes = _level_rows(request.form)
        valid = form.validate_on_submit()
        in_use = {row.exercise_id for row in lvl.exercises}
        errors = services.validate_level_rows(rows, current_user.clinic_id, keep=in_use)
        row_errors = {indexes[i]: e for i, e in errors.items()}
        if not rows:
            form.form_errors.append("A level needs at least one exercise.")
        if valid and not row_errors and rows:
            try:
                services.save_level(_me(), item.id, lvl.id, {
                    "name": form.name.data, "min_weeks": form.min_weeks.data,
                    "sessions_per_week": form.sessions_per_week.data,
                    "criteria": form.criteria.data}, rows)
            except ServiceError as error:
                error.show_on(form)
            else:
                flash("Level saved.", "success")
                return redirect(url_for("programs.template", template_id=item.id), code=303)
    if values is None:
        values = {}
        for i, row in enumerate(lvl.exercises):
            for key in ("exercise_id", "sets", "reps_min", "reps_max", "load_kind",
                        "load_target", "rest_seconds"):
                values[f"row{i}-{key}"] = str(getattr(row, key))
            values[f"row{i}-is_key"] = "y" if row.is_key else ""
    status = 422 if (form.errors or form.form_errors or row_errors) else 200
    return render_template("programs/level.html", template=item, level=lvl, form=form,
                           rows=range(ROWS), values=values, row_errors=row_errors,
                           exercises=services.level_choices(current_user.clinic_id, lvl),
                           load_kinds=LOAD_KINDS, post_form=EmptyForm()), status


@bp.post("/templates/<int:template_id>/levels/<int:level_id>/remove")
def remove_level(template_id, level_id):
    """Remove a level (a program keeps at least one)."""
    _require_post_form()
    try:
        services.remove_level(_me(), template_id, level_id)
    except ServiceError as error:
        flash(error.message, "error")
    return redirect(url_for("programs.template", template_id=template_id), code=303)


@bp.post("/templates/<int:template_id>/clone")
def clone_template(template_id):
    """Copy a program to adapt it."""
    _require_post_form()
    clone = services.clone_template(_me(), template_id)
    flash("Copied. Rename it and adjust its levels.", "success")
    return redirect(url_for("programs.template", template_id=clone.id), code=303)


@bp.post("/templates/<int:template_id>/archive")
def archive_template(template_id):
    """Archive a program: it can no longer be assigned; assignments keep their snapshot."""
    _require_post_form()
    services.set_template_archived(_me(), template_id, True)
    return redirect(url_for("programs.templates"), code=303)


@bp.post("/templates/<int:template_id>/restore")
def restore_template(template_id):
    """Bring an archived program back."""
    _require_post_form()
    services.set_template_archived(_me(), template_id, False)
    return redirect(url_for("programs.template", template_id=template_id), code=303)


# Assignments -----------------------------------------------------------------------------


@bp.post("/patients/<int:patient_id>/assign")
def assign(patient_id):
    """Assign a program to a patient: a snapshot, level 1, a program link."""
    patient = visible_patient(_me(), patient_id)
    form = AssignForm()
    form.template_id.choices = [SelectChoice(t.id, t.name)
                                for t in services.templates_of(current_user.clinic_id)]
    if form.validate_on_submit():
        try:
            assignment = services.assign_program(_me(), patient.id, form.template_id.data,
                                                 form.start_date.data)
        except ServiceError as error:
            error.show_on(form)
        else:
            flash("Program assigned. Give the patient their program link.", "success")
            return redirect(url_for("programs.assignment", assignment_id=assignment.id),
                            code=303)
    return render_template("programs/assign.html", patient=patient, form=form), 422


@bp.get("/assignments/<int:assignment_id>")
def assignment(assignment_id):
    """A patient's program: link, level, adherence, sessions, suggestions, strength trend."""
    item = services.get_assignment_or_404(_me(), assignment_id)
    record_read("assignment_view", actor=_me(), obj=item, patient_id=item.patient_id)
    url = services.program_link(item) if item.link_revoked_at is None else None
    qr = None
    if url:
        # segno writes the SVG from our own URL (base64url token): no user text reaches it.
        qr = Markup(segno.make(url, error="m").svg_inline(  # noqa: S704  # nosec B704  # our own URL's SVG
            scale=4, title="QR code of the program link", border=2))
    level_form = LevelChangeForm()
    level_form.level.choices = [SelectChoice(i, f"{i + 1}. {lv['name']}")
                                for i, lv in enumerate(item.snapshot["levels"])]
    summary = services.progress(item)
    return render_template(
        "programs/assignment.html", assignment=item, url=url, qr=qr, progress=summary,
        level_form=level_form, post_form=EmptyForm(), suggestions=trend.suggestions(item),
        readiness=trend.readiness(item, summary), strength=trend.strength_rows(item),
        skip_labels=rules.SKIP_REASON_LABELS)


@bp.post("/assignments/<int:assignment_id>/level")
def change_level(assignment_id):
    """Move the patient to another level (always a clinician's decision)."""
    item = services.get_assignment_or_404(_me(), assignment_id)
    form = LevelChangeForm()
    if form.validate_on_submit():
        try:
            services.change_level(_me(), item.id, form.level.data, form.reason.data)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash("Level changed.", "success")
    else:
        flash("Say why the level changes.", "error")
    return redirect(url_for("programs.assignment", assignment_id=item.id), code=303)


@bp.route("/assignments/<int:assignment_id>/targets/<int:index>", methods=["GET", "POST"])
def target(assignment_id, index):
    """Change one exercise's target (approving a suggestion, or by hand), with a reason."""
    item = services.get_assignment_or_404(_me(), assignment_id)
    level = item.current_level
    if not 0 <= index < len(level["exercises"]):
        abort(404)
    exercise = level["exercises"][index]
    suggestion = trend.suggestion_for(item, index)
    data = {"sets": exercise["sets"], "reps_min": exercise["reps_min"],
            "reps_max": exercise["reps_max"], "load_kg": exercise.get("load_kg") or ""}
    if suggestion is not None and request.method == "GET":
        data.update({k: v for k, v in suggestion.as_form().items() if v is not None})
        data["reason"] = suggestion.reason
    form = TargetForm(data=data)
    if form.validate_on_submit():
        changes = {"sets": form.sets.data, "reps_min": form.reps_min.data,
                   "reps_max": form.reps_max.data}
        try:
            changes["load_kg"] = services.parse_load(form.load_kg.data)
            if form.reps_min.data > form.reps_max.data:
                raise ServiceError("The lower end of the range must not be above the upper end.",
                                   field="reps_min")
            services.change_target(_me(), item.id, index, changes, form.reason.data,
                                   confirm_jump=form.confirm_jump.data)
        except ValueError as error:
            form.load_kg.errors.append(str(error))
        except ServiceError as error:
            error.show_on(form)
        else:
            flash(f"New target for {exercise['name']}.", "success")
            return redirect(url_for("programs.assignment", assignment_id=item.id), code=303)
    status = 422 if (form.errors or form.form_errors) else 200
    return render_template("programs/target.html", assignment=item, exercise=exercise,
                           index=index, form=form, suggestion=suggestion), status


@bp.post("/assignments/<int:assignment_id>/suggestions/<int:index>/decline")
def decline_suggestion(assignment_id, index):
    """Decline a suggestion; it returns only if new sessions call for it again."""
    _require_post_form()
    services.decline_suggestion(_me(), assignment_id, index, request.form.get("kind", ""),
                                request.form.get("reason", ""))
    flash("Suggestion declined.", "success")
    return redirect(url_for("programs.assignment", assignment_id=assignment_id), code=303)


@bp.post("/assignments/<int:assignment_id>/status/<any(paused, active, completed):status>")
def set_status(assignment_id, status):
    """Pause, resume or complete the program."""
    _require_post_form()
    try:
        services.set_status(_me(), assignment_id, status)
    except ServiceError as error:
        flash(error.message, "error")
    return redirect(url_for("programs.assignment", assignment_id=assignment_id), code=303)


@bp.post("/assignments/<int:assignment_id>/link/rotate")
def rotate_link(assignment_id):
    """A new program link; the old one stops working."""
    _require_post_form()
    try:
        services.rotate_link(_me(), assignment_id)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash("New link made; the old one no longer works.", "success")
    return redirect(url_for("programs.assignment", assignment_id=assignment_id), code=303)


@bp.post("/assignments/<int:assignment_id>/link/revoke")
def revoke_link(assignment_id):
    """Stop the program link from working."""
    _require_post_form()
    services.revoke_link(_me(), assignment_id)
    flash("The program link no longer works.", "success")
    return redirect(url_for("programs.assignment", assignment_id=assignment_id), code=303)


@bp.route("/assignments/<int:assignment_id>/sessions/new", methods=["GET", "POST"])
def log_session(assignment_id):
    """Log a supervised session (marked as entered by a clinician)."""
    item = services.get_assignment_or_404(_me(), assignment_id)
    today = services.clinic_today(item.patient_id)
    level = item.current_level
    errors = {}
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        entry, errors = session_entry.parse_session_form(request.form, level, today)
        if entry is not None:
            try:
                services.log_session(item.id, entry, source="clinician", actor=_me())
            except services.AlreadyLogged:
                pass
            except ServiceError as error:
                errors = {error.field or "path": error.message}
            else:
                flash("Session saved.", "success")
                return redirect(url_for("programs.assignment", assignment_id=item.id), code=303)
            if not errors:
                return redirect(url_for("programs.assignment", assignment_id=item.id), code=303)
    values = request.form if request.method == "POST" else None
    return render_template("programs/log_session.html", assignment=item, level=level,
                           errors=errors, values=values, today=today,
                           submission_key=services.new_submission_key(),
                           skip_labels=rules.SKIP_REASON_LABELS,
                           set_field=session_entry.set_field), 422 if errors else 200


@bp.get("/assignments/<int:assignment_id>/strength/<int:exercise_id>.svg")
def strength_chart(assignment_id, exercise_id):
    """The weekly best estimated 1RM (or reps) of one exercise, as an SVG chart."""
    item = services.get_assignment_or_404(_me(), assignment_id)
    svg = trend.strength_chart_svg(item, exercise_id)
    if svg is None:
        abort(404)
    record_read("chart_view", actor=_me(), obj=item, patient_id=item.patient_id,
                exercise_id=exercise_id)
    return Response(svg, mimetype="image/svg+xml")
