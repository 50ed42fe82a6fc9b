"""Report data: one patient's period gathered in a fixed number of queries, then summarised.

``gather`` runs the queries (their number does not depend on how much data the patient has);
everything after it is plain functions over the loaded rows, so the numbers a report prints
come from the same pure modules as the web pages: scoring and change classification
(clinic.measures), adherence and strength (clinic.programs), charts (clinic.charts).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload, selectinload

from clinic import charts
from clinic.alerts.models import ALERT_LABELS, Alert
from clinic.catalogue.starters import level_title
from clinic.extensions import db
from clinic.measures.change import (
    NO_RELIABLE_CHANGE,
    RELIABLE_DETERIORATION,
    RELIABLE_IMPROVEMENT,
    change_between,
    histories_by_instrument,
)
from clinic.measures.chart import instrument_chart_svg
from clinic.measures.episodes import clinical_order
from clinic.measures.models import Response
from clinic.measures.outcomes import NOT_APPLICABLE_NOT_A_CASE
from clinic.measures.scoring import band_for, score
from clinic.patients.models import CareTeamMember
from clinic.patients.services import current_episode
from clinic.programs import adherence, strength
from clinic.programs.models import Assignment, AssignmentEvent, SessionLog, SetLog
from clinic.programs.services import week_records

DEFAULT_WEEKS = 12
ONE_DECIMAL = Decimal("0.1")
RELIABLE_LABELS = {
    RELIABLE_IMPROVEMENT: "Reliable improvement",
    NO_RELIABLE_CHANGE: "No reliable change",
    RELIABLE_DETERIORATION: "Reliable deterioration",
}
EVENT_LABELS = {
    "assigned": "Assigned",
    "level_change": "Level changed",
    "pause": "Paused",
    "resume": "Resumed",
    "complete": "Completed",
}
MAX_STRENGTH_CHARTS = 2
WEEKS_PER_ROW = 4


# The period -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Inclusive calendar dates in the clinic's time zone; ``is_episode`` for the default."""

    start: date
    end: date
    is_episode: bool = False

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def weeks(self) -> int:
        return (self.end - self.start).days // 7 + 1


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    """The calendar day of a UTC moment in the clinic's zone (a report's days are the clinic's)."""
    return moment.astimezone(tz).date()


def default_period(patient, today: date, tz: ZoneInfo, episode=None) -> Period:
    """The current episode of care, start to end (to today while it is open); the last 12
    weeks when the patient has no episode or it lies ahead.

    Its dates are the episode's, so the responses in the period are exactly the episode's
    (the clinical-date rule: a response belongs where its completion day falls).
    """
    episode = episode if episode is not None else current_episode(patient)
    end = today
    if episode is not None and episode.end is not None:
        end = min(today, episode.end)
    elif patient.discharged_at is not None and not patient.is_active:
        end = min(today, local_date(patient.discharged_at, tz))
    start = episode.start if episode is not None else None
    if start is None or start > end:
        return Period(end - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1), end)
    return Period(start, end, is_episode=True)


# Gathering: a fixed number of queries -------------------------------------------------------


@dataclass
class Gathered:
    """Rows of one patient that a report may show, loaded with everything they point to."""

    patient: object
    care_team: list
    responses: list
    alerts: list
    assignments: list
    sessions: list


