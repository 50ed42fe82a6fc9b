"""The questionnaire link ``/q/<token>``: open, answer, done.

The token leaves the address bar at once: ``GET /q/<token>`` checks it, keeps the invitation
id in the signed session and answers 303 to ``/q/``, with ``Referrer-Policy: no-referrer``.
A GET never consumes a link (mail scanners open links first); only a POST with a complete,
valid set of answers completes it.
"""

from flask import (
    Blueprint,
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
from clinic.database import utcnow
from clinic.extensions import db, limiter
from clinic.measures import services
from clinic.measures.instruments import get_instrument
from clinic.measures.jobs import notify_alert

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
    session[INVITATION_KEY] = invitation.id
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
    invitation_id = session.get(INVITATION_KEY)
    if invitation_id is None:
        if session.get(DONE_KEY):  # a second tap after the first one completed the link
            return redirect(url_for("portal.done"), code=303)
        return render_template("portal/no_link.html"), 404
    invitation = services.invitation_for_portal(invitation_id)
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
            services.submit_link_answers(invitation.id, answers, extras)
        except services.InvalidAnswersByInstrument as error:
            errors = error.errors
        except services.AlreadySubmitted:
            return redirect(url_for("portal.done"), code=303)
        except services.LinkUnusable as error:
            return _state_page(error.state, clinic)
        else:
            return _finish(invitation.id)
    status = 422 if errors else 200
    return render_template("portal/questionnaire.html", invitation=invitation, clinic=clinic,
                           instruments=instruments, errors=errors, answers=answers,
                           form_values=request.form), status


def _finish(invitation_id):
    invitation = services.invitation_for_portal(invitation_id)
    alerts = [a for r in invitation.responses for a in services.alerts_of_response(r)]
    risk = any(a.kind in ("risk_item", "risk_item_unanswered") for a in alerts)
    session[DONE_KEY] = {"clinic_id": invitation.patient.clinic_id, "risk": risk}
    session.pop(INVITATION_KEY, None)
    for alert in alerts:
        notify_alert(alert.id)
    return redirect(url_for("portal.done"), code=303)


@bp.get("/q/done")
@public
def done():
    """Thank you; after a risk answer, the clinic's crisis text."""
    done_state = session.get(DONE_KEY)
    clinic = db.session.get(Clinic, done_state["clinic_id"]) if done_state else None
    return render_template("portal/done.html", risk=bool(done_state and done_state["risk"]),
                           clinic=clinic)
