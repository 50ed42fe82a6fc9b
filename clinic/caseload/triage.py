"""The dashboard's order of need, its sorts and its filters, all in SQL.

Ordering a whole caseload (not just a page) by need takes every figure of every patient:
each one is a correlated subquery on the caseload's select, so the database orders, filters
and pages it, and the page's figures come back in one more statement, whatever the caseload's
size. Tiers of need (lower first): 0 an open risk alert; 1 an open deterioration or
not-on-track prompt; 2 an overdue questionnaire (a scheduled link expired unanswered, nothing
answered since) or a program with no session for two planned weeks (its open alert); 3 the
rest. "This week" starts on Monday on the clinic's calendar, in its time zone.
"""

import functools
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from clinic.alerts.models import REVIEW_ALERT_KINDS, RISK_ALERT_KINDS, Alert
from clinic.auth.models import Role, User
from clinic.extensions import db
from clinic.measures.models import Invitation, Response
from clinic.patients.models import CareTeamMember, Patient
from clinic.programs.models import Assignment, SessionLog

NEED_LABELS = ("Risk alert", "Review", "Overdue", "")
# The sorts a column header offers, each with the direction it starts in.
SORTS = {
    "need": "asc",
    "name": "asc",
    "last_answer": "asc",
    "last_session": "asc",
    "alerts": "desc",
}
DIRECTIONS = ("asc", "desc")
SORT_LABELS = {
    "need": "Need",
    "name": "Patient (A to Z)",
    "last_answer": "Last answer (oldest first)",
    "last_session": "Last session (oldest first)",
    "alerts": "Open alerts (most first)",
}


@dataclass(frozen=True)
class DashboardView:
    """What the clinician asked for, from the query string (so it can be bookmarked)."""

    sort: str = "need"
    direction: str = "asc"
    unanswered: bool = False  # not answered this week
    open_alerts: bool = False
    no_program: bool = False
    clinician_id: int | None = None  # admins: patients on this clinician's care team

    @property
    def filtered(self):
        return self.unanswered or self.open_alerts or self.no_program or bool(self.clinician_id)

    def args(self, **changes):
        """The query arguments of this view (defaults left out), with ``changes``."""
        view = replace(self, **changes)
        args = {}
        if view.sort != "need":
            args["sort"] = view.sort
        if view.direction != SORTS[view.sort]:
            args["dir"] = view.direction
        for name in ("unanswered", "open_alerts", "no_program"):
            if getattr(view, name):
                args[name] = "1"
        if view.clinician_id:
            args["clinician"] = view.clinician_id
        return args

    def sorted_by(self, sort):
        """Arguments for a column header: its sort, or the other direction when it is on."""
        if sort == self.sort:
            return self.args(direction="desc" if self.direction == "asc" else "asc")
        return self.args(sort=sort, direction=SORTS[sort])

    def aria_sort(self, sort):
        if sort != self.sort:
            return None
        return "ascending" if self.direction == "asc" else "descending"


def parse_view(args, *, may_filter_by_clinician):
    """A ``DashboardView`` from query arguments; anything unknown falls back to the default
    (a stale bookmark still opens the dashboard). ``clinician`` is an admin's filter only."""
    sort = args.get("sort", "need")
    sort = sort if sort in SORTS else "need"
    direction = args.get("dir") or SORTS[sort]
    if direction == "reversed":  # the form's "Order" choice: the other way from the usual
        direction = "desc" if SORTS[sort] == "asc" else "asc"
    direction = direction if direction in DIRECTIONS else SORTS[sort]
    clinician = (args.get("clinician") or "").strip()
    clinician_id = (
        int(clinician)
        if may_filter_by_clinician
        and clinician.isascii()
        and clinician.isdigit()
        and 0 < int(clinician) < 2**31
        else None
    )
    return DashboardView(
        sort=sort,
        direction=direction,
        unanswered=args.get("unanswered") == "1",
        open_alerts=args.get("open_alerts") == "1",
        no_program=args.get("no_program") == "1",
        clinician_id=clinician_id,
    )


def week_start_utc(clinic, today=None):
    """Midnight of this week's Monday on the clinic's calendar, as a UTC moment."""
    today = today or clinic.today()
    monday = today - timedelta(days=today.weekday())
    return datetime.combine(monday, time(0), tzinfo=clinic.zone).astimezone(UTC)


def _open_alerts(kinds=None):
    query = sa.select(sa.func.count(Alert.id)).where(
        Alert.patient_id == Patient.id, Alert.acknowledged_at.is_(None)
    )
    if kinds is not None:
        query = query.where(Alert.kind.in_(sorted(kinds)))
    return query.scalar_subquery()


