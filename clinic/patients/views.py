"""Caseload, patient pages and care teams. Every lookup goes through ``patients.scope``."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.audit.services import record_read
from clinic.errors import NotAllowed, ServiceError
from clinic.extensions import db
from clinic.inputs import id_arg, page_arg
from clinic.patients import services
from clinic.patients.forms import (
    EmptyForm,
    EpisodeStartForm,
    NewEpisodeForm,
    PatientForm,
)
from clinic.patients.models import ACTIVE, DISCHARGED
from clinic.patients.scope import can_manage, visible_patient

bp = Blueprint("patients", __name__)

STATUS_FILTERS = {"active": ACTIVE, "discharged": DISCHARGED, "all": "all"}


def _me():
    return current_user._get_current_object()


@bp.get("/patients")
def index():
    """The caseload: patients the clinician may see, searchable and paginated."""
    search = request.args.get("q", "").strip()[:120]
    status = request.args.get("status", "active")
    if status not in STATUS_FILTERS:
        status = "active"
    page = db.paginate(services.caseload(_me(), search=search, status=STATUS_FILTERS[status]),
                       page=page_arg(),
                       per_page=current_app.config["PER_PAGE"], error_out=False, max_per_page=100)
    html = render_template("patients/index.html", page=page, search=search, status=status,
                           can_create=services.can_create_patients(_me()))
    # After rendering: the audit's commit would otherwise expire the rows the page reads.
    record_read("caseload_view", actor=_me(), count=len(page.items), page=page.page,
                status=status, searched=bool(search))
    return html


@bp.route("/patients/<dbid:patient_id>/edit", methods=["GET", "POST"])
def edit(patient_id):
    """Correct a patient's details."""
    form = PatientForm()
    if form.validate_on_submit():
        try:
            services.update_patient(_me(), patient_id, form.data)
        except ServiceError as error:
            error.show_on(form)
        else:
            flash("Saved.", "success")
            return redirect(url_for("caseload.patient", patient_id=patient_id), code=303)
    patient = visible_patient(_me(), patient_id)
    record_read("patient_edit_view", actor=_me(), obj=patient, patient_id=patient.id)
    if request.method == "GET":
        form.process(obj=patient)  # the form starts from what is stored
    status = 422 if form.errors else 200
    return render_template("patients/form.html", form=form, patient=patient), status


def _act(patient_id, action, success_message):
    """Run a care-team or status change from a button and go back to the patient page."""
    if not EmptyForm().validate_on_submit():
        visible_patient(_me(), patient_id)  # out of scope: 404 before the 400
        abort(400)
    try:
        action()
    except NotAllowed:
        abort(403)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(success_message, "success")
    return redirect(url_for("caseload.patient", patient_id=patient_id), code=303)


@bp.get("/patients/<dbid:patient_id>/discharge")
def confirm_discharge(patient_id):
    """Ask before discharging: it stops every link of the patient at once."""
    patient = visible_patient(_me(), patient_id)
    if not can_manage(_me(), patient):
        abort(403)
    back = url_for("caseload.patient", patient_id=patient.id)
    if not patient.is_active:
        return redirect(back, code=303)
    record_read("discharge_confirm_view", actor=_me(), obj=patient, patient_id=patient.id)
    return render_template(
        "confirm.html", title=f"Discharge {patient.display_name}?",
        explanation=["Their questionnaire links and their program link stop working at once, "
                     "and no more scheduled questionnaires are sent.",
                     "The record stays as it is, and you can reactivate them later."],
        action=url_for("patients.discharge", patient_id=patient.id),
        button="Discharge", cancel=back, post_form=EmptyForm())


@bp.post("/patients/<dbid:patient_id>/discharge")
def discharge(patient_id):
    """Discharge a patient (primary clinician or admin)."""
    return _act(patient_id, lambda: services.set_discharged(_me(), patient_id, True),
                "The patient has been discharged.")


@bp.post("/patients/<dbid:patient_id>/reactivate")
def reactivate(patient_id):
    """Bring a discharged patient back into active care."""
    return _act(patient_id, lambda: services.set_discharged(_me(), patient_id, False),
                "The patient is active again.")


