"""Released scores in plain words: each instrument's direction (INSTRUMENTS.md), reliable change
as the line between "about the same" and a change, totals only."""

import pytest

from clinic.measures.instruments import INSTRUMENT_CODES, get_instrument
from clinic.measures.plain_words import (
    BETTER,
    ONCE,
    SAME,
    WORSE,
    score_story,
    score_text,
)

PHQ9, GAD7, WHO5, RSES, PCL5 = (
    get_instrument(c) for c in ("PHQ-9", "GAD-7", "WHO-5", "RSES", "PCL-5")
)


def test_phq9_lower_than_when_you_started_is_better():
    story = score_story(PHQ9, [18, 14, 11])  # d = 7 >= 6: reliable improvement
    assert story.trend == BETTER
    assert story.sentence == (
        "Your latest score is 11 out of 27, lower than when you started (18 out of 27)."
    )
    assert story.direction_note == "On this questionnaire a lower score is better."
    assert (story.about, story.answered) == ("low mood", 3)


def test_a_change_smaller_than_the_reliable_change_reads_about_the_same():
    assert score_story(PHQ9, [12, 7]).trend == SAME  # d = 5 < 6
    assert "about the same as when you started" in score_story(PHQ9, [12, 7]).sentence
    assert score_story(GAD7, [6, 9]).trend == SAME  # -d = 3 < 4


def test_gad7_higher_is_worse_and_says_so_calmly():
    story = score_story(GAD7, [6, 11])  # -d = 5 >= 4
    assert story.trend == WORSE
    assert "higher than when you started" in story.sentence
    assert story.sentence.endswith(
        "Your clinician sees this too: it is worth talking about together."
    )


def test_who5_higher_is_better_in_percent():
    story = score_story(WHO5, [8, 11])  # 32% -> 44%: +12 points >= 10
    assert story.trend == BETTER
    assert story.sentence == (
        "Your latest score is 44 out of 100, higher than when you started (32 out of 100)."
    )
    assert story.direction_note == "On this questionnaire a higher score is better."


def test_rses_has_no_threshold_so_any_raw_change_is_named():
    assert score_story(RSES, [15, 16]).trend == BETTER
    assert "higher than when you started" in score_story(RSES, [15, 16]).sentence
    assert score_story(RSES, [15, 14]).trend == WORSE
    assert score_story(RSES, [15, 15]).trend == SAME


def test_pcl5_lower_is_better():
    assert "lower than when you started" in score_story(PCL5, [50, 30]).sentence


def test_one_answer_and_no_answer():
    story = score_story(PHQ9, [9])
    assert (story.trend, story.sentence) == (ONCE, "You have answered it once so far: 9 out of 27.")
    assert score_story(PHQ9, []) is None


def test_a_prorated_latest_total_is_marked():
    assert "(estimated: a few answers were missing)" in score_story(PHQ9, [9, 8], True).sentence


@pytest.mark.parametrize("code", INSTRUMENT_CODES)
def test_no_sentence_names_a_band_or_risk(code):
    instrument = get_instrument(code)
    low, high = instrument.min_total, instrument.max_total
    for totals in ([low, high], [high, low], [high]):
        words = score_story(instrument, totals).sentence.lower()
        assert "risk" not in words and "severe" not in words
        assert score_text(instrument, totals[-1]) in words
