"""A clinician's pages of a patient's program: assigning, the program page, targets, levels,
status and link, supervised session logs. The catalogue's pages are in ``clinic.catalogue``."""

import segno
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from wtforms import SelectChoice

from clinic.audit.services import covered_by_page_view, record_read
from clinic.catalogue import rules
from clinic.catalogue.services import templates_of
from clinic.catalogue.starters import level_title
from clinic.database import utcnow
from clinic.errors import ServiceError
from clinic.patients.forms import EmptyForm
from clinic.patients.scope import visible_patient
from clinic.programs import entry as session_entry
from clinic.programs import progress_review, services
from clinic.programs.forms import AssignForm, LevelChangeForm, TargetForm

bp = Blueprint("programs", __name__, url_prefix="/programs")


def _me():
    return current_user._get_current_object()


def _require_post_form():
    if not EmptyForm().validate_on_submit():
        abort(400)


# Assignments -----------------------------------------------------------------------------


@bp.post("/patients/<dbid:patient_id>/assign")
def assign(patient_id):
    """Assign a program to a patient: a snapshot, level 1, a program link."""
    form = AssignForm()
    form.template_id.choices = [SelectChoice(t.id, t.name)
                                for t in templates_of(current_user.clinic_id)]
    if form.validate_on_submit():
        try:
            assignment = services.assign_program(_me(), patient_id, form.template_id.data,
                                                 form.start_date.data,
                                                 confirm_start=form.confirm_start.data)
        except ServiceError as error:
            error.show_on(form)
        else:
            flash("Program assigned. Give the patient their program link.", "success")
            return redirect(url_for("programs.assignment", assignment_id=assignment.id),
                            code=303)
    patient = visible_patient(_me(), patient_id)
    return render_template("programs/assign.html", patient=patient, form=form), 422


@bp.get("/assignments/<dbid:assignment_id>")
def assignment(assignment_id):
    """A patient's program: link, level, adherence, sessions, suggestions, strength trend."""
    item = services.visible_assignment(_me(), assignment_id)
    record_read("assignment_view", actor=_me(), obj=item, patient_id=item.patient_id)
    looked_at = utcnow()
    seen_before = services.sessions_seen_at(_me(), item.patient_id)
    page = _assignment_page(item, seen_before=seen_before, flag_new=True)
    # After rendering (the commit would expire what the page reads): the sessions shown are seen.
    services.mark_sessions_seen(_me(), item.patient_id, looked_at)
    return page


def _assignment_page(item, status=200, *, equipment=None, hold_note=None, errors=None,
                     seen_before=None, flag_new=False):
    url = services.program_link(item) if item.link_revoked_at is None else None
    qr = None
    if url:
        # segno writes the SVG from our own URL (base64url token): no user text reaches it.
        qr = Markup(segno.make(url, error="m").svg_inline(  # noqa: S704  # nosec B704  # our own URL's SVG
            scale=4, title="QR code of the program link", border=2))
    level_form = LevelChangeForm()
    level_form.level.choices = [SelectChoice(i, f"Level {i + 1}: {level_title(lv['name'])}")
                                for i, lv in enumerate(item.snapshot["levels"])]
    summary = services.progress(item)
    loads = services.equipment_of(item) or ()
    return render_template(
        "programs/assignment.html", assignment=item, url=url, qr=qr, progress=summary,
        level_form=level_form, post_form=EmptyForm(),
        hold=progress_review.hold_reason(item), hold_note=hold_note or "",
        equipment=equipment if equipment is not None else {
            "equipment": ", ".join(f"{load.normalize():f}" for load in loads), "reason": ""},
        errors=errors or {},
        suggestions=progress_review.suggestions(item),
        readiness=progress_review.readiness(item, summary),
        strength=progress_review.strength_rows(item), skip_labels=rules.SKIP_REASON_LABELS,
        seen_before=seen_before, flag_new=flag_new,
    ), status