@functools.lru_cache(maxsize=8)
def _figures(now):
    """{name: correlated SQL expression on ``Patient``}: what the order and the page read.

    Kept for a few moments: the page's order and its figures share one ``now``, and building
    a dozen correlated subqueries costs more than running them. Read-only (never change the
    dict a caller gets)."""
    last_answer = (
        sa.select(sa.func.max(Response.completed_at))
        .where(Response.patient_id == Patient.id)
        .scalar_subquery()
    )
    last_session = (
        sa.select(sa.func.max(SessionLog.performed_on))
        .join(Assignment, Assignment.id == SessionLog.assignment_id)
        .where(Assignment.patient_id == Patient.id, SessionLog.status.in_(("done", "partial")))
        .scalar_subquery()
    )
    answered_since = sa.exists().where(
        Response.patient_id == Invitation.patient_id, Response.completed_at >= Invitation.created_at
    )
    overdue = sa.exists().where(
        Invitation.patient_id == Patient.id,
        Invitation.kind == "scheduled",
        Invitation.completed_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at <= now,
        ~answered_since,
    )
    risk, review = _open_alerts(RISK_ALERT_KINDS), _open_alerts(REVIEW_ALERT_KINDS)
    missed_sessions = _open_alerts({"missed_sessions"})
    need = sa.case(
        (risk > 0, 0), (review > 0, 1), (sa.or_(overdue, missed_sessions > 0), 2), else_=3
    )
    return {
        "need": need,
        "risk": risk,
        "review": review,
        "all_open": _open_alerts(),
        "overdue": sa.case((overdue, 1), else_=0),
        "last_answer": last_answer,
        "last_session": last_session,
    }


def triage_select(base, view, clinic, now):
    """``base`` (a select of the caseload's patients) filtered and ordered as ``view`` asks."""
    figures = _figures(now)
    query = base.order_by(None)
    if view.unanswered:
        started = week_start_utc(clinic)
        query = query.where(
            sa.or_(figures["last_answer"].is_(None), figures["last_answer"] < started)
        )
    if view.open_alerts:
        query = query.where(figures["all_open"] > 0)
    if view.no_program:
        query = query.where(
            ~sa.exists().where(
                Assignment.patient_id == Patient.id, Assignment.status != "completed"
            )
        )
    if view.clinician_id:
        query = query.where(
            sa.exists().where(
                CareTeamMember.patient_id == Patient.id, CareTeamMember.user_id == view.clinician_id
            )
        )
    name = sa.func.lower(Patient.display_name)
    ascending = view.direction == "asc"
    if view.sort == "name":
        keys = [name.asc() if ascending else name.desc()]
    elif view.sort == "alerts":
        keys = [
            figures["all_open"].desc() if not ascending else figures["all_open"].asc(),
            figures["need"],
        ]
    elif view.sort in ("last_answer", "last_session"):
        # Never answered (or never trained) is the stalest: first when oldest come first.
        column = figures[view.sort]
        keys = [column.asc().nulls_first() if ascending else column.desc().nulls_last()]
    else:
        need = figures["need"]
        keys = [
            need.asc() if ascending else need.desc(),
            figures["last_answer"].asc().nulls_first(),
        ]
    return query.order_by(*keys, name, Patient.id)


@dataclass
class TriageFigures:
    need: int = 3
    risk: int = 0
    review: int = 0
    other: int = 0
    overdue: bool = False
    last_answer: object = None  # aware UTC moment
    last_session: object = None  # a date on the clinic's calendar

    @property
    def need_label(self):
        return NEED_LABELS[self.need]


def triage_figures(patient_ids, now):
    """{patient id: TriageFigures} for a page of patients, in one statement."""
    if not patient_ids:
        return {}
    figures = _figures(now)
    names = ("need", "risk", "review", "all_open", "overdue", "last_answer", "last_session")
    found = {}
    for row in db.session.execute(
        sa.select(Patient.id, *(figures[n].label(n) for n in names)).where(
            Patient.id.in_(patient_ids)
        )
    ):
        values = dict(zip(("id", *names), row, strict=True))
        last_answer = values["last_answer"]
        if last_answer is not None and last_answer.tzinfo is None:  # SQLite reads it naive
            last_answer = last_answer.replace(tzinfo=UTC)
        found[values["id"]] = TriageFigures(
            need=values["need"],
            risk=values["risk"],
            review=values["review"],
            other=values["all_open"] - values["risk"] - values["review"],
            overdue=bool(values["overdue"]),
            last_answer=last_answer,
            last_session=values["last_session"],
        )
    return found


def clinicians_of(clinic_id):
    """Who an admin can filter the dashboard by: the clinic's active clinicians."""
    return db.session.scalars(
        sa.select(User)
        .where(
            User.clinic_id == clinic_id,
            User.active.is_(True),
            User.role.in_((Role.THERAPIST, Role.TRAINER, Role.ADMIN)),
        )
        .order_by(sa.func.lower(User.name), User.id)
    ).all()
