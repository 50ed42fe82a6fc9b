"""Questionnaire scores in plain words for the patient, as pure functions.

Only for instruments a clinician has released to the patient (``ScoreRelease``). Totals only:
never an item answer, never a risk item, never a band name or a "risk score". The direction
of each instrument comes from shared/INSTRUMENTS.md ("higher is worse" for PHQ-9, GAD-7 and
PCL-5; "higher is better" for RSES and WHO-5), and a change smaller than the reliable-change
threshold reads as "about the same": a point or two is noise, not news. RSES has no threshold
(INSTRUMENTS.md: show the raw change), so any change there is named as it is.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from clinic.measures.change import (
    NO_RELIABLE_CHANGE,
    RELIABLE_DETERIORATION,
    RELIABLE_IMPROVEMENT,
    classify_change,
)
from clinic.measures.instruments.base import Instrument

BETTER = "better"
SAME = "same"
WORSE = "worse"
ONCE = "once"

# What each questionnaire asks about, as a patient would say it.
ABOUT = {
    "PHQ-9": "low mood",
    "GAD-7": "worry and anxiety",
    "PCL-5": "stress after a hard experience",
    "RSES": "how you see yourself",
    "WHO-5": "well-being",
}


@dataclass(frozen=True)
class ScoreStory:
    """One released questionnaire, in words: what it asks about, which way is better, where
    the latest score stands against the first of this episode of care."""

    code: str
    about: str
    direction_note: str
    sentence: str
    trend: str
    answered: int


def score_text(instrument: Instrument, total: int) -> str:
    """ "8 out of 27"; WHO-5 as its percentage ("48 out of 100"), the way it is read."""
    if instrument.percentage_factor:
        return f"{total * instrument.percentage_factor} out of 100"
    return f"{total} out of {instrument.max_total}"


def direction_note(instrument: Instrument) -> str:
    if instrument.higher_is_worse:
        return "On this questionnaire a lower score is better."
    return "On this questionnaire a higher score is better."


def trend_of(instrument: Instrument, baseline_total: int, latest_total: int) -> str:
    """better, same or worse, judged in the instrument's direction, by its reliable change."""
    change = classify_change(instrument, baseline_total, latest_total)
    if change.reliable == RELIABLE_IMPROVEMENT:
        return BETTER
    if change.reliable == RELIABLE_DETERIORATION:
        return WORSE
    if change.reliable == NO_RELIABLE_CHANGE or change.improvement == 0:
        return SAME
    return BETTER if change.improvement > 0 else WORSE  # RSES: no threshold, raw change


def score_story(
    instrument: Instrument, totals: Sequence[int], latest_prorated: bool = False
) -> ScoreStory | None:
    """The sentence for ``totals`` (the episode's, earliest-dated first); None for none."""
    if not totals:
        return None
    latest = totals[-1]
    latest_text = score_text(instrument, latest)
    estimated = " (estimated: a few answers were missing)" if latest_prorated else ""
    if len(totals) == 1:
        sentence = f"You have answered it once so far: {latest_text}{estimated}."
        trend = ONCE
    else:
        baseline = totals[0]
        trend = trend_of(instrument, baseline, latest)
        lower_is_better = instrument.higher_is_worse
        if trend == SAME:
            where = "about the same as when you started"
        elif (trend == BETTER) == lower_is_better:
            where = "lower than when you started"
        else:
            where = "higher than when you started"
        sentence = (
            f"Your latest score is {latest_text}{estimated}, {where} "
            f"({score_text(instrument, baseline)})."
        )
        if trend == WORSE:
            sentence += " Your clinician sees this too: it is worth talking about together."
    return ScoreStory(
        code=instrument.code,
        about=ABOUT.get(instrument.code, instrument.measures),
        direction_note=direction_note(instrument),
        sentence=sentence,
        trend=trend,
        answered=len(totals),
    )