def gather(patient, period: Period, tz: ZoneInfo) -> Gathered:
    """Seven queries whatever the patient's history: care team, responses, alerts,
    assignments, their events (with authors), sessions, their sets (with exercises)."""
    care_team = db.session.scalars(
        sa.select(CareTeamMember).where(CareTeamMember.patient_id == patient.id)
        .options(joinedload(CareTeamMember.user))
        .order_by(CareTeamMember.is_primary.desc(), CareTeamMember.id)
    ).all()
    newer = aliased(Response)
    responses = db.session.scalars(
        sa.select(Response).where(Response.patient_id == patient.id,
                                  ~sa.exists().where(newer.supersedes_id == Response.id))
        .order_by(Response.completed_at, Response.id)
    ).all()
    start_utc, end_utc = _utc_bounds(period, tz)
    alerts = db.session.scalars(
        sa.select(Alert).where(Alert.patient_id == patient.id, Alert.created_at >= start_utc,
                               Alert.created_at < end_utc)
        .options(joinedload(Alert.acknowledged_by), joinedload(Alert.response))
        .order_by(Alert.created_at, Alert.id)
    ).all()
    assignments = db.session.scalars(
        sa.select(Assignment).where(Assignment.patient_id == patient.id,
                                    Assignment.start_date <= period.end)
        .options(selectinload(Assignment.events).joinedload(AssignmentEvent.by))
        .order_by(Assignment.start_date, Assignment.id)
    ).all()
    sessions = []
    if assignments:
        first_monday = strength.week_start(period.start)
        sessions = db.session.scalars(
            sa.select(SessionLog)
            .where(SessionLog.assignment_id.in_([a.id for a in assignments]),
                   SessionLog.counted(),
                   SessionLog.performed_on >= first_monday,
                   SessionLog.performed_on <= strength.week_start(period.end) + timedelta(6))
            .options(selectinload(SessionLog.sets).joinedload(SetLog.exercise))
            .order_by(SessionLog.performed_on, SessionLog.id)
        ).all()
    return Gathered(patient, list(care_team), list(responses), list(alerts), list(assignments),
                    list(sessions))


def _utc_bounds(period, tz):
    start = datetime.combine(period.start, datetime.min.time(), tz)
    end = datetime.combine(period.end + timedelta(days=1), datetime.min.time(), tz)
    return start, end


# Summaries: pure functions over the gathered rows -------------------------------------------


@dataclass
class InstrumentReport:
    instrument: object
    responses: list  # (date, total) in the period, oldest first
    baseline: object  # (date, total, band label) or None
    latest: object
    change: object  # clinic.measures.change.Change or None
    reliable_label: str
    recovery_label: str
    outcome_notes: list
    chart_svg: str
    clusters: dict | None = None


@dataclass
class AlertRow:
    raised_on: date
    label: str
    source: tuple | None  # (words, date): "PHQ-9 of", 3 Mar 2026
    acknowledged_on: date | None
    acknowledged_by: str | None
    note: str | None


@dataclass
class ProgramEvent:
    on: date
    label: str
    detail: str
    by: str | None
    reason: str


@dataclass
class ProgramReport:
    name: str
    start_date: date
    status: str
    current_level: str
    events: list
    weeks: list  # WeekRow
    credited: Decimal
    planned: int
    percent: int | None

    @property
    def blocks(self):
        """The weeks four to a row: a 52-week year is 13 table rows, not 52 (PDF tables cost
        per cell); each row also carries its four weeks' adherence."""
        rows = []
        for index in range(0, len(self.weeks), WEEKS_PER_ROW):
            weeks = self.weeks[index:index + WEEKS_PER_ROW]
            counted = [w for w in weeks if w.percent is not None and not w.paused]
            planned = sum(w.planned for w in counted)
            credited = sum((w.credited for w in counted), Decimal(0))
            percent = adherence.as_percent(credited / planned) if planned else None
            rows.append((weeks + [None] * (WEEKS_PER_ROW - len(weeks)), percent))
        return rows


@dataclass
class WeekRow:
    week_start: date
    planned: int
    performed: int
    credited: Decimal
    percent: int | None
    paused: bool
    in_progress: bool


@dataclass
class StrengthRow:
    exercise: str
    unit: str
    first_week: date
    first: object
    latest_week: date
    latest: object
    change: str


@dataclass
class MoodSummary:
    sessions: int
    before: Decimal | None
    after: Decimal | None
    change: Decimal | None


@dataclass
class SessionNote:
    """One session's words for the report: its note and pain report, as the patient gave them."""

    day: date
    status: str
    note: str
    pain: int | None
    pain_where: str


