"""Change over an episode of care, per instrument and for the paired NHS Talking Therapies
outcome, as pure functions over totals (shared/INSTRUMENTS.md, "Change over time").

Baseline is the first response of the current episode and latest the most recent; choosing
them is the caller's job. ``improvement`` (d) is signed so that a positive number is always
better, whichever way the instrument runs.
"""

from dataclasses import dataclass
from decimal import Decimal

from clinic.measures.instruments import INSTRUMENT_CODES, get_instrument
from clinic.measures.instruments.base import Instrument
from clinic.measures.instruments.gad7 import GAD7
from clinic.measures.instruments.phq9 import PHQ9

RELIABLE_IMPROVEMENT = "reliable_improvement"
NO_RELIABLE_CHANGE = "no_reliable_change"
RELIABLE_DETERIORATION = "reliable_deterioration"


@dataclass(frozen=True)
class Change:
    """How one instrument moved between baseline and latest.

    ``raw_change`` is latest minus baseline in total units (the only change RSES reports).
    ``improvement`` and ``threshold`` are in ``unit``: points of the total, or percentage
    points for WHO-5. Fields that an instrument cannot support are None, never False:
    ``reliable`` for RSES, ``recovery`` when there is no caseness or no case at baseline,
    ``response`` and ``remission`` outside PHQ-9 or from a PHQ-9 baseline that was not a case.
    """

    instrument_code: str
    baseline_total: int
    latest_total: int
    raw_change: int
    improvement: int
    unit: str
    threshold: int | Decimal | None
    reliable: str | None
    baseline_case: bool | None
    latest_case: bool | None
    recovery: bool | None
    reliable_recovery: bool | None
    response: bool | None
    remission: bool | None

    @property
    def alert(self) -> str | None:
        """The alert kind this change raises: reliable deterioration needs a clinician."""
        return RELIABLE_DETERIORATION if self.reliable == RELIABLE_DETERIORATION else None


@dataclass(frozen=True)
class PairedOutcome:
    """The NHS Talking Therapies depression-and-anxiety outcome for one episode.

    ``recovered`` and ``reliable_recovery`` are None when the episode was not a case at
    baseline: recovery is undefined there, not failed.
    """

    phq9: Change
    gad7: Change
    case_at_baseline: bool
    recovered: bool | None
    reliable_improvement: bool
    reliable_deterioration: bool
    reliable_recovery: bool | None


def histories_by_instrument(responses):
    """``(instrument, its responses)`` for each instrument that has any, in the standard order of
    instruments; each history keeps the order ``responses`` came in (anything with an
    ``instrument_code``)."""
    by_code = {}
    for response in responses:
        by_code.setdefault(response.instrument_code, []).append(response)
    return [(get_instrument(code), by_code[code]) for code in INSTRUMENT_CODES if code in by_code]


def change_between(instrument: Instrument, baseline, latest) -> Change | None:
    """The classified change from ``baseline`` to ``latest`` (responses: ``id`` and ``total``);
    None without a baseline, or when the latest response is the baseline itself."""
    if baseline is None or latest.id == baseline.id:
        return None
    return classify_change(instrument, baseline.total, latest.total)


def classify_change(instrument: Instrument, baseline_total: int, latest_total: int) -> Change:
    """Classify the change between two totals of the same instrument."""
    _check_total(instrument, baseline_total, "baseline")
    _check_total(instrument, latest_total, "latest")
    raw_change = latest_total - baseline_total
    factor = instrument.percentage_factor or 1
    improvement = (-raw_change if instrument.higher_is_worse else raw_change) * factor
    threshold = _threshold(instrument, factor)
    reliable = None if threshold is None else _reliable(improvement, threshold)

    caseness = instrument.caseness
    baseline_case = None if caseness is None else caseness.is_case(baseline_total)
    latest_case = None if caseness is None else caseness.is_case(latest_total)
    recovery = reliable_recovery = None
    if baseline_case:
        recovery = not latest_case
        reliable_recovery = recovery and reliable == RELIABLE_IMPROVEMENT

    response = remission = None
    rule = instrument.response_rule
    # Response and remission count only episodes that began as a case (CMS159 remission and
    # NQF 1885 response define their denominators so): 4 -> 2 is neither, it is undefined.
    if rule is not None and baseline_case:
        remission = latest_total < rule.remission_below
        # A fall "by 50% or more" needs something to fall from: undefined at a zero baseline.
        if baseline_total > 0:
            response = 100 * latest_total <= rule.response_percent_of_baseline * baseline_total

    return Change(
        instrument_code=instrument.code,
        baseline_total=baseline_total,
        latest_total=latest_total,
        raw_change=raw_change,
        improvement=improvement,
        unit="percentage points" if instrument.percentage_factor else "points",
        threshold=threshold,
        reliable=reliable,
        baseline_case=baseline_case,
        latest_case=latest_case,
        recovery=recovery,
        reliable_recovery=reliable_recovery,
        response=response,
        remission=remission,
    )


def classify_paired(
    phq_baseline: int, phq_latest: int, gad_baseline: int, gad_latest: int
) -> PairedOutcome:
    """The paired outcome; only meaningful for episodes with at least two paired measurements."""
    phq9 = classify_change(PHQ9, phq_baseline, phq_latest)
    gad7 = classify_change(GAD7, gad_baseline, gad_latest)
    changes = (phq9, gad7)
    improved = any(change.reliable == RELIABLE_IMPROVEMENT for change in changes)
    deteriorated = any(change.reliable == RELIABLE_DETERIORATION for change in changes)
    case_at_baseline = bool(phq9.baseline_case or gad7.baseline_case)
    recovered = reliable_recovery = None
    if case_at_baseline:
        recovered = not (phq9.latest_case or gad7.latest_case)
        reliable_recovery = recovered and improved and not deteriorated
    return PairedOutcome(
        phq9=phq9,
        gad7=gad7,
        case_at_baseline=case_at_baseline,
        recovered=recovered,
        reliable_improvement=improved and not deteriorated,
        reliable_deterioration=deteriorated and not improved,
        reliable_recovery=reliable_recovery,
    )


def _reliable(improvement: int, threshold: int | Decimal) -> str:
    if improvement >= threshold:
        return RELIABLE_IMPROVEMENT
    if -improvement >= threshold:
        return RELIABLE_DETERIORATION
    return NO_RELIABLE_CHANGE


def _threshold(instrument: Instrument, factor: int) -> int | Decimal | None:
    """The reliable-change threshold in the unit change is judged in (WHO-5: 2.5 x 4 = 10)."""
    if instrument.reliable_change is None:
        return None
    threshold = instrument.reliable_change * factor
    return int(threshold) if threshold == int(threshold) else threshold


def _check_total(instrument: Instrument, total: int, name: str) -> None:
    if isinstance(total, bool) or not isinstance(total, int):
        raise ValueError(f"{instrument.code} {name} total must be a whole number, not {total!r}")
    if not instrument.min_total <= total <= instrument.max_total:
        raise ValueError(
            f"{instrument.code} {name} total must be {instrument.min_total}-"
            f"{instrument.max_total}, not {total}"
        )
