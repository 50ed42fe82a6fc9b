"""The clinic outcome summary of NHS Talking Therapies (shared/INSTRUMENTS.md, "Clinic outcome
summary"), as pure functions over plain values: no Flask, no database.

Among finished episodes with at least two paired occasions (the selection is the service's,
``clinic.reports.services.clinic_outcome_episodes``):

- recovery rate = recovered / episodes that were a case at baseline;
- reliable improvement, reliable recovery and reliable deterioration rates = their count / all
  those episodes.

Every rate carries its numerator and denominator. Small numbers identify people: below
``MIN_EPISODES`` episodes in its denominator a rate and its numerator are withheld, and the
page says so (Decision: the numerator goes too, since "1 of 3" can name a patient; the
denominator stays, so a reader sees why).

Breakdowns by clinician (primary), by program template and by adherence band are descriptive:
no published anchor relates training dose to these rates, so nothing here says one causes the
other.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MIN_EPISODES = 5

# Adherence bands of the summary (INSTRUMENTS.md). Decision: judged on the whole percentage a
# clinician sees (``adherence.as_percent``, rounded half up), so 79.5 % is "80% and over".
UNDER_50 = "under 50%"
FROM_50_TO_79 = "50-79%"
FROM_80 = "80% and over"
NO_PROGRAM = "no program (or nothing planned)"
NO_PROGRAM_NAME = "No program"
ADHERENCE_BANDS = (UNDER_50, FROM_50_TO_79, FROM_80, NO_PROGRAM)

RATE_NAMES = {
    "recovery": "Recovery",
    "reliable_improvement": "Reliable improvement",
    "reliable_recovery": "Reliable recovery",
    "reliable_deterioration": "Reliable deterioration",
}


@dataclass(frozen=True)
class EpisodeResult:
    """One finished episode with two paired occasions, as the summary counts it."""

    case_at_baseline: bool
    recovered: bool
    reliable_improvement: bool
    reliable_recovery: bool
    reliable_deterioration: bool
    clinician: str
    program: str
    adherence_percent: int | None


@dataclass(frozen=True)
class Rate:
    """``numerator`` of ``denominator`` episodes; withheld below ``MIN_EPISODES``."""

    numerator: int
    denominator: int

    @property
    def withheld(self) -> bool:
        return self.denominator < MIN_EPISODES

    @property
    def percent(self) -> int | None:
        """Whole percent rounded half up; None when withheld (or nothing to divide by)."""
        if self.withheld or self.denominator == 0:
            return None
        return int(
            (Decimal(100 * self.numerator) / self.denominator).quantize(
                Decimal(1), rounding=ROUND_HALF_UP
            )
        )

    @property
    def words(self) -> str:
        """'4 of 10 (40%)', or why there is no rate."""
        if self.denominator == 0:
            return "no episodes"
        if self.withheld:
            return (
                f"withheld: {self.denominator} episode"
                f"{'' if self.denominator == 1 else 's'}, fewer than {MIN_EPISODES}"
            )
        return f"{self.numerator} of {self.denominator} ({self.percent}%)"


@dataclass(frozen=True)
class GroupSummary:
    """The four rates of one group of episodes (the whole selection, a clinician, ...)."""

    label: str
    episodes: int
    cases: int
    recovery: Rate
    reliable_improvement: Rate
    reliable_recovery: Rate
    reliable_deterioration: Rate

    def rates(self):
        """(code, name, Rate) in the order every surface prints them."""
        return [(code, name, getattr(self, code)) for code, name in RATE_NAMES.items()]


@dataclass(frozen=True)
class OutcomeSummary:
    overall: GroupSummary
    by_clinician: tuple
    by_program: tuple
    by_adherence: tuple


def adherence_band(percent: int | None) -> str:
    """The summary's adherence band of a whole percentage (None: no program or nothing
    planned)."""
    if percent is None:
        return NO_PROGRAM
    if percent < 50:
        return UNDER_50
    return FROM_50_TO_79 if percent < 80 else FROM_80


def summarise_group(label: str, results: Iterable[EpisodeResult]) -> GroupSummary:
    """The four rates over ``results``: recovery among cases, the others among all."""
    results = list(results)
    cases = [r for r in results if r.case_at_baseline]
    total = len(results)
    return GroupSummary(
        label=label,
        episodes=total,
        cases=len(cases),
        recovery=Rate(sum(1 for r in cases if r.recovered), len(cases)),
        reliable_improvement=Rate(sum(1 for r in results if r.reliable_improvement), total),
        reliable_recovery=Rate(sum(1 for r in results if r.reliable_recovery), total),
        reliable_deterioration=Rate(sum(1 for r in results if r.reliable_deterioration), total),
    )


def _breakdown(results, key: Callable, order=None) -> tuple:
    groups = {}
    for result in results:
        groups.setdefault(key(result), []).append(result)
    labels = [b for b in order if b in groups] if order else sorted(groups, key=str.casefold)
    return tuple(summarise_group(label, groups[label]) for label in labels)


def outcome_summary(
    results: Iterable[EpisodeResult], overall_label="All finished episodes"
) -> OutcomeSummary:
    """The summary and its three breakdowns (clinician, program template, adherence band)."""
    results = list(results)
    return OutcomeSummary(
        overall=summarise_group(overall_label, results),
        by_clinician=_breakdown(results, lambda r: r.clinician),
        by_program=_breakdown(results, lambda r: r.program),
        by_adherence=_breakdown(
            results, lambda r: adherence_band(r.adherence_percent), order=ADHERENCE_BANDS
        ),
    )
