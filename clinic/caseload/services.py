"""Read models of the two pages that gather from every area: the dashboard (every figure for
a page of patients in a fixed number of queries, whatever the size of the caseload) and the
patient overview (one patient's details, care team, alerts, scores, schedules, links, program).
"""

import functools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from clinic.alerts.models import Alert
from clinic.alerts.services import alerts_query, open_alert_counts, open_not_on_track
from clinic.caseload.triage import TriageFigures, triage_figures
from clinic.catalogue import services as catalogue
from clinic.database import UTCDateTime, utcnow
from clinic.extensions import db
from clinic.measures import services as measures
from clinic.measures.change import classify_change
from clinic.measures.instruments import INSTRUMENT_CODES, get_instrument
from clinic.measures.models import Invitation, MeasureSchedule, Response
from clinic.patients import services as patients
from clinic.patients.scope import can_manage
from clinic.patients.services import current_episode, episodes_by_patient
from clinic.programs import services as programs
from clinic.programs.services import rolling_adherence_for
from clinic.timefmt import days_ago, relative_day

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
    triage: TriageFigures = field(default_factory=TriageFigures)
    last_answer_text: str = ""  # "3 days ago" on the clinic's calendar
    last_session_text: str = ""
    not_on_track: object = None  # the open not-on-track review prompt, if any