@dataclass
class ReportData:
    clinic_name: str
    patient_name: str
    patient_reference: str
    patient_status: str
    care_team: list  # (name, role label, primary)
    period: Period
    generated_at: datetime
    generated_by: str
    summary: str
    instruments: list = field(default_factory=list)
    alerts: list = field(default_factory=list)
    programs: list = field(default_factory=list)
    strength_rows: list = field(default_factory=list)
    strength_charts: list = field(default_factory=list)
    mood: MoodSummary | None = None
    sessions_in_period: int = 0
    # What the patient wrote about their sessions, oldest first; None: left out on request.
    session_notes: list | None = None

    @property
    def has_data(self) -> bool:
        return bool(self.instruments or self.alerts or self.programs or self.sessions_in_period)


def summarise(gathered: Gathered, period: Period, tz: ZoneInfo, *, today: date,
              generated_at: datetime, generated_by: str, summary: str = "",
              include_notes: bool = True) -> ReportData:
    """Every figure of the report from the gathered rows; no query runs from here on."""
    patient = gathered.patient
    in_period = [s for s in gathered.sessions if period.contains(s.performed_on)]
    data = ReportData(
        clinic_name=patient.clinic.name,
        patient_name=patient.display_name,
        patient_reference=patient.reference,
        patient_status=patient.status,
        care_team=[(m.user.name, m.user.role_label, m.is_primary) for m in gathered.care_team],
        period=period,
        generated_at=generated_at,
        generated_by=generated_by,
        summary=(summary or "").strip(),
        instruments=instrument_reports(gathered.responses, patient, period, tz),
        alerts=alert_rows(gathered.alerts, tz),
        programs=program_reports(gathered.assignments, gathered.sessions, period, today, tz),
        sessions_in_period=len(in_period),
        mood=mood_summary(in_period),
    )
    data.strength_rows, data.strength_charts = strength_summary(in_period)
    if include_notes:
        data.session_notes = session_notes(in_period)
    return data


def session_notes(sessions) -> list:
    """The sessions of the period with a note or a pain report (pain above 0 or a place)."""
    notes = []
    for s in sessions:
        note = (s.note or "").strip()
        where = (s.pain_where or "").strip()
        if note or (s.pain or 0) > 0 or where:
            notes.append(SessionNote(s.performed_on, s.status, note, s.pain, where))
    return notes


def instrument_reports(responses, patient, period: Period, tz: ZoneInfo) -> list:
    """Per instrument with a response in the period: baseline, latest, change, chart.

    A response is in the period when its clinical date is (never the day it was entered); the
    default period is the episode's dates, so its baseline is the episode's, as on the patient
    page. Baseline is the earliest-dated, latest the latest-dated (``clinical_order``).
    """
    in_period = sorted((r for r in responses if period.contains(local_date(r.completed_at, tz))),
                       key=clinical_order)
    reports = []
    for instrument, history in histories_by_instrument(in_period):
        code = instrument.code
        first, last = history[0], history[-1]
        change = change_between(instrument, first, last)
        reports.append(InstrumentReport(
            instrument=instrument,
            responses=[(local_date(r.completed_at, tz), r.total) for r in history],
            baseline=_scored(instrument, first, tz),
            latest=_scored(instrument, last, tz),
            change=change,
            reliable_label=_reliable_label(instrument, change),
            recovery_label=_recovery_label(instrument, change),
            outcome_notes=_outcome_notes(instrument, change),
            chart_svg=_inline(instrument_chart_svg(instrument, history), f"c-{code}"),
            clusters=_clusters(instrument, last),
        ))
    return reports


def _scored(instrument, response, tz):
    band = band_for(instrument, response.total)
    percent = (response.total * instrument.percentage_factor
               if instrument.percentage_factor else None)
    return {"date": local_date(response.completed_at, tz), "total": response.total,
            "band": band.label if band else None, "percent": percent,
            "prorated": bool(response.prorated)}


