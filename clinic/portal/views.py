"""The patient's links: the questionnaire link ``/q/<token>`` and the patient's own link
``/p/<token>`` (their program link, or the link a clinician issued them without a program).

The token leaves the address bar at once: ``GET /q/<token>`` checks it, keeps the invitation
id and the token's hash in the signed session (an id alone opens nothing) and answers 303 to
``/q/``, with ``Referrer-Policy: no-referrer``; ``/p/<token>`` does the same for ``/p/``.
A GET never consumes a link (mail scanners open links first); only a POST with a complete,
valid set of answers completes it. The patient's own link leads to the questionnaire waiting
for them (``POST /p/questionnaire``): the session then holds the invitation as if its link had
been opened, plus the link it came through, which must keep working.

A link that does not work gets a calm page (``clinic.portal.parts.CALM_PAGES``) without the
clinic's name: replaced, revoked and unknown tokens get the same page with the same status.
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

from clinic.auth.guards import public
from clinic.auth.models import Clinic
from clinic.catalogue import rules as program_rules
from clinic.database import utcnow
from clinic.errors import NotFound, ServiceError
from clinic.extensions import db, limiter
from clinic.measures import services
from clinic.measures.instruments import get_instrument
from clinic.portal import parts
from clinic.portal import progress as portal
from clinic.portal import services as patient_links
from clinic.portal.models import PatientLink
from clinic.programs import entry as session_entry
from clinic.programs import services as programs

bp = Blueprint("portal", __name__)

INVITATION_KEY = "portal_invitation"
DONE_KEY = "portal_done"
PROGRAM_KEY = "portal_program"
HOME_KEY = "portal_home"  # a patient link (no program): [link id, token hash]
VIA_KEY = "portal_via"  # the questionnaire came through /p/: [PROGRAM_KEY or HOME_KEY, id, hash]


def _link_limit():
    return current_app.config["RATELIMIT_PATIENT_LINKS"]


def calm_page(state):
    """The page of a link that does not work (or no longer asks anything): no clinic data."""
    page, status = parts.calm_page(state)
    return render_template("portal/link_state.html", state=page, clinic=None), status


def _pair(held):
    return held if isinstance(held, list) and len(held) == 2 else (None, None)


@bp.get("/q/<token>")
@limiter.limit(_link_limit)
@public
def open_link(token):
    """Check the token, remember the link in the session, and take the token out of the URL."""
    invitation = services.link_invitation(token)
    if invitation is None or invitation.state(utcnow()) == "revoked":
        return calm_page("unknown")  # the same page, whether the link was stopped or guessed
    # The link's hash goes with the id: a session naming an invitation id alone finds nothing.
    session[INVITATION_KEY] = [invitation.id, invitation.token_hash]
    session.pop(DONE_KEY, None)
    session.pop(VIA_KEY, None)  # opened from a message: it stands on its own
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


def _parse_answers(instruments, expected=("csrf_token", "invitation")):
    """Answers per instrument from the form, or None if the form holds fields it should not."""
    expected = set(expected)
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


def _via_works():
    """False when the questionnaire came through the patient's own link and it stopped."""
    via = session.get(VIA_KEY)
    if via is None:
        return True
    if not (isinstance(via, list) and len(via) == 3):
        return False
    key, held = via[0], via[1:]
    if key == PROGRAM_KEY:
        return _held_program(held)[0] is not None
    if key == HOME_KEY:
        return _held_home(held)[0] is not None
    return False


def _forget_links():
    for key in (INVITATION_KEY, VIA_KEY, PROGRAM_KEY, HOME_KEY):
        session.pop(key, None)


def _draft_values(instrument, draft):
    """Form values of a part the patient finished before, so going back shows their answers."""
    values = {}
    kept = (draft or {}).get(instrument.code)
    if isinstance(kept, list):
        for item, value in zip(instrument.items, kept, strict=False):
            values[f"{instrument.code}:{item.number}"] = str(value)
        for number, value in ((draft.get("extras") or {}).get(instrument.code) or {}).items():
            values[f"{instrument.code}:{number}"] = str(value)
    return values


def _holds_risk_item(instruments):
    return any(rule.code in services.RISK_ALERTS
               for instrument in instruments for rule in instrument.flag_rules)


