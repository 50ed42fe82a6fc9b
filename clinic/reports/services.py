"""Exports of a patient's record: the PDF progress report, CSV and FHIR, each audited.

Every export function checks scope first (clinic/patients/scope.py: another clinic's patient
or one outside the care team is a 404, exactly like a missing id), builds the file from reads
only, then writes one audit event in its own short transaction (who, which patient, which
period, which format, the SHA-256 and size of the file; never a PHI value). It returns an
:class:`Export`: ``(body, filename, mimetype)``. Filenames carry the patient's internal id and
the date, never a name or the clinic's reference.

The JSON API calls these same functions; their signatures are kept stable.
"""

import hashlib
from datetime import date, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app, render_template
from sqlalchemy.orm import selectinload

from clinic import charts, limits
from clinic.audit.services import record
from clinic.catalogue.models import ProgramTemplate
from clinic.database import utcnow, within, write_transaction
from clinic.errors import NotAllowed, ServiceError
from clinic.extensions import db
from clinic.measures import outcomes
from clinic.measures.services import current_episode, current_responses, episode_outcome_of
from clinic.patients.models import ACTIVE, DISCHARGED, CareTeamMember, Patient
from clinic.patients.scope import require_item_access, visible_patient, visible_patients
from clinic.programs import adherence
from clinic.programs.models import Assignment, SessionLog, SetLog
from clinic.programs.services import week_records
from clinic.reports import assemble, fhir, outcome_summary, pdf, tables

PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"
FHIR_JSON = "application/fhir+json"
MAX_SUMMARY = limits.TEXT_MAX["summary"]
MAX_PERIOD = timedelta(days=5 * 366)
SYSTEM_AUTHOR = "LiftClinic batch export"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Export(NamedTuple):
    """A file to hand over: its bytes, a download name free of patient names, its type."""

    body: bytes
    filename: str
    mimetype: str


# Access and audit -------------------------------------------------------------------------


def filename(kind, patient_id, day, extension):
    """A download name with the internal id and date, never a name or the clinic's reference."""
    return f"liftclinic-{kind}-{patient_id}-{day:%Y%m%d}.{extension}"


@write_transaction
def _audit(action, body, *, actor, clinic_id, patient_id, export_format, **detail):
    """One audit event per export: the file's hash and size, never its content."""
    record(action, actor=actor, actor_kind="user" if actor is not None else "system",
           clinic_id=clinic_id, patient_id=patient_id, format=export_format,
           sha256=hashlib.sha256(body).hexdigest(), bytes=len(body), **detail)


# The PDF progress report ------------------------------------------------------------------


def report_period(patient, start=None, end=None, today=None):
    """The period asked for, the default filling what is missing; ServiceError when invalid."""
    tz = patient.clinic.zone
    today = today or patient.clinic.today()
    default = assemble.default_period(patient, today, tz, current_episode(patient))
    if start is None and end is None:
        return default
    end = end or default.end
    start = start or (default.start if default.start <= end else end - timedelta(weeks=12))
    if end > today:
        raise ServiceError("The period cannot end after today.", field="end")
    if start > end:
        raise ServiceError("The start must be on or before the end.", field="start")
    if end - start > MAX_PERIOD:
        raise ServiceError("Choose a period of at most five years.", field="start")
    return assemble.Period(start, end, is_episode=(start, end) == (default.start, default.end)
                           and default.is_episode)


def _check_summary(summary):
    summary = (summary or "").strip()
    if len(summary) > MAX_SUMMARY:
        raise ServiceError(f"Keep the summary to {MAX_SUMMARY} characters.", field="summary")
    return summary