def _reliable_label(instrument, change):
    if change is None:
        return "Only one score"
    if change.reliable is None:
        return "Raw change only (no reliable-change index)"
    return RELIABLE_LABELS[change.reliable]


def _recovery_label(instrument, change):
    if instrument.caseness is None:
        return "Not defined"
    if change is None:
        return "Needs two scores"
    if not change.baseline_case:
        return "Not a case at baseline"
    if change.reliable_recovery:
        return "Reliable recovery"
    return "Recovery (not reliable)" if change.recovery else "Not recovered"


def _outcome_notes(instrument, change):
    """PHQ-9 response and remission, defined only from a baseline that was a case."""
    if change is None or instrument.response_rule is None:
        return []
    if change.response is None or change.remission is None:
        return ["Response and remission: " + NOT_APPLICABLE_NOT_A_CASE]
    notes = ["Response" if change.response else "No response"]
    if change.remission:
        notes.append("Remission")
    return notes


def _clusters(instrument, response):
    if not instrument.clusters:
        return None
    result = score(instrument, response.answers, allow_missing=True)
    return {c.label: result.clusters[c.key] for c in instrument.clusters}


def _inline(svg: str, prefix: str) -> str:
    """The standalone chart made safe to inline several times: its fixed ids made unique."""
    for name in ("title", "desc"):
        svg = svg.replace(f"chart-{name}", f"{prefix}-{name}")
    return svg


def alert_rows(alerts, tz: ZoneInfo) -> list:
    """The report's alert table: each alert with what raised it and when it was acknowledged."""
    rows = []
    for alert in alerts:
        source = None
        if alert.response is not None:
            source = (f"{alert.response.instrument_code} of",
                      local_date(alert.response.completed_at, tz))
        elif alert.detail.get("week"):
            source = ("week of", date.fromisoformat(alert.detail["week"]))
        rows.append(AlertRow(
            raised_on=local_date(alert.created_at, tz),
            label=ALERT_LABELS.get(alert.kind, alert.kind),
            source=source,
            acknowledged_on=(local_date(alert.acknowledged_at, tz)
                             if alert.acknowledged_at else None),
            acknowledged_by=alert.acknowledged_by.name if alert.acknowledged_by else None,
            note=alert.note,
        ))
    return rows


def program_reports(assignments, sessions, period: Period, today: date, tz=None) -> list:
    """Each program that ran in the period: its level history and adherence week by week.

    Weeks, level changes and the end of a program fall on the clinic's calendar (``tz``).
    """
    reports = []
    first_monday = strength.week_start(period.start)
    last_day = min(period.end, today)
    for assignment in assignments:
        own = [s for s in sessions if s.assignment_id == assignment.id]
        ended = _completed_on(assignment, tz)
        if ended is not None and ended < period.start:
            continue  # finished before the period began
        until = last_day if ended is None else min(last_day, ended)
        weeks = [w for w in week_records(assignment, own, until, tz)
                 if w.week_start >= first_monday]
        rows, credited, planned = [], Decimal(0), 0
        for week in adherence.weekly_adherence(weeks):
            in_progress = week.week_start + timedelta(days=6) >= today
            if week.fraction is not None:
                credited += week.credited
                planned += week.planned
            rows.append(WeekRow(week.week_start, week.planned, week.sessions_performed,
                                week.credited, adherence.as_percent(week.fraction), week.paused,
                                in_progress))
        if not rows and assignment.start_date > period.end:
            continue
        levels = assignment.snapshot["levels"]
        reports.append(ProgramReport(
            name=assignment.name, start_date=assignment.start_date, status=assignment.status,
            current_level=level_title(levels[assignment.level_position]["name"]),
            events=_events(assignment, levels, tz),
            weeks=rows, credited=credited, planned=planned,
            percent=adherence.as_percent(credited / planned) if planned else None,
        ))
    return reports


def _completed_on(assignment, tz=None):
    """The day a completed program ended: its weeks stop there, not at today."""
    if assignment.status != "completed":
        return None
    done = [_day(e.at, tz) for e in assignment.events if e.kind == "complete"]
    return max(done) if done else None