@bp.post("/assignments/<dbid:assignment_id>/level")
def change_level(assignment_id):
    """Move the patient to another level (always a clinician's decision)."""
    form = LevelChangeForm()
    if form.validate_on_submit():
        try:
            services.change_level(_me(), assignment_id, form.level.data, form.reason.data)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash("Level changed.", "success")
    else:
        services.visible_assignment(_me(), assignment_id)  # out of scope: 404, not a message
        flash("Say why the level changes.", "error")
    return redirect(url_for("programs.assignment", assignment_id=assignment_id), code=303)


@bp.route("/assignments/<dbid:assignment_id>/targets/<int(max=99):index>", methods=["GET", "POST"])
def target(assignment_id, index):
    """Change one exercise's target (approving a suggestion, or by hand), with a reason."""
    form = TargetForm()
    if form.validate_on_submit():
        changes = {"sets": form.sets.data, "reps_min": form.reps_min.data,
                   "reps_max": form.reps_max.data}
        try:
            changes["load_kg"] = services.parse_load(form.load_kg.data)
            changed = services.change_target(_me(), assignment_id, index, changes,
                                             form.reason.data,
                                             confirm_jump=form.confirm_jump.data)
        except ValueError as error:
            form.load_kg.errors.append(str(error))
        except ServiceError as error:
            error.show_on(form)
        else:
            name = services.current_exercise(changed, index)["name"]
            flash(f"New target for {name}.", "success")
            return redirect(url_for("programs.assignment", assignment_id=assignment_id),
                            code=303)
    item = services.visible_assignment(_me(), assignment_id)
    exercise = services.current_exercise(item, index)
    suggestion = progress_review.suggestion_for(item, index)
    if not form.is_submitted():
        data = {"sets": exercise["sets"], "reps_min": exercise["reps_min"],
                "reps_max": exercise["reps_max"], "load_kg": exercise.get("load_kg") or ""}
        if suggestion is not None:
            data.update({k: v for k, v in suggestion.as_form().items() if v is not None})
            data["reason"] = suggestion.reason
        form = TargetForm(data=data)
    status = 422 if (form.errors or form.form_errors) else 200
    record_read("target_view", actor=_me(), obj=item, patient_id=item.patient_id, index=index)
    return render_template("programs/target.html", assignment=item, exercise=exercise,
                           index=index, form=form, suggestion=suggestion), status


@bp.post("/assignments/<dbid:assignment_id>/suggestions/<int(max=99):index>/decline")
def decline_suggestion(assignment_id, index):
    """Decline a suggestion; it returns only if new sessions call for it again."""
    _require_post_form()
    try:
        services.decline_suggestion(_me(), assignment_id, index, request.form.get("kind", ""),
                                    request.form.get("reason", ""))
    except ServiceError as error:  # the page again, with the message, nothing saved
        flash(error.message, "error")
        return _assignment_page(services.visible_assignment(_me(), assignment_id), 422)
    flash("Suggestion declined.", "success")
    return redirect(url_for("programs.assignment", assignment_id=assignment_id), code=303)


@bp.post("/assignments/<dbid:assignment_id>/equipment")
def equipment(assignment_id):
    """Record the loads the patient can make with their own equipment (sets the next step)."""
    _require_post_form()
    values = {"equipment": request.form.get("equipment", ""),
              "reason": request.form.get("reason", "")}
    try:
        services.set_equipment(_me(), assignment_id, values["equipment"], values["reason"])
    except ServiceError as error:  # the page again, with the message and what was typed
        return _assignment_page(services.visible_assignment(_me(), assignment_id), 422,
                                equipment=values, errors={error.field or "equipment":
                                                          error.message})
    flash("Equipment saved: load suggestions go to the next load the patient can make.",
          "success")
    return redirect(url_for("programs.assignment", assignment_id=assignment_id), code=303)


