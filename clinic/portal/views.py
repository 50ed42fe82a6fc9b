"""The questionnaire link ``/q/<token>``: open, answer, done.

The token leaves the address bar at once: ``GET /q/<token>`` checks it, keeps the invitation
id and the token's hash in the signed session (as the program link does; an id alone opens
nothing) and answers 303 to ``/q/``, with ``Referrer-Policy: no-referrer``.
A GET never consumes a link (mail scanners open links first); only a POST with a complete,
valid set of answers completes it.
"""

from functools import cache
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from clinic.alerts.services import alerts_of, notify_alert
from clinic.auth.guards import public
from clinic.auth.models import Clinic
from clinic.catalogue import rules as program_rules
from clinic.database import utcnow
from clinic.errors import NotFound, ServiceError
from clinic.extensions import db, limiter
from clinic.measures import services
from clinic.measures.instruments import get_instrument
from clinic.programs import entry as session_entry
from clinic.programs import services as programs

bp = Blueprint("portal", __name__)

INVITATION_KEY = "portal_invitation"
DONE_KEY = "portal_done"


def _link_limit():
    return current_app.config["RATELIMIT_PATIENT_LINKS"]


@bp.get("/q/<token>")
@limiter.limit(_link_limit)
@public
def open_link(token):
    """Check the token, remember the link in the session, and take the token out of the URL."""
    invitation = services.link_invitation(token)
    if invitation is None:
        abort(404)  # the same page as any unknown address: no hint that tokens exist
    # The link's hash goes with the id: a session naming an invitation id alone finds nothing.
    session[INVITATION_KEY] = [invitation.id, invitation.token_hash]
    session.pop(DONE_KEY, None)
    response = redirect(url_for("portal.questionnaire"), code=303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _parse_value(raw):
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        return raw  # scoring rejects it with a message at the item


def _parse_answers(instruments):
    """Answers per instrument from the form, or None if the form holds fields it should not."""
    expected = {"csrf_token", "invitation"}
    answers, extras = {}, {}
    for instrument in instruments:
        answers[instrument.code] = [
            _parse_value(request.form.get(f"{instrument.code}:{item.number}"))
            for item in instrument.items
        ]
        expected.update(f"{instrument.code}:{item.number}" for item in instrument.items)
        for item in instrument.optional_items:
            name = f"{instrument.code}:{item.number}"
            expected.add(name)
            value = _parse_value(request.form.get(name))
            if value is not None:
                if value not in item.values:
                    return None, None
                extras.setdefault(instrument.code, {})[str(item.number)] = value
    if set(request.form) - expected:
        return None, None
    return answers, extras


def _state_page(state, clinic):
    status = 200 if state == "completed" else 410
    return render_template("portal/link_state.html", state=state, clinic=clinic), status


@bp.route("/q/", methods=["GET", "POST"])
@limiter.limit(_link_limit, methods=["POST"])
@public
def questionnaire():
    """The questionnaire page of the link held in the session."""
    held = session.get(INVITATION_KEY)
    if held is None:
        if session.get(DONE_KEY):  # a second tap after the first one completed the link
            return redirect(url_for("portal.done"), code=303)
        return render_template("portal/no_link.html"), 404
    invitation_id, held_hash = held if isinstance(held, list) and len(held) == 2 else (None, None)
    invitation = services.invitation_for_portal(invitation_id, held_hash)
    if invitation is None:
        session.pop(INVITATION_KEY, None)
        return render_template("portal/no_link.html"), 404
    clinic = db.session.get(Clinic, invitation.patient.clinic_id)
    instruments = [get_instrument(code) for code in invitation.instruments]
    state = invitation.state(utcnow())
    if state != "open":
        return _state_page(state, clinic)
    errors, answers = {}, {}
    if request.method == "POST":
        if request.form.get("invitation") != str(invitation.id):
            return render_template("portal/mismatch.html", clinic=clinic), 409
        answers, extras = _parse_answers(instruments)
        if answers is None:
            abort(400)
        try:
            submitted = services.submit_link_answers(invitation.id, answers, extras)
        except services.InvalidAnswersByInstrument as error:
            errors = error.errors
        except services.AlreadySubmitted:
            return redirect(url_for("portal.done"), code=303)
        except services.LinkUnusable as error:
            return _state_page(error.state, clinic)
        else:
            return _finish(submitted)
    status = 422 if errors else 200
    return render_template("portal/questionnaire.html", invitation=invitation, clinic=clinic,
                           instruments=instruments, errors=errors, answers=answers,
                           form_values=request.form), status


def _finish(submitted):
    """Forget the link, mail the care team about any alert, and say thank you."""
    session[DONE_KEY] = {"clinic_id": submitted.clinic_id, "risk": submitted.risk_flagged}
    session.pop(INVITATION_KEY, None)
    for alert_id in submitted.alert_ids:
        notify_alert(alert_id)
    return redirect(url_for("portal.done"), code=303)


@bp.get("/q/done")
@public
def done():
    """Thank you; after a risk answer, the clinic's crisis text."""
    done_state = session.get(DONE_KEY)
    clinic = db.session.get(Clinic, done_state["clinic_id"]) if done_state else None
    return render_template("portal/done.html", risk=bool(done_state and done_state["risk"]),
                           clinic=clinic)


# The program link /p/<token> ---------------------------------------------------------------

PROGRAM_KEY = "portal_program"


@bp.get("/p/<token>")
@limiter.limit(_link_limit)
@public
def open_program(token):
    """Check the program token, keep it in the session, and take it out of the URL."""
    assignment = programs.assignment_by_token(token)
    if assignment is None:
        abort(404)
    # The link's hash goes with the id: a rotation then cuts off a browser holding the old one.
    session[PROGRAM_KEY] = [assignment.id, assignment.token_hash]
    response = redirect(url_for("portal.program"), code=303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _program_or_page():
    """(assignment, None) while the link works, else (None, the calm page to answer with)."""
    held = session.get(PROGRAM_KEY)
    assignment_id, held_hash = held if isinstance(held, list) and len(held) == 2 else (None, None)
    assignment = db.session.get(programs.Assignment, assignment_id) if assignment_id else None
    if assignment is None:
        return None, (render_template("portal/no_link.html", what="program"), 404)
    clinic = db.session.get(Clinic, assignment.patient.clinic_id)
    state = programs.link_state(assignment)
    if state not in ("revoked", "completed") and assignment.token_hash != held_hash:
        state = "revoked"  # this browser opened a link that has since been replaced
    if state in ("revoked", "completed"):
        return None, (render_template("portal/program_state.html", state=state,
                                      clinic=clinic), 410)
    return assignment, None


@bp.route("/p/", methods=["GET", "POST"])
@limiter.limit(_link_limit, methods=["POST"])
@public
def program():
    """Today's session, the counts so far, and the log form."""
    assignment, page = _program_or_page()
    if page:
        return page
    clinic = db.session.get(Clinic, assignment.patient.clinic_id)
    today = programs.clinic_today(assignment.patient_id)
    level = assignment.current_level
    errors, status, same_day = {}, 200, None
    if request.method == "POST" and assignment.status == "paused":
        status = 409  # the page below says the program is paused; nothing is stored
    elif request.method == "POST":
        entry, errors = session_entry.parse_session_form(request.form, level, today)
        if entry is not None:
            try:
                saved = programs.log_session(assignment.id, entry, source="patient",
                                             replace=request.form.get("replace") == "yes")
            except programs.AlreadyLogged:
                return _saved("1")
            except programs.SameDayEntry as question:
                same_day, status = question.existing, 409  # asked; nothing is stored yet
            except ServiceError as error:
                errors = {error.field or "path": error.message}
            else:
                for alert in alerts_of(session_log=saved):
                    notify_alert(alert.id)
                return _saved(saved.status)
    summary = programs.progress(assignment, today)
    todays = [s for s in summary["sessions"]
              if s.source == "patient" and programs.changeable_today(s, today)]
    return render_template(
        "portal/program.html", **_program_page(assignment, level, clinic, today, summary),
        errors=errors, todays=todays, same_day=same_day,
        values=request.form if request.method == "POST" else None,
        saved=request.args.get("saved"), submission_key=programs.new_submission_key(),
        quick_saved=bool(todays) and todays[-1].as_planned,
        editing=None), 422 if errors else status


# What the patient reads after each outcome: a skip is thanked, never congratulated.
SAVED_MESSAGES = {
    "done": "Saved. Well done for showing up.",
    "partial": "Saved. A shorter session still counts.",
    "skipped": "Thanks for letting us know. Rest when you need to: the next session will be "
               "here when you are ready.",
    "removed": "Your entry is removed: it no longer counts.",
    "1": "Saved.",
}
ENTRY_WORDS = {"done": "done", "partial": "partly done", "low_energy": "the low-energy version",
               "skipped": "skipped"}


def _saved(outcome):
    """After a save: back to the page, which says what happened (a fragment-free address)."""
    return redirect(url_for("portal.program", saved=outcome), code=303)


def _program_page(assignment, level, clinic, today, summary):
    """What every rendering of the program page needs besides its own state."""
    return {"assignment": assignment, "level": level, "clinic": clinic, "today": today,
            "counts": summary["counts"], "skip_labels": program_rules.SKIP_REASON_LABELS,
            "set_field": session_entry.set_field, "saved_messages": SAVED_MESSAGES,
            "entry_words": ENTRY_WORDS}


@bp.route("/p/sessions/<dbid:session_id>", methods=["GET", "POST"])
@limiter.limit(_link_limit, methods=["POST"])
@public
def edit_session(session_id):
    """Correct your own entry, on the day you made it."""
    assignment, page = _program_or_page()
    if page:
        return page
    logged = programs.own_session(assignment.id, session_id)
    if logged is None:
        abort(404)
    clinic = db.session.get(Clinic, assignment.patient.clinic_id)
    today = programs.clinic_today(assignment.patient_id)
    level = assignment.snapshot["levels"][logged.level_position]
    errors = {}
    if request.method == "POST":
        entry, errors = session_entry.parse_session_form(request.form, level, today)
        if entry is not None:
            try:
                programs.correct_own_session(assignment.id, logged.id, entry)
            except ServiceError as error:
                errors = {error.field or "path": error.message}
            else:
                return _saved(logged.status)
    values = request.form if request.method == "POST" else _values_of(logged, level)
    summary = programs.progress(assignment, today)
    return render_template(
        "portal/program.html", **_program_page(assignment, level, clinic, today, summary),
        errors=errors, todays=[], values=values, same_day=None, saved=None,
        submission_key=logged.submission_key, editing=logged), 422 if errors else 200


@bp.post("/p/sessions/<dbid:session_id>/remove")
@limiter.limit(_link_limit)
@public
def remove_session(session_id):
    """Remove your own entry made today: it stops counting and stays in the clinic's history."""
    assignment, page = _program_or_page()
    if page:
        return page
    try:
        programs.withdraw_own_session(assignment.id, session_id)
    except NotFound:
        abort(404)
    except ServiceError:
        clinic = db.session.get(Clinic, assignment.patient.clinic_id)
        return render_template(
            "portal/error.html", clinic=clinic, title="This entry can no longer be removed",
            message="Entries can be changed or removed on the day they were made. If something "
                    "is wrong with an older one, tell your clinician."), 409
    return _saved("removed")


@bp.get("/p/sw.js")
@public
def program_worker():
    """The program page's service worker, served at the scope it controls (``/p/``)."""
    # From memory, as the favicon: a file object would meet the compression hook half-read.
    return Response(_worker_source(current_app.static_folder), mimetype="text/javascript")


@cache
def _worker_source(static_folder):
    return (Path(static_folder) / "js" / "program-worker.js").read_bytes()


def _values_of(logged, level):
    """The stored session as form values, so a correction starts from what was saved."""
    values = {"performed_on": logged.performed_on.isoformat(),
              "path": "skipped" if logged.status == "skipped" else
              "as_prescribed" if logged.as_planned else
              ("low_energy" if logged.low_energy else "sets"),
              "skip_reason": logged.skip_reason or ""}
    for key in ("duration_minutes", "rpe", "mood_before", "mood_after", "pain"):
        value = getattr(logged, key)
        values[key] = "" if value is None else str(value)
    values["pain_where"] = logged.pain_where or ""
    values["note"] = logged.note or ""
    ids = [item["exercise_id"] for item in level["exercises"]]
    for set_log in logged.sets:
        if set_log.exercise_id in ids:
            index = ids.index(set_log.exercise_id)
            prefix = session_entry.set_field(index, set_log.set_number, "")
            values[prefix + "reps"] = "" if set_log.reps is None else str(set_log.reps)
            values[prefix + "load"] = "" if set_log.load_kg is None else str(set_log.load_kg)
            values[prefix + "seconds"] = "" if set_log.seconds is None else str(set_log.seconds)
    return values