@bp.route("/q/", methods=["GET", "POST"])
@limiter.limit(_link_limit, methods=["POST"])
@public
def questionnaire():
    """The questionnaire of the link held in the session, one instrument (part) at a time.

    The answers of a finished part are kept on the invitation (never scored); posting the last
    part sends the whole set, which is scored, stored and judged for alerts at once.
    """
    held = session.get(INVITATION_KEY)
    if held is None:
        if session.get(DONE_KEY):  # a second tap after the first one completed the link
            return redirect(url_for("portal.done"), code=303)
        return render_template("portal/no_link.html"), 404
    invitation = services.invitation_for_portal(*_pair(held))
    if invitation is None:
        session.pop(INVITATION_KEY, None)
        return render_template("portal/no_link.html"), 404
    if not _via_works():  # the patient's own link it came through was replaced or stopped
        _forget_links()
        return calm_page("unknown")
    state = invitation.state(utcnow())
    if state != "open":
        return calm_page(state)
    clinic = db.session.get(Clinic, invitation.patient.clinic_id)
    instruments = [get_instrument(code) for code in invitation.instruments]
    codes = [instrument.code for instrument in instruments]
    index = parts.next_part(codes, invitation.draft_answers)
    asked = request.args.get("part", type=int)
    if asked is not None and 1 <= asked <= index + 1:  # going back to a finished part
        index = asked - 1
    errors, form_values = {}, _draft_values(instruments[index], invitation.draft_answers)
    if request.method == "POST":
        if request.form.get("invitation") != str(invitation.id):
            return render_template("portal/mismatch.html", clinic=clinic), 409
        part_code = request.form.get("part")
        if part_code is None:  # a page of the one-page form, open before this change
            page = _submit_all(invitation, instruments)
            if not isinstance(page, dict):
                return page
            errors, form_values = page, request.form
            index = next(i for i, code in enumerate(codes) if code in errors)
        else:
            if part_code not in codes:
                abort(400)
            index = codes.index(part_code)
            page = _submit_part(invitation, instruments, index)
            if not isinstance(page, dict):
                return page
            errors, form_values = page, request.form
    return render_template(
        "portal/questionnaire.html", invitation=invitation, clinic=clinic,
        instrument=instruments[index], part=index + 1, parts=len(instruments),
        errors=errors.get(codes[index], {}), all_errors=errors, form_values=form_values,
        risk_notice=_holds_risk_item(instruments),
        finished=parts.finished_codes(codes, invitation.draft_answers),
        sends=set(codes) - set(parts.finished_codes(codes, invitation.draft_answers))
        <= {codes[index]},
    ), 422 if errors else 200


def _submit_part(invitation, instruments, index):
    """Keep one part, or send the whole set when it was the last one missing."""
    instrument = instruments[index]
    answers, extras = _parse_answers([instrument], ("csrf_token", "invitation", "part"))
    if answers is None:
        abort(400)
    codes = [i.code for i in instruments]
    merged = parts.with_part(invitation.draft_answers, instrument.code,
                             answers[instrument.code], extras.get(instrument.code))
    if len(parts.finished_codes(codes, merged)) < len(codes):
        try:
            services.save_link_part(invitation.id, instrument.code, answers[instrument.code],
                                    extras.get(instrument.code))
        except services.InvalidAnswersByInstrument as error:
            return error.errors
        except services.AlreadySubmitted:
            return redirect(url_for("portal.done"), code=303)
        except services.LinkUnusable as error:
            return calm_page(error.state)
        return redirect(url_for("portal.questionnaire"), code=303)
    all_answers, all_extras = parts.answers_and_extras(codes, merged)
    return _send(invitation, all_answers, all_extras, codes, index)


def _submit_all(invitation, instruments):
    answers, extras = _parse_answers(instruments)
    if answers is None:
        abort(400)
    return _send(invitation, answers, extras, [i.code for i in instruments], None)


def _send(invitation, answers, extras, codes, index):
    """Send the complete set; errors of the part on screen come back, an earlier part's error
    (a kept part that no longer passes) sends the patient to it."""
    try:
        submitted = services.submit_link_answers(invitation.id, answers, extras)
    except services.InvalidAnswersByInstrument as error:
        if index is not None and codes[index] not in error.errors:
            first = next(i for i, code in enumerate(codes) if code in error.errors)
            return redirect(url_for("portal.questionnaire", part=first + 1), code=303)
        return error.errors
    except services.AlreadySubmitted:
        return redirect(url_for("portal.done"), code=303)
    except services.LinkUnusable as error:
        return calm_page(error.state)
    return _finish(submitted)


def _finish(submitted):
    """Forget the link and say thank you (the care team's alert mails were queued with the
    answers, in their transaction)."""
    session[DONE_KEY] = {"clinic_id": submitted.clinic_id, "risk": submitted.risk_flagged,
                         "home": session.get(VIA_KEY) is not None}
    session.pop(INVITATION_KEY, None)
    session.pop(VIA_KEY, None)
    return redirect(url_for("portal.done"), code=303)


@bp.get("/q/done")
@public
def done():
    """Thank you; after a risk answer, the clinic's crisis text."""
    done_state = session.get(DONE_KEY)
    clinic = db.session.get(Clinic, done_state["clinic_id"]) if done_state else None
    return render_template("portal/done.html", risk=bool(done_state and done_state["risk"]),
                           clinic=clinic, home=bool(done_state and done_state.get("home")))


# The patient's own link /p/<token> ------------------------------------------------------------