@bp.post("/assignments/<dbid:assignment_id>/hold/review")
def review_hold(assignment_id):
    """Record a clinician's review of the pain that holds progression (lifts that hold)."""
    _require_post_form()
    note = request.form.get("note", "")
    try:
        services.review_hold(_me(), assignment_id, note)
    except ServiceError as error:
        return _assignment_page(services.visible_assignment(_me(), assignment_id), 422,
                                hold_note=note, errors={"note": error.message})
    flash("Review saved: suggestions follow the logs again.", "success")
    return redirect(url_for("programs.assignment", assignment_id=assignment_id), code=303)


@bp.post("/assignments/<dbid:assignment_id>/status/<any(paused, active, completed):status>")
def set_status(assignment_id, status):
    """Pause, resume or complete the program."""
    _require_post_form()
    try:
        services.set_status(_me(), assignment_id, status)
    except ServiceError as error:
        flash(error.message, "error")
    return redirect(url_for("programs.assignment", assignment_id=assignment_id), code=303)


def _confirm_link_change(assignment_id, kind):
    """The step before a program link is replaced or stopped (``kind``: rotate or revoke)."""
    item = services.visible_assignment(_me(), assignment_id)
    record_read("program_link_confirm_view", actor=_me(), obj=item, patient_id=item.patient_id)
    name = item.patient.display_name
    if kind == "rotate":
        title, button = "Make a new program link?", "Make a new link"
        explanation = [f"{name}'s current program link stops working at once; they will need "
                       "the new one (send it or show its QR code).",
                       "Sessions already logged are kept."]
    else:
        title, button = "Stop the program link?", "Stop the link"
        explanation = [f"{name} can no longer open their program or log sessions through the "
                       "link.", "You can make a new link later from the program page."]
    return render_template(
        "confirm.html", title=title, explanation=explanation, button=button,
        action=url_for(f"programs.{kind}_link", assignment_id=item.id),
        cancel=url_for("programs.assignment", assignment_id=item.id), post_form=EmptyForm())


@bp.get("/assignments/<dbid:assignment_id>/link/rotate")
def confirm_rotate_link(assignment_id):
    """Ask before replacing the program link (the old one stops working)."""
    return _confirm_link_change(assignment_id, "rotate")


@bp.get("/assignments/<dbid:assignment_id>/link/revoke")
def confirm_revoke_link(assignment_id):
    """Ask before stopping the program link."""
    return _confirm_link_change(assignment_id, "revoke")


@bp.post("/assignments/<dbid:assignment_id>/link/rotate")
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


@bp.post("/assignments/<dbid:assignment_id>/link/revoke")
def revoke_link(assignment_id):
    """Stop the program link from working."""
    _require_post_form()
    services.revoke_link(_me(), assignment_id)
    flash("The program link no longer works.", "success")
    return redirect(url_for("programs.assignment", assignment_id=assignment_id), code=303)


@bp.route("/assignments/<dbid:assignment_id>/sessions/new", methods=["GET", "POST"])
def log_session(assignment_id):
    """Log a supervised session (marked as entered by a clinician)."""
    item = services.visible_assignment(_me(), assignment_id)
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
    record_read("session_form_view", actor=_me(), obj=item, patient_id=item.patient_id)
    return render_template("programs/log_session.html", assignment=item, level=level,
                           errors=errors, values=values, today=today,
                           submission_key=services.new_submission_key(),
                           skip_labels=rules.SKIP_REASON_LABELS,
                           set_field=session_entry.set_field), 422 if errors else 200


@bp.get("/assignments/<dbid:assignment_id>/strength/<dbid:exercise_id>.svg")
def strength_chart(assignment_id, exercise_id):
    """The weekly best estimated 1RM (or reps) of one exercise, as an SVG chart."""
    item = services.visible_assignment(_me(), assignment_id)
    svg = progress_review.strength_chart_svg(item, exercise_id)
    if svg is None:
        abort(404)
    # An image of the assignment page (its URL names that page's view) is audited by the page.
    if not covered_by_page_view(_me(), item.patient_id, request.args.get("view")):
        record_read("chart_view", actor=_me(), obj=item, patient_id=item.patient_id,
                    exercise_id=exercise_id)
    return Response(svg, mimetype="image/svg+xml")
