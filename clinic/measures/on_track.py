"""Not on track: the PHQ-9 early warning of shared/INSTRUMENTS.md ("Not on track").

Pure functions over dates and totals. Week n of an episode is the number of whole weeks since
the episode's baseline PHQ-9 (its earliest-dated one). In weeks 4-5, 9-10 and 14-15 the
latest-dated PHQ-9 of that window is judged against the window's published cut point; a total
at or above it is "not on track: review the plan" (a prompt for the therapist, never a verdict
on the patient, and never shown to them). GAD-7 has no such rule: none is published.
"""

from dataclasses import dataclass

SOURCE = "Schueller et al. 2015, General Hospital Psychiatry 37:470-475"
SOURCE_SHORT = "Schueller et al. 2015"
INSTRUMENT = "PHQ-9"


@dataclass(frozen=True)
class Window:
    """Weeks ``first``..``last`` of the episode judged against ``cut_point`` (at or above)."""

    week: int  # the week the cut point is published for
    first: int
    last: int
    cut_point: int


WINDOWS = (
    Window(week=4, first=4, last=5, cut_point=17),
    Window(week=9, first=9, last=10, cut_point=13),
    Window(week=14, first=14, last=15, cut_point=9),
)


@dataclass(frozen=True)
class Verdict:
    """The judgement of one window, decided by one response (``decider``: its id)."""

    window: Window
    episode_week: int  # the decider's week of the episode
    total: int
    decider: object
    not_on_track: bool

    @property
    def detail(self):
        """What an alert stores and every page quotes: the cut point and its source."""
        return {
            "instrument": INSTRUMENT,
            "week": self.window.week,
            "episode_week": self.episode_week,
            "cut_point": self.window.cut_point,
            "total": self.total,
            "source": SOURCE,
        }


def episode_week(baseline_day, day):
    """Whole weeks from the baseline's day to ``day`` (both calendar dates)."""
    return (day - baseline_day).days // 7


def window_of_week(week):
    """The window a week of the episode falls in, or None (weeks 0-3, 6-8, 11-13, 16+)."""
    return next((w for w in WINDOWS if w.first <= week <= w.last), None)


def verdicts(history):
    """{window week: Verdict} for an episode's PHQ-9 history.

    ``history``: (calendar day, total, key) of the episode's current PHQ-9 responses, earliest
    first in the clinical order (the first is the baseline); ``key`` identifies the response.
    Only windows with a response in them are judged; in each, the latest-dated decides.
    """
    if not history:
        return {}
    baseline_day = history[0][0]
    judged = {}
    for day, total, key in history[1:]:
        week = episode_week(baseline_day, day)
        window = window_of_week(week)
        if window is not None:  # later entries of the clinical order replace earlier ones
            judged[window.week] = Verdict(window, week, total, key, total >= window.cut_point)
    return judged


def verdict_of(history, key):
    """The verdict ``key`` decides, or None when it decides none (outside every window, or
    not the latest-dated of its window)."""
    return next((v for v in verdicts(history).values() if v.decider == key), None)


def window_of(history, key):
    """The window the response ``key`` is dated in (decider or not), or None."""
    if not history:
        return None
    baseline_day = history[0][0]
    for day, _total, other in history:
        if other == key:
            return window_of_week(episode_week(baseline_day, day))
    return None
