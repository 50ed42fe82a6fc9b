"""The dashboard and the patient overview page."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from clinic.alerts.models import ALERT_LABELS
from clinic.audit.services import record_read
from clinic.auth.services import clinicians_of_clinic
from clinic.caseload import triage
from clinic.caseload.forms import NO_PROGRAM, OnboardingForm
from clinic.caseload.onboarding import onboard_patient
from clinic.caseload.services import dashboard_rows, patient_overview
from clinic.catalogue import services as catalogue
from clinic.database import utcnow
from clinic.errors import ServiceError
from clinic.extensions import db
from clinic.inputs import page_arg
from clinic.measures import outcomes
from clinic.measures import services as measures
from clinic.measures.forms import InstrumentsForm, ScheduleForm
from clinic.measures.instruments import INSTRUMENT_CODES
from clinic.measures.schedule import WEEKDAYS
from clinic.patients import services as patients
from clinic.patients.forms import CareTeamAddForm, EmptyForm
from clinic.patients.models import ACTIVE
from clinic.portal import services as patient_links
from clinic.programs.forms import AssignForm
from clinic.programs.services import new_session_words

bp = Blueprint("caseload", __name__)


def _me():
    return current_user._get_current_object()


@bp.get("/")
def dashboard():
    """My active patients in order of need (risk, review, overdue, the rest), sortable and
    filterable from the query string: latest scores, last answer and session, alerts."""
    me = _me()
    view = triage.parse_view(request.args, may_filter_by_clinician=me.is_admin)
    now = utcnow()
    query = triage.triage_select(patients.caseload(me, status=ACTIVE, care_teams=False),
                                 view, me.clinic, now)
    page = db.paginate(query, page=page_arg(), per_page=current_app.config["PER_PAGE"],
                       error_out=False)
    html = render_template("caseload/dashboard.html", page=page, view=view,
                           rows=dashboard_rows(page.items, now),
                           clinicians=triage.clinicians_of(me.clinic_id) if me.is_admin else [],
                           sort_labels=triage.SORT_LABELS,
                           new_words=new_session_words(me, [p.id for p in page.items]))
    # After rendering: the audit's commit would otherwise expire the rows the page reads.
    record_read("dashboard_view", actor=me, count=len(page.items), page=page.page,
                **view.args())
    return html


@bp.get("/patients/<dbid:patient_id>")
def patient(patient_id):
    """A patient's overview: details, care team, alerts, scores and charts, schedules, links.

    Opening it is audited (``patient_overview`` records the view).
    """
    overview = patient_overview(_me(), patient_id)
    add_form = CareTeamAddForm()
    add_form.user_id.choices = [SelectChoice(u.id, f"{u.name} ({u.role_label})")
                                for u in overview.care_team_candidates]
    assign_form = AssignForm(data={"start_date": overview.today})
    assign_form.template_id.choices = [SelectChoice(t.id, t.name)
                                       for t in overview.program_templates]
    return render_template(
        "caseload/patient.html", overview=overview, patient=overview.patient,
        can_manage=overview.can_manage, add_form=add_form, post_form=EmptyForm(),
        schedule_form=ScheduleForm(data={"starts_on": overview.now.date()}),
        links_form=InstrumentsForm(), assign_form=assign_form,
        instrument_codes=INSTRUMENT_CODES, weekdays=WEEKDAYS, labels=ALERT_LABELS,
        change_words=outcomes.CHANGE_WORDS, recovery_words=outcomes.RECOVERY_WORDS,
        sharing=measures.released_codes(patient_id),
        patient_link=patient_links.current_patient_link(patient_id),
        patient_link_url=patient_links.patient_link_url,
    )


@bp.route("/patients/new", methods=["GET", "POST"])
def add_patient():
    """Add a patient in one form: details, episode start, default schedules, a program.

    Everything is written in one transaction (``onboard_patient``); on any problem the form
    comes back with the message and every answer kept.
    """
    me = _me()
    if not patients.can_create_patients(me):
        abort(403)
    form = OnboardingForm(primary_required=me.is_admin)
    form.primary_clinician.choices = [SelectChoice(0, "Choose a clinician")] + [
        SelectChoice(u.id, f"{u.name} ({u.role_label})")
        for u in clinicians_of_clinic(me.clinic_id)
    ]
    form.template_id.choices = [SelectChoice(NO_PROGRAM, "No program for now")] + [
        SelectChoice(t.id, t.name) for t in catalogue.templates_of(me.clinic_id)]
    if not form.is_submitted():
        form.weekday.data = me.clinic.today().weekday()
    if form.validate_on_submit():
        try:
            patient = onboard_patient(
                me, form.data, primary_clinician_id=form.primary_clinician.data,
                schedule_codes=form.schedules.data or (),
                weekday=(form.weekday.data if form.weekday.data is not None
                         else me.clinic.today().weekday()),
                template_id=form.template_id.data or None)
        except ServiceError as error:
            error.show_on(form)
        else:
            flash(f"{patient.display_name} has been added.", "success")
            return redirect(url_for("caseload.patient", patient_id=patient.id), code=303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("patients/form.html", form=form, patient=None), status
