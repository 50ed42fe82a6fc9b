"""Read models of the two pages that gather from every area: the dashboard (every figure for
a page of patients in a fixed number of queries, whatever the size of the caseload) and the
patient overview (one patient's details, care team, alerts, scores, schedules, links, program).
"""

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from clinic.alerts.models import Alert
from clinic.alerts.services import alerts_query, open_alert_counts
from clinic.catalogue import services as catalogue
from clinic.database import utcnow
from clinic.extensions import db
from clinic.measures import episodes as timeline
from clinic.measures import services as measures
from clinic.measures.change import classify_change
from clinic.measures.instruments import INSTRUMENT_CODES, get_instrument
from clinic.measures.models import Invitation, MeasureSchedule, Response
from clinic.patients import services as patients
from clinic.patients.scope import can_manage
from clinic.patients.services import current_episode, episodes_by_patient
from clinic.programs import services as programs
from clinic.programs.services import rolling_adherence_for

ALERTS_ON_PATIENT_PAGE = 20


@dataclass
class MeasureCell:
    instrument: object
    latest: object = None
    baseline: object = None
    change: object = None


@dataclass
class PatientRow:
    patient: object
    measures: list = field(default_factory=list)
    open_alerts: int = 0
    adherence_percent: int | None = None
    has_program: bool = False
    open_links: int = 0
    overdue_links: int = 0


def dashboard_rows(patients):
    """One row per patient: scheduled instruments' latest score, change, alerts, due links.

    A fixed number of queries for any number of patients (schedules, current responses, alert
    counts, invitations, programs with their events and sessions), which a test checks by
    counting statements for 5 and for 50 patients.
    """
    ids = [p.id for p in patients]
    rows = {p.id: PatientRow(p) for p in patients}
    if not ids:
        return []
    scheduled = {}
    for patient_id, code in db.session.execute(
        sa.select(MeasureSchedule.patient_id, MeasureSchedule.instrument_code)
        .where(MeasureSchedule.patient_id.in_(ids))
    ):
        scheduled.setdefault(patient_id, set()).add(code)

    newer = aliased(Response)
    history = {}
    for response in db.session.scalars(
        sa.select(Response)
        .where(Response.patient_id.in_(ids), ~sa.exists().where(newer.supersedes_id == Response.id))
        .order_by(Response.patient_id, Response.completed_at, Response.id)
    ):
        history.setdefault((response.patient_id, response.instrument_code), []).append(response)

    episodes = episodes_by_patient(ids)

    for patient_id, count in open_alert_counts(ids).items():
        rows[patient_id].open_alerts = count

    if patients:
        today = patients[0].clinic.today()
        for patient_id, percent in rolling_adherence_for(ids, today).items():
            rows[patient_id].has_program = True
            rows[patient_id].adherence_percent = percent

    now = utcnow()
    for invitation in db.session.scalars(
        sa.select(Invitation).where(Invitation.patient_id.in_(ids),
                                    Invitation.completed_at.is_(None),
                                    Invitation.revoked_at.is_(None))
    ):
        if invitation.state(now) == "open":
            rows[invitation.patient_id].open_links += 1
        elif invitation.kind == "scheduled":
            rows[invitation.patient_id].overdue_links += 1

    for patient in patients:
        codes = scheduled.get(patient.id, set()) | {c for (pid, c) in history if pid == patient.id}
        episode = current_episode(patient, episodes[patient.id])
        for code in INSTRUMENT_CODES:
            if code not in codes:
                continue
            instrument = get_instrument(code)
            responses = history.get((patient.id, code), [])
            in_episode = timeline.histories(responses, episode, patient.clinic.zone).get(code)
            cell = MeasureCell(instrument)
            if in_episode:  # the episode's baseline and latest, by clinical date
                cell.latest, cell.baseline = in_episode[-1], in_episode[0]
            elif responses:
                cell.latest = max(responses, key=timeline.clinical_order)
            if in_episode and cell.latest.id != cell.baseline.id:
                cell.change = classify_change(instrument, cell.baseline.total,
                                              cell.latest.total)
            rows[patient.id].measures.append(cell)
    return [rows[p.id] for p in patients]


@dataclass
class PatientOverview:
    """Everything the patient page shows, read for one clinician in one call."""

    patient: object
    can_manage: bool  # discharge, reactivate and care-team changes
    care_team_candidates: list  # clinicians who could join the care team
    alerts: list  # the latest, open and acknowledged
    summaries: list  # per instrument: history (charts and tables)
    outcome: object  # the current episode's outcome (clinic.measures.outcomes), as everywhere
    episode: object  # the current episode of care (start, end)
    episodes: list  # every episode, earliest first
    schedules: list
    invitations: list  # the latest links
    assignments: list  # every program, newest first
    current_program: object  # the assignment not yet completed, if any
    program_progress: dict | None  # counts and adherence of the current program
    program_templates: list  # what a clinician may assign
    today: date  # the clinic's today
    now: datetime  # UTC, for the links' state

    @property
    def open_alert_count(self):
        return sum(1 for alert in self.alerts if alert.is_open)


def patient_overview(actor, patient_id):
    """The patient page's data, the view of the record audited (``open_patient``).

    :raises NotFound: the patient is missing or outside ``actor``'s scope.
    """
    patient = patients.open_patient(actor, patient_id)
    alerts = db.session.scalars(
        alerts_query(actor, open_only=False, patient_id=patient.id)
        .options(selectinload(Alert.response), selectinload(Alert.invitation),
                 selectinload(Alert.acknowledged_by))
        .limit(ALERTS_ON_PATIENT_PAGE)
    ).all()
    responses = measures.current_responses(patient.id,
                                           load=[selectinload(Response.entered_by)])
    episodes = patients.episodes_of(patient)
    assignments = programs.assignments_of(patient.id)
    current = next((a for a in assignments if a.status != "completed"), None)
    today = programs.clinic_today(patient.id)
    return PatientOverview(
        patient=patient,
        can_manage=can_manage(actor, patient),
        care_team_candidates=patients.candidates_for_care_team(patient),
        alerts=alerts,
        summaries=measures.summaries(patient, responses, episodes),
        outcome=measures.episode_outcome_of(patient),
        episode=current_episode(patient, episodes),
        episodes=episodes,
        schedules=measures.schedules_of(patient.id),
        invitations=measures.invitations_of(patient),
        assignments=assignments,
        current_program=current,
        program_progress=programs.progress(current, today) if current else None,
        program_templates=catalogue.templates_of(patient.clinic_id),
        today=today,
        now=utcnow(),
    )