def _day(moment, tz):
    return (moment.astimezone(tz) if tz is not None else moment).date()


def _events(assignment, levels, tz=None):
    events = []
    for event in sorted(assignment.events, key=lambda e: (e.at, e.id)):
        if event.kind not in EVENT_LABELS:
            continue
        detail = ""
        if event.kind == "assigned":
            detail = f"starting at {level_title(levels[0]['name'])}"
        elif event.kind == "level_change":
            old, new = event.detail.get("old", 0), event.detail.get("new", 0)
            detail = (f"from {level_title(levels[old]['name'])} "
                      f"to {level_title(levels[new]['name'])}")
        events.append(ProgramEvent(_day(event.at, tz), EVENT_LABELS[event.kind], detail,
                                   event.by.name if event.by else None, event.reason or ""))
    return events


def mood_summary(sessions) -> MoodSummary:
    """Average mood (0-10) before and after, over sessions where both were given."""
    paired = [(s.mood_before, s.mood_after) for s in sessions
              if s.mood_before is not None and s.mood_after is not None]
    if not paired:
        return MoodSummary(0, None, None, None)
    before = _mean([b for b, _ in paired])
    after = _mean([a for _, a in paired])
    change = _mean([a - b for b, a in paired])
    return MoodSummary(len(paired), before, after, change)


def _mean(values) -> Decimal:
    return (Decimal(sum(values)) / len(values)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def strength_summary(sessions):
    """Per exercise logged in the period: first and latest weekly best and the change; charts
    of the main loaded lifts (those with the most loaded weeks)."""
    by_exercise = {}
    for session in sessions:
        if session.status == "skipped":
            continue
        for set_log in session.sets:
            entry = by_exercise.setdefault(set_log.exercise_id, (set_log.exercise, []))
            entry[1].append((session.performed_on, set_log))
    rows, loaded_weeks = [], []
    for exercise, sets in by_exercise.values():
        loaded = [(day, s.load_kg, s.reps) for day, s in sets
                  if exercise.measure == "load_reps" and s.load_kg and s.reps]
        weekly = strength.weekly_best_e1rm(loaded) if loaded else []
        if weekly:
            changes = strength.percent_change_from_baseline(weekly)
            rows.append(StrengthRow(exercise.name, "kg, estimated 1RM", weekly[0].week_start,
                                    weekly[0].best, weekly[-1].week_start, weekly[-1].best,
                                    f"{changes[-1].percent_change:+} % from baseline"))
            loaded_weeks.append((len(weekly), exercise.name, weekly))
            continue
        amounts = [(day, s.seconds if s.seconds is not None else s.reps) for day, s in sets]
        weekly = strength.best_reps_per_week(amounts)
        if not weekly:
            continue
        unit = "seconds, best hold" if exercise.measure == "hold_seconds" else "best reps"
        difference = weekly[-1].best - weekly[0].best
        rows.append(StrengthRow(exercise.name, f"{unit} (ladder step {exercise.ladder_step})",
                                weekly[0].week_start, weekly[0].best, weekly[-1].week_start,
                                weekly[-1].best, f"{difference:+d}"))
    loaded_weeks.sort(key=lambda item: (-item[0], item[1]))
    charts_svg = [(name, _inline(_strength_chart(name, weekly), f"s-{index}"))
                  for index, (_, name, weekly) in enumerate(loaded_weeks[:MAX_STRENGTH_CHARTS])]
    return rows, charts_svg


def _strength_chart(name, weekly):
    values = [float(w.best) for w in weekly]
    geometry = charts.line_chart(
        [(w.week_start, float(w.best)) for w in weekly], y_min=0,
        y_max=max(10, int(max(values) * 1.2) + 1), title=f"{name}: weekly best estimated 1RM",
        description=f"Weekly best estimated 1RM (kg) for {name}; the table lists the first "
                    "and latest week.", height=200)
    return charts.render_svg(geometry)