def dashboard_rows(patients, now=None):
    """One row per patient: scheduled instruments' latest score, change, alerts, due links.

    A fixed number of queries for any number of patients (schedules, current responses, alert
    counts, invitations, programs with their events and sessions, the triage figures), which
    tests check by counting statements for 5, 50 and 500 patients. ``now``: the moment the
    page's order was chosen at (its triage figures are then built once).
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

    episodes = episodes_by_patient(ids)
    current = {p.id: current_episode(p, episodes[p.id]) for p in patients}
    ends = episode_ends(patients, current)

    for patient_id, count in open_alert_counts(ids).items():
        rows[patient_id].open_alerts = count
    for alert in open_not_on_track(ids):  # latest first: the latest window's prompt shows
        rows[alert.patient_id].not_on_track = rows[alert.patient_id].not_on_track or alert

    if patients:
        today = patients[0].clinic.today()
        for patient_id, percent in rolling_adherence_for(ids, today).items():
            rows[patient_id].has_program = True
            rows[patient_id].adherence_percent = percent

    now = now or utcnow()
    clinic = patients[0].clinic
    today = clinic.today()
    for patient_id, figures in triage_figures(ids, now).items():
        row = rows[patient_id]
        row.triage = figures
        if figures.last_answer is not None:
            row.last_answer_text = relative_day(figures.last_answer, clinic.zone, today)
        if figures.last_session is not None:
            row.last_session_text = days_ago(figures.last_session, today)
    # Links neither used nor revoked, counted in SQL (``Invitation.state``: open until expiry).
    still_open = Invitation.expires_at > now
    for patient_id, open_links, overdue_links in db.session.execute(
        sa.select(Invitation.patient_id,
                  sa.func.count(sa.case((still_open, 1))),
                  sa.func.count(sa.case((sa.and_(~still_open, Invitation.kind == "scheduled"),
                                         1))))
        .where(Invitation.patient_id.in_(ids), Invitation.completed_at.is_(None),
               Invitation.revoked_at.is_(None))
        .group_by(Invitation.patient_id)
    ):
        rows[patient_id].open_links = open_links
        rows[patient_id].overdue_links = overdue_links

    for patient in patients:
        codes = scheduled.get(patient.id, set()) | {c for (pid, c) in ends if pid == patient.id}
        for code in INSTRUMENT_CODES:
            if code not in codes:
                continue
            instrument = get_instrument(code)
            found = ends.get((patient.id, code), {})
            cell = MeasureCell(instrument)
            if "baseline" in found:  # the episode's baseline and latest, by clinical date
                cell.baseline, cell.latest = found["baseline"], found["latest"]
            elif found:
                cell.latest = found["latest"]
            if cell.baseline is not None and cell.latest.id != cell.baseline.id:
                cell.change = classify_change(instrument, cell.baseline.total,
                                              cell.latest.total)
            rows[patient.id].measures.append(cell)
    return [rows[p.id] for p in patients]


def _utc_midnight(day, zone):
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


# The window query's episode bounds come in slots of this many patients (spare slots match
# nothing), so a page's statement has one of a few shapes, built and compiled once each.
EPISODE_SLOTS = 10
# The end of an open episode: later than any answer.
OPEN_EPISODE_END = datetime(9000, 1, 1, tzinfo=UTC)


@functools.lru_cache(maxsize=16)
def _episode_ends_statement(slots):
    """The statement of :func:`episode_ends` for ``slots`` episodes, all bound parameters:
    ``ids`` (the page's patients) and ``p<n>``, ``s<n>``, ``e<n>`` (a patient, the UTC start
    and end of their current episode). Built once: constructing it cost more than running it."""
    in_episode = sa.case(*(
        (sa.and_(Response.patient_id == sa.bindparam(f"p{n}", type_=sa.Integer),
                 Response.completed_at >= sa.bindparam(f"s{n}", type_=UTCDateTime()),
                 Response.completed_at < sa.bindparam(f"e{n}", type_=UTCDateTime())), 1)
        for n in range(slots)), else_=0)
    newer = aliased(Response)
    partition = (Response.patient_id, Response.instrument_code, in_episode)
    ranked = (
        sa.select(
            Response.id, Response.patient_id, Response.instrument_code, Response.total,
            Response.band, Response.prorated, in_episode.label("in_episode"),
            sa.func.row_number().over(
                partition_by=partition,
                order_by=(Response.completed_at, Response.total, Response.id)).label("first"),
            sa.func.row_number().over(
                partition_by=partition,
                order_by=(Response.completed_at.desc(), Response.total.desc(),
                          Response.id.desc())).label("last"))
        .where(Response.patient_id.in_(sa.bindparam("ids", expanding=True)),
               ~sa.exists().where(newer.supersedes_id == Response.id))
        .subquery())
    return sa.select(ranked).where(sa.or_(ranked.c.first == 1, ranked.c.last == 1))


def episode_ends(patients, episodes):
    """{(patient id, code): {"baseline", "latest"}} chosen in SQL, in one statement.

    The dashboard shows per instrument the episode's baseline and latest (by clinical date,
    ``clinic.measures.episodes.clinical_order``) or, with nothing in the episode, the latest
    response of all: window functions rank each patient's current responses per instrument,
    in and out of the current episode, and only the first and last of each rank come back
    (at most four rows per instrument whatever the length of the history). The episodes'
    bounds are bound parameters of a statement built once per shape
    (:func:`_episode_ends_statement`; a VALUES list compiled anew on every view); the rows
    carry only the columns the page shows (no answers, no ORM objects).
    """
    params = {"ids": [p.id for p in patients]}
    bounds = []
    for patient in patients:
        episode = episodes.get(patient.id)
        if episode is None:
            continue
        zone = patient.clinic.zone
        end = (OPEN_EPISODE_END if episode.end is None
               else _utc_midnight(episode.end + timedelta(days=1), zone))
        bounds.append((patient.id, _utc_midnight(episode.start, zone), end))
    slots = max(1, -(-len(bounds) // EPISODE_SLOTS) * EPISODE_SLOTS)
    for n in range(slots):  # the spare slots match no response
        patient_id, starts, ends = bounds[n] if n < len(bounds) else (
            -1, OPEN_EPISODE_END, OPEN_EPISODE_END)
        params.update({f"p{n}": patient_id, f"s{n}": starts, f"e{n}": ends})
    chosen = db.session.execute(_episode_ends_statement(slots), params)
    found, latest_outside = {}, {}
    for response in chosen:
        key = (response.patient_id, response.instrument_code)
        if response.in_episode:
            ends = found.setdefault(key, {})
            if response.first == 1:
                ends["baseline"] = response
            if response.last == 1:
                ends["latest"] = response
        elif response.last == 1:
            latest_outside[key] = response
    for key, response in latest_outside.items():
        found.setdefault(key, {"latest": response})  # nothing in the episode: the latest of all
    return found


@dataclass
class PatientOverview:
    """Everything the patient page shows, read for one clinician in one call."""

    patient: object
    can_manage: bool  # discharge, reactivate and care-team changes
    care_team_candidates: list  # clinicians who could join the care team
    alerts: list  # the latest, open and acknowledged
    not_on_track: object  # the open not-on-track review prompt (the latest), if any
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
        not_on_track=next(iter(open_not_on_track([patient.id])), None),
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