def day_label(day: date) -> str:
    """3 Mar 2026: the report's date format (not %b, which depends on the locale)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _stamp(moment, tz):
    local = moment.astimezone(tz)
    return f"{day_label(local.date())}, {local:%H:%M} {local.tzname()}"


def _num(value):
    """A Decimal or int without trailing zeros: 2, 1.5, 52.5."""
    if value is None:
        return "\N{EN DASH}"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _signed(value):
    return ("+" if value > 0 else "") + _num(value)


def _score(scored):
    text = str(scored["total"])
    if scored.get("prorated"):
        text += " (prorated)"
    if scored["percent"] is not None:
        text += f" ({scored['percent']} %)"
    if scored["band"]:
        text += f", {scored['band']}"
    return text


def report_html(patient, period, *, generated_by, summary="", now=None, include_notes=True):
    """The report's HTML: the same document whichever way it is exported."""
    tz = patient.clinic.zone
    now = now or utcnow()
    today = now.astimezone(tz).date()
    gathered = assemble.gather(patient, period, tz)
    data = assemble.summarise(gathered, period, tz, today=today, generated_at=now,
                              generated_by=generated_by, summary=summary,
                              include_notes=include_notes)
    outcome = episode_outcome_of(patient)
    return render_template("reports/report.html", r=data, outcome=outcome, day=day_label,
                           zone=str(tz), change_words=outcomes.CHANGE_WORDS,
                           recovery_words=outcomes.RECOVERY_WORDS,
                           stamp=lambda moment: _stamp(moment, tz), num=_num, signed=_signed,
                           score=_score, stylesheet_url=pdf.ASSET_ORIGIN + "static/css/report.css")


def _report(patient, period, *, generated_by, summary, include_notes=True):
    now = utcnow()
    body = pdf.render_pdf(report_html(patient, period, generated_by=generated_by,
                                      summary=summary, now=now, include_notes=include_notes))
    return Export(body, filename("report", patient.id, now.astimezone(patient.clinic.zone).date(),
                                 "pdf"), PDF)


def export_report_pdf(actor, patient_id, *, start=None, end=None, summary="",
                      include_notes=True):
    """The PDF progress report of a patient for a period (default: the current episode of care).

    ``start``/``end`` are dates (inclusive, the clinic's calendar); ``summary`` is the
    clinician's optional free text; ``include_notes``: print the patient's session notes and
    pain reports of the period (their own words). Returns an :class:`Export`.

    :raises NotFound: the patient is missing or outside ``actor``'s scope.
    :raises ServiceError: a bad period (``field`` "start" or "end") or summary ("summary").
    """
    patient = visible_patient(actor, patient_id)
    period = report_period(patient, start, end)
    summary = _check_summary(summary)
    export = _report(patient, period, generated_by=actor.name, summary=summary,
                     include_notes=include_notes)
    _audit("report_export", export.body, actor=actor, clinic_id=patient.clinic_id,
           patient_id=patient.id, export_format="pdf", period_start=period.start.isoformat(),
           period_end=period.end.isoformat(), summary_given=bool(summary),
           session_notes=bool(include_notes))
    return export


def export_report_pdf_as_system(patient_id):
    """The default-period report for a batch run by the system (``flask reports export``)."""
    patient = db.session.get(Patient, patient_id)
    period = report_period(patient)
    export = _report(patient, period, generated_by=SYSTEM_AUTHOR, summary="")
    return patient, period, export


def audit_system_export(patient, period, export, requested_by=None):
    """The batch's audit event, written once the file is on disk; ``requested_by`` is the
    clinician whose caseload the batch exported (None for a whole clinic)."""
    write_transaction(add_system_export_event)(patient, period, export.body, requested_by)


def add_system_export_event(patient, period, body, requested_by=None):
    """The batch's audit event, added to the caller's transaction (the one that marks the
    batch item done, so the event and the done mark are written together or not at all)."""
    within(_audit)("report_export", body, actor=None, clinic_id=patient.clinic_id,
                   patient_id=patient.id, export_format="pdf",
                   period_start=period.start.isoformat(), period_end=period.end.isoformat(),
                   summary_given=False, batch=True, requested_by=requested_by)


