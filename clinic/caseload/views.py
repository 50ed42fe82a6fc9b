"""The dashboard and the patient overview page."""

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user
from wtforms import SelectChoice

from clinic.alerts import services as alerts
from clinic.alerts.models import ALERT_LABELS
from clinic.caseload.services import dashboard_rows
from clinic.catalogue.services import templates_of
from clinic.extensions import db
from clinic.measures import services as measures
from clinic.measures.forms import InstrumentsForm, ScheduleForm
from clinic.measures.instruments import INSTRUMENT_CODES
from clinic.measures.schedule import WEEKDAYS
from clinic.patients import services as patients
from clinic.patients.forms import CareTeamAddForm, EmptyForm
from clinic.patients.models import ACTIVE
from clinic.patients.scope import can_manage
from clinic.programs import services as programs
from clinic.programs.forms import AssignForm

bp = Blueprint("caseload", __name__)


def _me():
    return current_user._get_current_object()


@bp.get("/")
def dashboard():
    """My active patients at a glance: latest scores, change, alerts, due questionnaires."""
    page = db.paginate(patients.caseload(_me(), status=ACTIVE),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("caseload/dashboard.html", page=page,
                           rows=dashboard_rows(page.items))


@bp.get("/patients/<int:patient_id>")
def patient(patient_id):
    """A patient's overview: details, care team, alerts, scores and charts, schedules, links.

    Opening it is audited (``open_patient``).
    """
    record = patients.open_patient(_me(), patient_id)
    add_form = CareTeamAddForm()
    add_form.user_id.choices = [SelectChoice(u.id, f"{u.name} ({u.role_label})")
                                for u in patients.candidates_for_care_team(record)]
    schedule_form = ScheduleForm(data={"starts_on": measures.utcnow().date()})
    assignments = programs.assignments_of(record.id)
    current = next((a for a in assignments if a.status != "completed"), None)
    assign_form = AssignForm(data={"start_date": programs.clinic_today(record.id)})
    assign_form.template_id.choices = [SelectChoice(t.id, t.name)
                                       for t in templates_of(record.clinic_id)]
    return render_template(
        "caseload/patient.html", patient=record, add_form=add_form, post_form=EmptyForm(),
        can_manage=can_manage(_me(), record), summaries=measures.summaries(record),
        alerts=db.session.scalars(alerts.alerts_query(_me(), open_only=False,
                                                      patient_id=record.id).limit(20)).all(),
        schedules=measures.schedules_of(record.id), schedule_form=schedule_form,
        invitations=measures.invitations_of(record), links_form=InstrumentsForm(),
        instrument_codes=INSTRUMENT_CODES, weekdays=WEEKDAYS, now=measures.utcnow(),
        labels=ALERT_LABELS, show_history=request.args.get("history") == "1",
        assignments=assignments, current_program=current,
        program_progress=programs.progress(current) if current else None,
        assign_form=assign_form,
    )
