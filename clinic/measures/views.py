"""A clinician's measures pages: schedules, links, paper forms, corrections, charts, alerts."""

from datetime import UTC, datetime, time

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from clinic.audit.services import record_read
from clinic.errors import ServiceError
from clinic.measures import services
from clinic.measures.chart import instrument_chart_svg
from clinic.measures.forms import InstrumentsForm, ResponseMetaForm, ScheduleForm
from clinic.measures.instruments import INSTRUMENT_CODES, get_instrument
from clinic.patients.forms import EmptyForm
from clinic.patients.scope import can_see_item_answers, visible_patient

bp = Blueprint("measures", __name__)


def _me():
    return current_user._get_current_object()


@bp.app_context_processor
def item_answer_rights():
    """``item_answers_allowed`` for every page: False for a clinical trainer, whose pages show
    totals, bands and change but no answers and no paper-form entry or correction."""
    if has_request_context() and current_user.is_authenticated:
        return {"item_answers_allowed": can_see_item_answers(_me())}
    return {"item_answers_allowed": False}


def _back(patient_id, anchor="measures"):
    return redirect(url_for("caseload.patient", patient_id=patient_id, _anchor=anchor), code=303)


def _require_button_post(patient_id):
    """A button's POST needs its CSRF token: 400 without one (404 first if out of scope)."""
    if not EmptyForm().validate_on_submit():
        visible_patient(_me(), patient_id)
        abort(400)


# Schedules and links --------------------------------------------------------------------------


@bp.post("/patients/<dbid:patient_id>/schedules")
def save_schedule(patient_id):
    """Schedule a questionnaire for a patient (or change its schedule)."""
    form = ScheduleForm()
    if form.validate_on_submit():
        try:
            services.save_schedule(_me(), patient_id, services.ScheduleInput(
                form.instrument.data, form.every_weeks.data, form.weekday.data,
                form.starts_on.data, form.ends_on.data), within_window=True)
        except ServiceError as error:
            error.show_on(form)
        else:
            flash(f"{form.instrument.data} is scheduled.", "success")
            return _back(patient_id, "schedules")
    return render_template("measures/schedule_form.html",
                           patient=visible_patient(_me(), patient_id), form=form), 422


@bp.post("/patients/<dbid:patient_id>/schedules/<dbid:schedule_id>/stop")
def stop_schedule(patient_id, schedule_id):
    """Stop sending one questionnaire (another patient's or a missing schedule is a 404)."""
    _require_button_post(patient_id)
    services.stop_schedule(_me(), patient_id, schedule_id)
    flash("The schedule has stopped.", "success")
    return _back(patient_id, "schedules")


@bp.post("/patients/<dbid:patient_id>/shared-scores/<code>")
def release_scores(patient_id, code):
    """Let the patient see their own totals of one questionnaire on their progress page."""
    _require_button_post(patient_id)
    services.set_score_release(_me(), patient_id, code, True)
    flash(f"The patient can now see their {code} scores on their progress page.", "success")
    return _back(patient_id, "sharing")


@bp.post("/patients/<dbid:patient_id>/shared-scores/<code>/withdraw")
def withdraw_scores(patient_id, code):
    """Stop showing the patient their totals of one questionnaire."""
    _require_button_post(patient_id)
    services.set_score_release(_me(), patient_id, code, False)
    flash(f"The patient no longer sees their {code} scores.", "success")
    return _back(patient_id, "sharing")


@bp.post("/patients/<dbid:patient_id>/invitations")
def create_invitation(patient_id):
    """Make a questionnaire link now, to send or to hand over in the room."""
    form = InstrumentsForm()
    if form.validate_on_submit():
        try:
            invitation = services.create_adhoc_invitation(_me(), patient_id,
                                                          form.instruments.data)
        except ServiceError as error:
            error.show_on(form)
        else:
            return redirect(url_for("measures.invitation", patient_id=invitation.patient_id,
                                    invitation_id=invitation.id), code=303)
    return render_template("measures/invitation_form.html",
                           patient=visible_patient(_me(), patient_id), form=form), 422


@bp.get("/patients/<dbid:patient_id>/invitations/<dbid:invitation_id>")
def invitation(patient_id, invitation_id):
    """A link with a copy button and a QR code, for as long as it can be used."""
    item = services.open_invitation(_me(), patient_id, invitation_id)
    url = services.link_url(item)
    state = item.state(services.utcnow())
    qr = None
    if state == "open":
        # segno writes the SVG from our own URL (base64url token): no user text reaches it.
        qr = Markup(segno.make(url, error="m").svg_inline(  # noqa: S704  # nosec B704  # our own URL's SVG
            scale=5, title="QR code of the link", border=2))
    return render_template("measures/invitation.html", patient=item.patient, invitation=item,
                           url=url if state == "open" else None, state=state, qr=qr,
                           post_form=EmptyForm())


