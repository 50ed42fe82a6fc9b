"""Properties of scoring that must hold for every valid (and invalid) answer set."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.measures.instruments import INSTRUMENTS, get_instrument
from clinic.measures.scoring import InvalidAnswers, band_for, score

# No example database, so the suite leaves no .hypothesis folder in the checkout; no deadline,
# so a slow CI machine cannot turn timing into a failure.
pure = settings(database=None, deadline=None)

PHQ9 = get_instrument("PHQ-9")
GAD7 = get_instrument("GAD-7")
RSES = get_instrument("RSES")
WHO5 = get_instrument("WHO-5")
PCL5 = get_instrument("PCL-5")


def valid_answers(instrument):
    return st.tuples(*(st.sampled_from(sorted(item.values)) for item in instrument.items))


@pytest.mark.parametrize(
    ("instrument", "low", "high"),
    [(RSES, 0, 30), (WHO5, 0, 25), (PCL5, 0, 80)],
    ids=lambda value: getattr(value, "code", None),
)
@pure
@given(data=st.data())
def test_totals_stay_in_range(instrument, low, high, data):
    answers = data.draw(valid_answers(instrument))
    result = score(instrument, answers)
    assert low <= result.total <= high
    assert result.prorated is False
    if instrument is WHO5:
        assert result.percentage == 4 * result.total
        assert 0 <= result.percentage <= 100
    if instrument is PCL5:
        assert sum(result.clusters.values()) == result.total


@pure
@given(answers=valid_answers(WHO5))
def test_who5_total_is_the_raw_sum(answers):
    assert score(WHO5, answers).total == sum(answers)


@pure
@given(answers=valid_answers(PCL5))
def test_pcl5_total_is_the_raw_sum_and_case_from_33(answers):
    result = score(PCL5, answers)
    assert result.total == sum(answers)
    assert result.is_case is (result.total >= 33)
    assert ("review_item" in result.risk_flags) is (answers[15] >= 3)


@pytest.mark.parametrize(
    "instrument", list(INSTRUMENTS.values()), ids=lambda instrument: instrument.code
)
def test_bands_are_monotonic_in_total(instrument):
    """Concern never falls as a total moves in the instrument's worse direction."""
    totals = range(instrument.min_total, instrument.max_total + 1)
    if not instrument.higher_is_worse:
        totals = reversed(totals)
    bands = [band_for(instrument, total) for total in totals]
    ranks = [band.severity_rank for band in bands if band is not None]
    assert ranks == sorted(ranks)
    if instrument.bands:
        assert len(ranks) == instrument.max_total - instrument.min_total + 1
        assert ranks[0] == 0


@pure
@given(answers=valid_answers(RSES))
def test_rses_flipping_every_answer_mirrors_the_total(answers):
    """r -> 3 - r on every item, reversed or not, turns a total t into 30 - t."""
    flipped = tuple(3 - raw for raw in answers)
    assert score(RSES, flipped).total == 30 - score(RSES, answers).total


@pure
@given(answers=valid_answers(RSES))
def test_rses_reverses_exactly_items_2_5_6_8_9(answers):
    expected = sum(
        3 - raw if number in {2, 5, 6, 8, 9} else raw for number, raw in enumerate(answers, start=1)
    )
    assert score(RSES, answers).total == expected


NOT_AN_OPTION = st.one_of(
    st.integers().filter(lambda value: not 0 <= value <= 5),
    st.booleans(),
    st.floats(allow_nan=False),
    st.sampled_from(["1", "", b"2", [1], {}]),
)


@pytest.mark.parametrize(
    "instrument", list(INSTRUMENTS.values()), ids=lambda instrument: instrument.code
)
@pure
@given(data=st.data())
def test_a_bad_value_is_rejected_with_a_message_for_that_item_only(instrument, data):
    answers = list(data.draw(valid_answers(instrument)))
    position = data.draw(st.integers(0, len(answers) - 1))
    bad = data.draw(NOT_AN_OPTION)
    answers[position] = bad
    with pytest.raises(InvalidAnswers) as caught:
        score(instrument, answers, allow_missing=True)
    assert list(caught.value.errors) == [position + 1]
    assert "expected one of" in caught.value.errors[position + 1]


@pytest.mark.parametrize(
    ("instrument", "value"),
    [(PHQ9, 4), (GAD7, -1), (RSES, 4), (WHO5, 6), (PCL5, 5)],
    ids=lambda value: getattr(value, "code", None),
)
def test_one_above_or_below_the_scale_is_not_an_option(instrument, value):
    answers = [0] * len(instrument.items)
    answers[0] = value
    with pytest.raises(InvalidAnswers) as caught:
        score(instrument, answers)
    choices = ", ".join(str(option) for option in sorted(instrument.items[0].values))
    assert caught.value.errors == {1: f"{value} is not an option here; expected one of {choices}."}


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        pytest.param([0] * 8, {9: "No answer: PHQ-9 needs 9 answers, got 8."}, id="too-few"),
        pytest.param(
            [0] * 11,
            {
                10: "Unexpected answer: PHQ-9 has 9 scored items, got 11 answers.",
                11: "Unexpected answer: PHQ-9 has 9 scored items, got 11 answers.",
            },
            id="too-many",
        ),
        pytest.param(
            [True, 0, 1.0, 0, 0, 0, 0, 0, "3"],
            {
                1: "True is not a whole number; expected one of 0, 1, 2, 3.",
                3: "1.0 is not a whole number; expected one of 0, 1, 2, 3.",
                9: "'3' is not a whole number; expected one of 0, 1, 2, 3.",
            },
            id="not-whole-numbers",
        ),
    ],
)
def test_wrong_count_and_types_give_per_item_messages(answers, errors):
    with pytest.raises(InvalidAnswers) as caught:
        score(PHQ9, answers)
    assert caught.value.errors == errors
    assert isinstance(caught.value, ValueError)