@bp.get("/p/<token>")
@limiter.limit(_link_limit)
@public
def open_program(token):
    """Check the token (a program's or a patient link's), keep it in the session, and take it
    out of the URL."""
    assignment = programs.assignment_by_token(token)
    if assignment is not None:
        state = programs.link_state(assignment)
        if state == "revoked":
            return calm_page("unknown")
        if state == "completed":
            return calm_page("finished")
        # The link's hash goes with the id: a rotation then cuts off a browser holding the old.
        session[PROGRAM_KEY] = [assignment.id, assignment.token_hash]
        session.pop(HOME_KEY, None)
    else:
        link = patient_links.patient_link_by_token(token)
        if link is None or link.ended_at is not None:
            return calm_page("unknown")
        session[HOME_KEY] = [link.id, link.token_hash]
        session.pop(PROGRAM_KEY, None)
    # A questionnaire opened before (by mail, or through this link) stays as it was.
    response = redirect(url_for("portal.program"), code=303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _held_program(held):
    """(assignment, None) while the program link held works, else (None, its calm state)."""
    assignment_id, held_hash = _pair(held)
    assignment = (db.session.get(programs.Assignment, assignment_id)
                  if isinstance(assignment_id, int) else None)
    if assignment is None:
        return None, "unknown"
    state = programs.link_state(assignment)
    if state == "completed":
        return None, "finished"
    if state == "revoked" or assignment.token_hash != held_hash:
        return None, "unknown"  # stopped, or replaced since this browser opened it
    return assignment, None


def _held_home(held):
    """(patient link, None) while the patient link held works, else (None, "unknown")."""
    link_id, held_hash = _pair(held)
    link = db.session.get(PatientLink, link_id) if isinstance(link_id, int) else None
    if link is None or link.token_hash != held_hash or link.ended_at is not None:
        return None, "unknown"
    return link, None


def _program_or_page():
    """(assignment, None) while the link works, else (None, the calm page to answer with)."""
    held = session.get(PROGRAM_KEY)
    if held is None:
        return None, (render_template("portal/no_link.html", what="page"), 404)
    assignment, state = _held_program(held)
    if assignment is None:
        return None, calm_page(state)  # the same page every time this browser comes back
    return assignment, None


def _home_page():
    """The page of a patient link: the waiting questionnaire, or nothing to do."""
    link, state = _held_home(session.get(HOME_KEY))
    if link is None:
        moved = _moved_to_program(session.get(HOME_KEY))
        if moved is None:
            return calm_page(state)
        session.pop(HOME_KEY, None)
        # The same link became the program's: this browser follows it.
        session[PROGRAM_KEY] = [moved.id, moved.token_hash]
        return redirect(url_for("portal.program"), code=303)
    clinic = db.session.get(Clinic, link.patient.clinic_id)
    return render_template("portal/home.html", clinic=clinic,
                           waiting=patient_links.waiting_invitation(link.patient_id))


def _moved_to_program(held):
    """The working program that took over the patient link held, or None."""
    link_id, held_hash = _pair(held)
    link = db.session.get(PatientLink, link_id) if isinstance(link_id, int) else None
    if link is None or link.token_hash != held_hash:
        return None
    assignment = patient_links.program_of_handed_over(link)
    if assignment is None or _held_program([assignment.id, held_hash])[0] is None:
        return None
    return assignment


@bp.post("/p/questionnaire")
@limiter.limit(_link_limit)
@public
def start_questionnaire():
    """From the patient's own link to the questionnaire waiting for them (no token in a URL)."""
    if PROGRAM_KEY in session:
        assignment, page = _program_or_page()
        if page:
            return page
        key, patient_id = PROGRAM_KEY, assignment.patient_id
        held = [assignment.id, assignment.token_hash]
    elif HOME_KEY in session:
        link, state = _held_home(session.get(HOME_KEY))
        if link is None:
            return calm_page(state)
        key, patient_id, held = HOME_KEY, link.patient_id, [link.id, link.token_hash]
    else:
        return render_template("portal/no_link.html", what="page"), 404
    waiting = patient_links.waiting_invitation(patient_id)
    if waiting is None:  # done or stopped meanwhile: the page says what there is
        return redirect(url_for("portal.program"), code=303)
    session[INVITATION_KEY] = [waiting.id, waiting.token_hash]
    session[VIA_KEY] = [key, *held]
    session.pop(DONE_KEY, None)
    return redirect(url_for("portal.questionnaire"), code=303)


@bp.route("/p/", methods=["GET", "POST"])
@limiter.limit(_link_limit, methods=["POST"])
@public
def program():
    """Today's session, the counts so far, and the log form (or, for a patient link, the
    waiting questionnaire)."""
    if PROGRAM_KEY not in session and HOME_KEY in session:
        if request.method == "POST":
            abort(405)
        return _home_page()
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
        editing=None, waiting=patient_links.waiting_invitation(assignment.patient_id)), \
        422 if errors else status


@bp.get("/p/progress")
@public
def progress():
    """What I have done: sessions, weeks, steps climbed, records, level, released scores."""
    assignment, page = _program_or_page()
    if page:
        return page
    clinic = db.session.get(Clinic, assignment.patient.clinic_id)
    if not assignment.patient.is_active:  # discharge revokes the link; this holds regardless
        return calm_page("revoked")
    return render_template("portal/progress.html", clinic=clinic,
                           progress=portal.own_progress(assignment),
                           today=programs.clinic_today(assignment.patient_id))


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
        submission_key=logged.submission_key, editing=logged, waiting=None), 422 if errors else 200


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