@bp.get("/patients/<dbid:patient_id>/invitations/<dbid:invitation_id>/revoke")
def confirm_revoke_invitation(patient_id, invitation_id):
    """Ask before stopping a link: the patient could no longer answer through it."""
    item = services.invitation_of(_me(), patient_id, invitation_id)
    record_read("invitation_confirm_view", actor=_me(), obj=item, patient_id=item.patient_id)
    return render_template(
        "confirm.html", title="Stop this questionnaire link?",
        explanation=[f"The link of {', '.join(item.instruments)} made for "
                     f"{item.patient.display_name} stops working at once: opening it will "
                     "say it can no longer be used.", "This cannot be undone; you can make a "
                     "new link afterwards."],
        action=url_for("measures.revoke_invitation", patient_id=patient_id,
                       invitation_id=invitation_id),
        button="Stop the link", post_form=EmptyForm(),
        cancel=url_for("measures.invitation", patient_id=patient_id,
                       invitation_id=invitation_id))


@bp.post("/patients/<dbid:patient_id>/invitations/<dbid:invitation_id>/revoke")
def revoke_invitation(patient_id, invitation_id):
    """Stop a link from working."""
    _require_button_post(patient_id)
    services.revoke_invitation(_me(), patient_id, invitation_id)
    flash("The link no longer works.", "success")
    return _back(patient_id, "links")


# Responses ----------------------------------------------------------------------------------


def _answers_from_form(instrument):
    def value(name):
        raw = request.form.get(name, "")
        if raw == "":
            return None
        try:
            return int(raw)
        except ValueError:
            return raw

    answers = [value(f"{instrument.code}:{item.number}") for item in instrument.items]
    extras = {}
    for item in instrument.optional_items:
        extra = value(f"{instrument.code}:{item.number}")
        if extra is not None and extra in item.values:
            extras[str(item.number)] = extra
    return answers, extras


def _completed_at(day):
    """A paper form's date as the end of that day is unknown: noon UTC keeps the date stable."""
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


@bp.route("/patients/<dbid:patient_id>/responses/new", methods=["GET", "POST"])
def enter_response(patient_id):
    """Enter a paper form a patient filled in during a session."""
    code = request.values.get("instrument", "")
    if code not in INSTRUMENT_CODES:
        abort(404)
    instrument = get_instrument(code)
    patient = services.answering_patient(_me(), patient_id)  # 404 off the team, 403 a trainer
    form = ResponseMetaForm()
    errors = {}
    if form.validate_on_submit():
        answers, extras = _answers_from_form(instrument)
        try:
            services.record_clinician_response(_me(), patient_id, code, answers,
                                               _completed_at(form.completed_on.data), extras)
        except services.InvalidAnswersByInstrument as error:
            errors = error.errors
        except ServiceError as error:
            form.completed_on.errors.append(error.message)
        else:
            flash(f"{code} saved.", "success")
            return _back(patient_id)
    status = 422 if (errors or form.errors) else 200
    record_read("response_form_view", actor=_me(), obj=patient, patient_id=patient.id,
                instrument=code)
    return render_template("measures/response_form.html", patient=patient, instrument=instrument,
                           form=form, errors=errors, form_values=request.form,
                           correcting=None), status


@bp.get("/patients/<dbid:patient_id>/responses/<dbid:response_id>")
def response(patient_id, response_id):
    """Every answer of one response, with its score."""
    item = services.open_response(_me(), patient_id, response_id)
    return render_template("measures/response.html", patient=item.patient, response=item,
                           instrument=get_instrument(item.instrument_code),
                           superseded_by=services.superseded_by(item))


@bp.route("/patients/<dbid:patient_id>/responses/<dbid:response_id>/correct",
          methods=["GET", "POST"])
def correct_response(patient_id, response_id):
    """Correct a response: a new one supersedes it, and both stay on record.

    The form is drawn, and its answers read, by the original's instrument: the page reads the
    response once for that, and the service checks it again inside its own transaction.
    """
    if request.method == "GET":
        original = services.open_response(_me(), patient_id, response_id, purpose="correct")
    else:
        original = services.response_of(_me(), patient_id, response_id)
    patient = original.patient
    instrument = get_instrument(original.instrument_code)
    # A correction keeps the clinical date of what it corrects: the form starts from that day.
    form = ResponseMetaForm(
        data={"completed_on": original.completed_at.astimezone(patient.clinic.zone).date()})
    errors = {}
    values = request.form
    if request.method == "GET":
        values = {f"{instrument.code}:{n}": str(v) for n, v in enumerate(original.answers, 1)
                  if v is not None}
    elif form.validate_on_submit():
        answers, extras = _answers_from_form(instrument)
        try:
            services.correct_response(_me(), patient.id, original.id, answers,
                                      _completed_at(form.completed_on.data), form.reason.data,
                                      extras)
        except services.InvalidAnswersByInstrument as error:
            errors = error.errors
        except ServiceError as error:
            error.show_on(form)
        else:
            flash(f"{instrument.code} corrected; the original stays on record.", "success")
            return _back(patient.id)
    status = 422 if (errors or form.errors or form.form_errors) else 200
    return render_template("measures/response_form.html", patient=patient, instrument=instrument,
                           form=form, errors=errors, form_values=values,
                           correcting=original), status


@bp.get("/patients/<dbid:patient_id>/charts/<code>.svg")
def chart(patient_id, code):
    """The SVG chart of one instrument's scores, bands shaded."""
    # An image of the patient page (its URL names that page's view) is audited by the page.
    responses = services.chart_responses(_me(), patient_id, code,
                                         page_view=request.args.get("view"))
    svg = instrument_chart_svg(get_instrument(code), responses)
    return Response(svg, mimetype="image/svg+xml")
