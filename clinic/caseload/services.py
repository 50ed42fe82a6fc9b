"""Read models for the dashboard: every figure for a page of patients in a fixed number of
queries, whatever the size of the caseload."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from clinic.alerts.services import open_alert_counts
from clinic.database import utcnow
from clinic.extensions import db
from clinic.measures.change import classify_change
from clinic.measures.instruments import INSTRUMENT_CODES, get_instrument
from clinic.measures.models import Invitation, MeasureSchedule, Response
from clinic.measures.services import in_episode
from clinic.programs.services import rolling_adherence_for


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
        for code in INSTRUMENT_CODES:
            if code not in codes:
                continue
            instrument = get_instrument(code)
            responses = history.get((patient.id, code), [])
            episode = [r for r in responses if in_episode(r, patient)]
            cell = MeasureCell(instrument)
            if responses:
                cell.latest = responses[-1]
            if episode:
                cell.baseline = episode[0]
                if cell.latest.id != cell.baseline.id:
                    cell.change = classify_change(instrument, cell.baseline.total,
                                                  cell.latest.total)
            rows[patient.id].measures.append(cell)
    return [rows[p.id] for p in patients]