def warm_up_report(app):
    """Build and render one report of a made-up patient in a transaction that is rolled back:
    the report's SQL statements compiled, its templates rendered and its layout run once, so
    the first real export after boot costs what later ones do. Nothing is stored and no real
    record is read. Without a usable database (not migrated yet) it logs and skips."""
    import uuid

    from clinic.auth.models import Clinic
    from clinic.database import WRITE_OPTION
    from clinic.patients.models import Episode

    with app.app_context():
        try:
            db.session.connection(execution_options={WRITE_OPTION: True})
            clinic = Clinic(name=f"Warm-up {uuid.uuid4()} (never stored)", timezone="UTC")
            patient = Patient(clinic=clinic, display_name="Warm-up", reference="WARM-UP")
            patient.episodes.append(Episode(start=clinic.today()))
            db.session.add(patient)
            db.session.flush()
            html = report_html(patient, report_period(patient), generated_by=SYSTEM_AUTHOR)
            pdf.render_uncounted(html)
        except Exception as error:  # a warm-up must never stop the app from starting
            app.logger.warning("report warm-up skipped: %s", type(error).__name__)
        finally:
            db.session.rollback()
            db.session.remove()
            # A process that forks next must not hand its connections to its children.
            db.engine.dispose()


def active_patient_ids(*, clinician=None, clinic_id=None):
    """Ids of the active patients a batch exports: a clinician's scope, or a whole clinic."""
    query = (visible_patients(clinician) if clinician is not None
             else sa.select(Patient).where(Patient.clinic_id == clinic_id))
    query = query.where(Patient.status == ACTIVE).order_by(Patient.id)
    return [p.id for p in db.session.scalars(query)]


# CSV -----------------------------------------------------------------------------------------


def export_responses_csv(actor, patient_id):
    """Every current questionnaire response of a patient, one row per answered item (not for
    clinical trainers: item-level answers)."""
    patient = visible_patient(actor, patient_id)
    require_item_access(actor, "export questionnaire answers")
    zone = patient.clinic.zone
    body = tables.to_csv(tables.with_zone(tables.RESPONSE_COLUMNS, zone, {"completed_at"}),
                         tables.response_rows(current_responses(patient.id), zone))
    _audit("responses_export", body, actor=actor, clinic_id=patient.clinic_id,
           patient_id=patient.id, export_format="csv")
    return Export(body, filename("responses", patient.id, patient.clinic.today(), "csv"), CSV)


def export_sessions_csv(actor, patient_id):
    """Every logged training session of a patient, one row per set."""
    patient = visible_patient(actor, patient_id)
    assignments = db.session.scalars(sa.select(Assignment).where(
        Assignment.patient_id == patient.id)).all()
    sessions = db.session.scalars(
        sa.select(SessionLog).where(SessionLog.assignment_id.in_([a.id for a in assignments]),
                                    SessionLog.counted())
        .options(selectinload(SessionLog.sets).joinedload(SetLog.exercise))
        .order_by(SessionLog.performed_on, SessionLog.id)
    ).all() if assignments else []
    columns = tables.with_zone(tables.SESSION_COLUMNS, patient.clinic.zone, {"performed_on"})
    body = tables.to_csv(columns, tables.session_rows(
        sessions, {a.id: a.name for a in assignments}))
    _audit("sessions_export", body, actor=actor, clinic_id=patient.clinic_id,
           patient_id=patient.id, export_format="csv")
    return Export(body, filename("sessions", patient.id, patient.clinic.today(), "csv"), CSV)