def test_a_string_is_not_a_sequence_of_answers():
    with pytest.raises(TypeError):
        score(PHQ9, "000000000")


@pytest.mark.parametrize("allow_missing", [False, True])
@pytest.mark.parametrize(
    "instrument", [GAD7, RSES, WHO5, PCL5], ids=lambda instrument: instrument.code
)
def test_no_missing_items_outside_phq9(instrument, allow_missing):
    answers = [min(instrument.items[0].values)] * len(instrument.items)
    answers[1] = None
    with pytest.raises(InvalidAnswers) as caught:
        score(instrument, answers, allow_missing=allow_missing)
    assert list(caught.value.errors) == [2]
    assert caught.value.errors[2].startswith("Answer required")


def test_patient_link_forms_allow_no_missing_phq9_item():
    with pytest.raises(InvalidAnswers) as caught:
        score(PHQ9, [1, 1, 1, 1, 1, 1, 1, 1, None])
    assert caught.value.errors == {9: "Answer required."}


def test_three_missing_phq9_items_are_rejected():
    with pytest.raises(InvalidAnswers) as caught:
        score(PHQ9, [None, 1, None, 1, 1, 1, 1, None, 0], allow_missing=True)
    message = "Answer required: at most 2 items may be missing on a PHQ-9, 3 are."
    assert caught.value.errors == {1: message, 3: message, 8: message}


@pytest.mark.parametrize(
    ("answers", "total", "band", "flags"),
    [
        # 8 answered summing to 4: 4 * 9 / 8 = 4.5 rounds half up to 5 (round() would give 4).
        pytest.param([1, 1, 1, 1, 0, 0, 0, None, 0], 5, "mild", (), id="4.5-to-5"),
        # 8 answered summing to 20: 22.5 -> 23 (round() would give 22).
        pytest.param([3, 3, 3, 3, 2, 2, 2, None, 2], 23, "severe", ("risk_item",), id="22.5-to-23"),
        # 7 answered summing to 7: the mean 1 fills both gaps: 9 exactly.
        pytest.param(
            [1, None, 1, 1, 1, None, 1, 1, 1], 9, "mild", ("risk_item",), id="two-missing"
        ),
        # 8 answered summing to 9: 81 / 8 = 10.125 -> 10, a case.
        pytest.param([None, 2, 2, 1, 1, 1, 1, 1, 0], 10, "moderate", (), id="10.125-to-10"),
        # Item 9 blank: prorated and flagged as an unanswered risk item.
        pytest.param(
            [1, 1, 1, 1, 0, 0, 0, 0, None], 5, "mild", ("risk_item_unanswered",), id="item9-blank"
        ),
    ],
)
def test_phq9_missing_items_are_prorated_half_up(answers, total, band, flags):
    result = score(PHQ9, answers, allow_missing=True)
    assert result.total == total
    assert result.band.label == band
    assert result.risk_flags == flags
    assert result.prorated is True


@pure
@given(
    answers=valid_answers(PHQ9),
    missing=st.sets(st.integers(0, 8), min_size=1, max_size=2),
)
def test_phq9_proration_matches_exact_arithmetic(answers, missing):
    """Total = answered sum x 9 / answered count, rounded half up, for 1 or 2 blanks."""
    with_blanks = [None if position in missing else raw for position, raw in enumerate(answers)]
    answered = [raw for raw in with_blanks if raw is not None]
    exact = Fraction(sum(answered) * 9, len(answered))
    half_up = int(exact + Fraction(1, 2))  # int() floors a non-negative Fraction
    result = score(PHQ9, with_blanks, allow_missing=True)
    assert result.total == half_up
    assert 0 <= result.total <= 27
    assert result.prorated is True
    assert result.is_case is (half_up >= 10)
    assert ("risk_item_unanswered" in result.risk_flags) is (8 in missing)


@pure
@given(answers=valid_answers(PHQ9))
def test_complete_phq9_is_never_prorated(answers):
    result = score(PHQ9, answers, allow_missing=True)
    assert result.prorated is False
    assert result.total == sum(answers)


@pytest.mark.parametrize("total", [-1, 28, True, 5.0, "5"])
def test_band_for_rejects_impossible_totals(total):
    with pytest.raises(ValueError, match="PHQ-9 total"):
        band_for(PHQ9, total)
