"""Adherence, session load and program alerts, as pure functions over plain session records.

Showing up is what the program optimises (shared/PROGRAMS.md "What the evidence says"), so
adherence credits any session done, never lets extra sessions raise the percentage, and leaves
paused weeks out of both sums. Clinicians see fractions; patients see counts only, never a
percentage or a lost streak. Rules come from ``clinic.catalogue.rules``.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from clinic.catalogue import rules

DONE = "done"
PARTIAL = "partial"
SKIPPED = "skipped"
SESSION_STATUSES = (DONE, PARTIAL, SKIPPED)

MISSED_SESSIONS = "missed_sessions"
PAIN_REPORTED = "pain_reported"
PAIN_REVIEW = "pain_review"
HIGH_RPE = "high_rpe"
LOW_MOOD_SKIPS = "low_mood_skips"

NO_CREDIT = Decimal("0")


@dataclass(frozen=True)
class SessionRecord:
    """One logged session as adherence and alerts see it.

    ``working_sets_prescribed`` is the session's total of prescribed working sets and
    ``working_sets_done`` how many were logged. ``low_energy`` marks the one-set-per-exercise
    version, which counts as partial whatever its status. ``session_rpe`` and ``pain`` are 0-10
    or None when not asked; ``skip_reason`` is one of ``rules.SKIP_REASONS`` for a skip.
    """

    status: str
    working_sets_done: int = 0
    working_sets_prescribed: int = 0
    low_energy: bool = False
    session_rpe: int | None = None
    pain: int | None = None
    skip_reason: str | None = None

    def __post_init__(self):
        if self.status not in SESSION_STATUSES:
            raise ValueError(f"status must be one of {SESSION_STATUSES}, not {self.status!r}")
        for name in ("working_sets_done", "working_sets_prescribed"):
            value = getattr(self, name)
            if not _is_int(value) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")
        _check_scale(self.session_rpe, "session_rpe")
        _check_scale(self.pain, "pain")
        if self.skip_reason is not None and self.skip_reason not in rules.SKIP_REASONS:
            raise ValueError(f"unknown skip reason {self.skip_reason!r}")

    @property
    def performed(self) -> bool:
        """Done or partial: the patient showed up."""
        return self.status != SKIPPED


@dataclass(frozen=True)
class WeekRecord:
    """One calendar week of an assignment: sessions planned, sessions logged, paused or not."""

    week_start: date
    planned: int
    sessions: tuple[SessionRecord, ...] = ()
    paused: bool = False

    def __post_init__(self):
        if not _is_int(self.planned) or self.planned < 0:
            raise ValueError(f"planned must be a whole number >= 0, not {self.planned!r}")
        object.__setattr__(self, "sessions", tuple(self.sessions))

    @property
    def counts(self) -> bool:
        """Whether this week enters adherence: planned sessions and not paused."""
        return self.planned > 0 and not self.paused


@dataclass(frozen=True)
class SessionCredit:
    """What one session adds to its week, and why in plain words."""

    credit: Decimal
    reason: str


@dataclass(frozen=True)
class WeekAdherence:
    """One week's adherence for the clinician.

    ``credited`` is capped at ``planned``; ``extra_sessions`` are sessions shown beyond the plan
    (they never raise the percentage). ``fraction`` is None for a paused week or one with nothing
    planned: such weeks are left out, not counted as zero.
    """

    week_start: date
    planned: int
    paused: bool
    sessions_performed: int
    extra_sessions: int
    credited: Decimal
    fraction: Decimal | None
    credits: tuple[SessionCredit, ...]


class Alert(NamedTuple):
    """An alert kind and the reason a clinician reads."""

    kind: str
    reason: str


def session_credit(session: SessionRecord) -> SessionCredit:
    """The credit of one session: 1 when done with at least half of its working sets, else 0.5.

    A session marked done with fewer than half of its working sets counts like a partial one:
    showing up counts, but it is not the full session.
    """
    if session.status == SKIPPED:
        return SessionCredit(NO_CREDIT, "Skipped: no credit.")
    if session.low_energy:
        return SessionCredit(rules.PARTIAL_CREDIT, "Low-energy version: counts as partial.")
    if session.status == PARTIAL:
        return SessionCredit(rules.PARTIAL_CREDIT, "Partial session: counts as half.")
    done, prescribed = session.working_sets_done, session.working_sets_prescribed
    if done >= rules.FULL_CREDIT_WORKING_SET_FRACTION * prescribed:
        return SessionCredit(rules.FULL_CREDIT, "Done: counts in full.")
    return SessionCredit(
        rules.PARTIAL_CREDIT,
        f"Done with {done} of {prescribed} working sets, fewer than half: counts as partial.",
    )


def week_adherence(week: WeekRecord) -> WeekAdherence:
    """Credit one week: the sum of session credits, capped at the sessions planned."""
    credits = tuple(session_credit(session) for session in week.sessions)
    credited = min(sum((credit.credit for credit in credits), NO_CREDIT), Decimal(week.planned))
    performed = sum(1 for session in week.sessions if session.performed)
    return WeekAdherence(
        week_start=week.week_start,
        planned=week.planned,
        paused=week.paused,
        sessions_performed=performed,
        extra_sessions=max(0, performed - week.planned),
        credited=credited,
        fraction=credited / week.planned if week.counts else None,
        credits=credits,
    )


def weekly_adherence(weeks: Iterable[WeekRecord]) -> list[WeekAdherence]:
    """Each week's adherence, oldest first."""
    return [week_adherence(week) for week in sorted(weeks, key=lambda week: week.week_start)]