def export_clinic_csv(actor):
    """The clinic's pseudonymised outcomes for service evaluation (clinic admins only).

    :raises NotAllowed: ``actor`` is not a clinic admin.
    """
    if not actor.is_admin:
        raise NotAllowed("Only a clinic admin can export the clinic's outcomes.")
    patients = db.session.scalars(sa.select(Patient).where(Patient.clinic_id == actor.clinic_id)
                                  .order_by(Patient.id)).all()
    # Each patient's outcome from the one service the page, the PDF and the API use.
    outcome_of = {patient.id: episode_outcome_of(patient) for patient in patients}
    body = tables.to_csv(tables.CLINIC_COLUMNS, tables.clinic_outcome_rows(
        patients, outcome_of, current_app.config["SECRET_KEY"]))
    today = actor.clinic.today()
    _audit("clinic_outcomes_export", body, actor=actor, clinic_id=actor.clinic_id,
           patient_id=None, export_format="csv", patients=len(patients))
    return Export(body, f"liftclinic-outcomes-{today:%Y%m%d}.csv", CSV)


# The clinic outcome summary -------------------------------------------------------------------


def clinic_outcome_episodes(actor):
    """The finished episodes the outcome summary counts, as ``outcome_summary.EpisodeResult``s.

    Finished = the episode a discharge ended (the current episode of a discharged patient: the
    same episodes as the clinic CSV's ``discharged`` rows), with at least two paired occasions;
    each judged by ``episode_outcome_of``, the one source of every outcome surface. Scope: a
    clinic admin every patient of the clinic, anyone else their caseload (care team), as every
    patient list. The program is the latest one started on or before the episode's end;
    adherence is over its complete weeks inside the episode (paused weeks left out).
    """
    patients = db.session.scalars(
        visible_patients(actor).where(Patient.status == DISCHARGED)
        .options(selectinload(Patient.care_team).joinedload(CareTeamMember.user))
        .order_by(Patient.id)).all()
    finished = []
    for patient in patients:
        outcome = episode_outcome_of(patient)
        if outcome.end is not None and outcome.paired.computed:
            finished.append((patient, outcome))
    programs = _episode_programs([(p.id, o.start, o.end) for p, o in finished])
    results = []
    for patient, outcome in finished:
        primary = patient.primary_clinician
        program, percent = programs.get(patient.id, (outcome_summary.NO_PROGRAM_NAME, None))
        results.append(outcome_summary.EpisodeResult(
            case_at_baseline=bool(outcome.paired.case_at_baseline),
            recovered=bool(outcome.paired.recovered),
            reliable_improvement=bool(outcome.paired.reliable_improvement),
            reliable_recovery=bool(outcome.paired.reliable_recovery),
            reliable_deterioration=bool(outcome.paired.reliable_deterioration),
            clinician=primary.name if primary is not None else "No primary clinician",
            program=program, adherence_percent=percent))
    return results


def _episode_programs(episodes):
    """{patient id: (template name, adherence % over the episode)} in three queries."""
    ids = [patient_id for patient_id, _, _ in episodes]
    if not ids:
        return {}
    assignments = {}
    for assignment in db.session.scalars(
            sa.select(Assignment).where(Assignment.patient_id.in_(ids))
            .options(selectinload(Assignment.events))
            .order_by(Assignment.start_date, Assignment.id)):
        assignments.setdefault(assignment.patient_id, []).append(assignment)
    names = dict(db.session.execute(sa.select(ProgramTemplate.id, ProgramTemplate.name).where(
        ProgramTemplate.id.in_({a.template_id for group in assignments.values()
                                for a in group if a.template_id is not None}))).all())
    chosen = {}
    for patient_id, start, end in episodes:
        started = [a for a in assignments.get(patient_id, []) if a.start_date <= end]
        if started:
            chosen[patient_id] = (started[-1], start, end)
    sessions = {}
    if chosen:
        for session in db.session.scalars(
                sa.select(SessionLog).where(SessionLog.assignment_id.in_(
                    [a.id for a, _, _ in chosen.values()]))
                .options(selectinload(SessionLog.sets))
                .order_by(SessionLog.performed_on, SessionLog.id)):
            sessions.setdefault(session.assignment_id, []).append(session)
    result = {}
    for patient_id, (assignment, start, end) in chosen.items():
        first_monday = start - timedelta(days=start.weekday())
        weeks = [w for w in week_records(assignment, sessions.get(assignment.id, []), end,
                                         assignment.patient.clinic.zone)
                 if w.week_start >= first_monday]
        complete = [w for w in weeks if w.week_start + timedelta(days=6) <= end] or weeks
        rolling = (adherence.rolling_adherence(complete, len(complete)) if complete else None)
        name = names.get(assignment.template_id, assignment.name)
        result[patient_id] = (name, adherence.as_percent(rolling))
    return result