@bp.post("/patients/<dbid:patient_id>/link")
def issue_link(patient_id):
    """The patient's own link (no program): made, or made anew with the old one stopped."""
    from clinic.portal.services import issue_patient_link  # portal imports patients' scope

    return _act(patient_id, lambda: issue_patient_link(_me(), patient_id),
                "The patient's link is ready; any earlier one no longer works.")


@bp.post("/patients/<dbid:patient_id>/link/revoke")
def revoke_link(patient_id):
    """Stop the patient's own link."""
    from clinic.portal.services import revoke_patient_link

    return _act(patient_id, lambda: revoke_patient_link(_me(), patient_id),
                "The patient's link no longer works.")


@bp.post("/patients/<dbid:patient_id>/care-team")
def add_member(patient_id):
    """Add a clinician to the care team."""
    user_id = id_arg("user_id", request.form)
    return _act(patient_id, lambda: services.add_to_care_team(_me(), patient_id, user_id),
                "Added to the care team.")


@bp.post("/patients/<dbid:patient_id>/care-team/<dbid:member_id>/remove")
def remove_member(patient_id, member_id):
    """Take a clinician off the care team."""
    return _act(patient_id,
                lambda: services.remove_from_care_team(_me(), patient_id, member_id),
                "Removed from the care team.")


@bp.post("/patients/<dbid:patient_id>/care-team/<dbid:member_id>/primary")
def make_primary(patient_id, member_id):
    """Make a care-team member the primary clinician."""
    return _act(patient_id, lambda: services.make_primary(_me(), patient_id, member_id),
                "The primary clinician has changed.")


def _episode_page(patient_id, start_form, new_form):
    """The episode page, with either form's messages and answers kept."""
    patient = visible_patient(_me(), patient_id)
    record_read("episode_view", actor=_me(), obj=patient, patient_id=patient.id)
    episodes = services.episodes_of(patient)
    status = 422 if (start_form.errors or start_form.form_errors or new_form.errors
                     or new_form.form_errors) else 200
    return render_template("patients/episode.html", patient=patient, episodes=episodes,
                           episode=services.current_episode(patient, episodes),
                           start_form=start_form, new_form=new_form,
                           can_manage=can_manage(_me(), patient),
                           today=patient.clinic.today()), status


def _fresh_forms(patient_id):
    patient = visible_patient(_me(), patient_id)
    episode = services.current_episode(patient)
    start_form = EpisodeStartForm(formdata=None,
                                  data={"episode_start": episode.start if episode else None})
    return start_form, NewEpisodeForm(formdata=None,
                                      data={"start": patient.clinic.today()})


@bp.get("/patients/<dbid:patient_id>/episode")
def episode(patient_id):
    """The patient's episodes of care: when the current one began, and starting a new one."""
    return _episode_page(patient_id, *_fresh_forms(patient_id))


def _managed(patient_id):
    """404 off the care team, 403 for who may see but not manage (before any form check)."""
    if not can_manage(_me(), visible_patient(_me(), patient_id)):
        abort(403)


@bp.post("/patients/<dbid:patient_id>/episode/start")
def episode_start(patient_id):
    """Move the current episode's start (to the referral date)."""
    _managed(patient_id)
    form = EpisodeStartForm()
    if form.validate_on_submit():
        try:
            services.set_episode_start(_me(), patient_id, form.episode_start.data)
        except NotAllowed:
            abort(403)
        except ServiceError as error:
            error.show_on(form)
        else:
            flash("The episode's start date is saved.", "success")
            return redirect(url_for("caseload.patient", patient_id=patient_id), code=303)
    return _episode_page(patient_id, form, _fresh_forms(patient_id)[1])


@bp.post("/patients/<dbid:patient_id>/episodes")
def new_episode(patient_id):
    """End the current episode of care and start a new one, with the reason."""
    _managed(patient_id)
    form = NewEpisodeForm()
    if form.validate_on_submit():
        try:
            services.start_episode(_me(), patient_id, form.start.data, form.reason.data)
        except NotAllowed:
            abort(403)
        except ServiceError as error:
            error.show_on(form)
        else:
            flash("A new episode of care has started.", "success")
            return redirect(url_for("caseload.patient", patient_id=patient_id), code=303)
    return _episode_page(patient_id, _fresh_forms(patient_id)[0], form)