def rolling_adherence(weeks: Iterable[WeekRecord], n: int = rules.ROLLING_WEEKS) -> Decimal | None:
    """Credited over planned for the newest ``n`` weeks, paused weeks left out of both sums.

    Pass one record per calendar week, paused and empty weeks included, so the window is ``n``
    calendar weeks. None when no week of the window counts (all paused, or nothing planned).
    """
    if not _is_int(n) or n < 1:
        raise ValueError(f"n must be a whole number >= 1, not {n!r}")
    window = sorted(weeks, key=lambda week: week.week_start)[-n:]
    counted = [week_adherence(week) for week in window if week.counts]
    planned = sum(week.planned for week in counted)
    if planned == 0:
        return None
    return sum((week.credited for week in counted), NO_CREDIT) / planned


def as_percent(fraction: Decimal | None) -> int | None:
    """A fraction as a whole percentage for clinicians, rounded half up (0.675 -> 68)."""
    if fraction is None:
        return None
    return int((fraction * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def patient_counts(this_week: WeekRecord, sessions_so_far: int) -> tuple[str, str]:
    """What a patient sees: ("2 of 2 this week", "17 sessions so far"), counts only.

    A partial or low-energy session counts as a session here: showing up counts. There is no
    percentage and no streak, so a missed week never reads as something lost.
    """
    if not _is_int(sessions_so_far) or sessions_so_far < 0:
        raise ValueError(f"sessions_so_far must be a whole number >= 0, not {sessions_so_far!r}")
    done = sum(1 for session in this_week.sessions if session.performed)
    if this_week.paused:
        week_text = f"Paused this week, {done} done" if done else "Paused this week"
    elif this_week.planned == 0 or done > this_week.planned:
        week_text = f"{done} this week" + (
            f" ({this_week.planned} planned)" if this_week.planned else ""
        )
    else:
        week_text = f"{done} of {this_week.planned} this week"
    noun = "session" if sessions_so_far == 1 else "sessions"
    return week_text, f"{sessions_so_far} {noun} so far"


def session_load(rpe: int | None, minutes: int | None) -> int | None:
    """Session load in arbitrary units: session RPE x minutes (Foster et al. 2001)."""
    if rpe is None or minutes is None:
        return None
    _check_scale(rpe, "rpe")
    if not _is_int(minutes) or minutes < 0:
        raise ValueError(f"minutes must be a whole number >= 0, not {minutes!r}")
    return rpe * minutes


def program_alerts(
    sessions_newest_last: Sequence[SessionRecord], weeks: Sequence[WeekRecord]
) -> tuple[Alert, ...]:
    """The alerts that the newest sessions and weeks raise, for a clinician to review.

    ``weeks`` are complete calendar weeks (leave out the week in progress, or a Monday would
    look like a missed week). Pain is judged on the newest session only, so an old report is not
    raised again; high RPE looks at sessions done in a row (skips carry no RPE and do not break
    the run); low-mood skips must be the newest sessions, with nothing done in between. The
    caller keeps one open alert per kind.
    """
    alerts = []
    missed = _missed_weeks(weeks)
    if missed:
        alerts.append(Alert(MISSED_SESSIONS, missed))
    if sessions_newest_last:
        pain = sessions_newest_last[-1].pain
        if pain is not None and pain >= rules.PAIN_ALERT_AT:
            alerts.append(Alert(PAIN_REPORTED, f"Pain of {pain}/10 reported in the last session."))
        elif pain is not None and pain >= rules.PAIN_REVIEW_AT:
            alerts.append(
                Alert(PAIN_REVIEW, f"Pain of {pain}/10 reported in the last session: review.")
            )
    performed = [session for session in sessions_newest_last if session.performed]
    recent = performed[-rules.HIGH_RPE_SESSIONS_IN_A_ROW :]
    if len(recent) == rules.HIGH_RPE_SESSIONS_IN_A_ROW and all(
        session.session_rpe is not None and session.session_rpe >= rules.HIGH_RPE_AT
        for session in recent
    ):
        rpes = ", ".join(str(session.session_rpe) for session in recent)
        alerts.append(
            Alert(
                HIGH_RPE,
                f"Session RPE of {rules.HIGH_RPE_AT} or more in the last {len(recent)} sessions "
                f"in a row ({rpes}).",
            )
        )
    skips = sessions_newest_last[-rules.LOW_MOOD_SKIPS_IN_A_ROW :]
    if len(skips) == rules.LOW_MOOD_SKIPS_IN_A_ROW and all(
        session.status == SKIPPED and session.skip_reason == rules.LOW_MOOD for session in skips
    ):
        alerts.append(
            Alert(LOW_MOOD_SKIPS, f"The last {len(skips)} sessions were skipped for low mood.")
        )
    return tuple(alerts)


def _missed_weeks(weeks: Sequence[WeekRecord]) -> str | None:
    """The reason for a missed-sessions alert, or None: the newest planned weeks had no session.

    Paused weeks and weeks with nothing planned are passed over, not counted as missed; a week
    with only skips logged had no session done.
    """
    planned = [week for week in sorted(weeks, key=lambda week: week.week_start) if week.counts]
    newest = planned[-rules.NO_SESSION_PLANNED_WEEKS :]
    if len(newest) < rules.NO_SESSION_PLANNED_WEEKS:
        return None
    if any(session.performed for week in newest for session in week.sessions):
        return None
    since = newest[0].week_start.isoformat()
    return f"No session done in the last {len(newest)} planned weeks (since {since})."


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_scale(value, name: str) -> None:
    """A 0-10 rating (Borg CR10, pain), or None when it was not asked."""
    if value is not None and (not _is_int(value) or not 0 <= value <= 10):
        raise ValueError(f"{name} must be a whole number 0-10, not {value!r}")