NOT_CAUSAL = ("No published anchor relates training dose or "
              "adherence to these rates, so a difference between bands, programs or "
              "clinicians says nothing about what caused it (case mix, chance, who stays in "
              "treatment).")
BREAKDOWNS = (("by_clinician", "By clinician (primary)"),
              ("by_program", "By program template"),
              ("by_adherence", "By adherence band (whole program, complete weeks)"))


def outcome_summary_of(actor):
    """The outcome summary of ``actor``'s scope (the clinic for an admin, else the caseload),
    with a bar chart per section (inline SVG; the tables are its text equivalent). Reads only;
    the caller audits the view or export."""
    results = clinic_outcome_episodes(actor)
    label = "All finished episodes of the clinic" if actor.is_admin else (
        "All finished episodes of your caseload")
    summary = outcome_summary.outcome_summary(results, overall_label=label)
    sections = [("overall", "Overall", (summary.overall,))] + [
        (code, title, getattr(summary, code)) for code, title in BREAKDOWNS]
    charts_of = {code: charts.rate_bars_svg(
        [(group.label, [(name, rate.percent, rate.words) for _, name, rate in group.rates()])
         for group in groups],
        title=f"Outcome rates: {title.lower()}",
        description=("Bars show each rate as a percentage of its episodes; a withheld rate "
                     "(fewer than 5 episodes) has no bar. The table gives every figure."),
        prefix=f"rates-{code}") for code, title, groups in sections if groups}
    return summary, sections, charts_of


def _outcome_summary_html(actor, now):
    summary, sections, charts_of = outcome_summary_of(actor)
    tz = actor.clinic.zone
    return render_template("reports/outcomes_pdf.html", summary=summary, sections=sections,
                           charts=charts_of, not_causal=NOT_CAUSAL,
                           min_episodes=outcome_summary.MIN_EPISODES, actor=actor,
                           clinic_name=actor.clinic.name, generated=_stamp(now, tz),
                           stylesheet_url=pdf.ASSET_ORIGIN + "static/css/report.css")


def export_outcome_summary_pdf(actor):
    """The outcome summary of ``actor``'s scope as a PDF for a service review; audited."""
    now = utcnow()
    body = pdf.render_pdf(_outcome_summary_html(actor, now))
    _audit("outcome_summary_export", body, actor=actor, clinic_id=actor.clinic_id,
           patient_id=None, export_format="pdf", scope="clinic" if actor.is_admin else
           "caseload")
    day = now.astimezone(actor.clinic.zone).date()
    return Export(body, f"liftclinic-outcome-summary-{day:%Y%m%d}.pdf", PDF)


# FHIR -----------------------------------------------------------------------------------------


def export_fhir_bundle(actor, patient_id):
    """A patient's FHIR R4 Bundle (collection): Patient, and per current response a
    QuestionnaireResponse and an Observation of its total.

    Returns an :class:`Export` whose body is the Bundle as UTF-8 JSON bytes
    (``application/fhir+json``); ``json.loads(export.body)`` gives the dict.
    """
    patient = visible_patient(actor, patient_id)
    require_item_access(actor, "export questionnaires as FHIR (item-level answers)")
    now = utcnow()
    responses = current_responses(patient.id)
    body = fhir.bundle_json(fhir.patient_bundle(patient, responses, now))
    _audit("fhir_export", body, actor=actor, clinic_id=patient.clinic_id,
           patient_id=patient.id, export_format="fhir+json")
    return Export(body, filename("fhir", patient.id, now.astimezone(patient.clinic.zone).date(),
                                 "json"), FHIR_JSON)
