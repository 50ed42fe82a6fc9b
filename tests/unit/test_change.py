"""Change over time: every worked example of shared/INSTRUMENTS.md "Change over time"."""

from types import SimpleNamespace

import pytest

from clinic.measures.change import (
    NO_RELIABLE_CHANGE,
    RELIABLE_DETERIORATION,
    RELIABLE_IMPROVEMENT,
    change_between,
    classify_change,
    classify_paired,
    histories_by_instrument,
)
from clinic.measures.instruments import get_instrument

PHQ9 = get_instrument("PHQ-9")
GAD7 = get_instrument("GAD-7")
RSES = get_instrument("RSES")
WHO5 = get_instrument("WHO-5")
PCL5 = get_instrument("PCL-5")


@pytest.mark.parametrize(
    (
        "baseline",
        "latest",
        "d",
        "reliable",
        "recovery",
        "reliable_recovery",
        "response",
        "remission",
    ),
    [
        pytest.param(18, 11, 7, RELIABLE_IMPROVEMENT, False, False, False, False, id="18-to-11"),
        pytest.param(12, 7, 5, NO_RELIABLE_CHANGE, True, False, False, False, id="12-to-7"),
        pytest.param(16, 8, 8, RELIABLE_IMPROVEMENT, True, True, True, False, id="16-to-8"),
        pytest.param(10, 4, 6, RELIABLE_IMPROVEMENT, True, True, True, True, id="10-to-4"),
    ],
)
def test_phq9_worked_examples(
    baseline, latest, d, reliable, recovery, reliable_recovery, response, remission
):
    change = classify_change(PHQ9, baseline, latest)
    assert change.improvement == d
    assert change.raw_change == latest - baseline
    assert change.threshold == 6
    assert change.reliable == reliable
    assert change.baseline_case is True
    assert change.recovery is recovery
    assert change.reliable_recovery is reliable_recovery
    assert change.response is response
    assert change.remission is remission
    assert change.alert is None


def test_phq9_18_to_11_is_still_a_case():
    change = classify_change(PHQ9, 18, 11)
    assert change.latest_case is True
    assert change.recovery is False


def test_gad7_6_to_11_is_a_reliable_deterioration_that_raises_an_alert():
    change = classify_change(GAD7, 6, 11)
    assert change.improvement == -5
    assert change.reliable == RELIABLE_DETERIORATION
    assert change.alert == "reliable_deterioration"
    # 6 is below the GAD-7 cutoff of 8: not a case at baseline, so recovery is undefined.
    assert change.baseline_case is False
    assert change.latest_case is True
    assert change.recovery is None
    assert change.reliable_recovery is None
    assert change.response is None
    assert change.remission is None


def test_who5_8_to_11_is_judged_in_percentage_points():
    """32% -> 44%: +12 points >= 10, a reliable improvement, still poor well-being."""
    change = classify_change(WHO5, 8, 11)
    assert change.raw_change == 3
    assert change.improvement == 12
    assert change.unit == "percentage points"
    assert change.threshold == 10
    assert change.reliable == RELIABLE_IMPROVEMENT
    assert change.baseline_case is True
    assert change.latest_case is True
    assert change.recovery is False
    assert change.reliable_recovery is False
    assert change.response is None


@pytest.mark.parametrize(
    ("baseline", "latest", "reliable"),
    [
        pytest.param(10, 12, NO_RELIABLE_CHANGE, id="plus-8-points"),
        pytest.param(12, 10, NO_RELIABLE_CHANGE, id="minus-8-points"),
        pytest.param(12, 9, RELIABLE_DETERIORATION, id="minus-12-points"),
        pytest.param(12, 15, RELIABLE_IMPROVEMENT, id="plus-12-recovered"),
    ],
)
def test_who5_threshold_of_10_points_respects_direction(baseline, latest, reliable):
    assert classify_change(WHO5, baseline, latest).reliable == reliable


def test_who5_reliable_recovery():
    change = classify_change(WHO5, 12, 15)
    assert (change.recovery, change.reliable_recovery) == (True, True)


@pytest.mark.parametrize(
    ("instrument", "baseline", "latest", "reliable"),
    [
        (GAD7, 12, 8, RELIABLE_IMPROVEMENT),
        (GAD7, 12, 9, NO_RELIABLE_CHANGE),
        (PHQ9, 4, 10, RELIABLE_DETERIORATION),
        (PHQ9, 4, 9, NO_RELIABLE_CHANGE),
        (PCL5, 45, 35, RELIABLE_IMPROVEMENT),
        (PCL5, 45, 36, NO_RELIABLE_CHANGE),
        (PCL5, 30, 40, RELIABLE_DETERIORATION),
    ],
    ids=lambda value: getattr(value, "code", None),
)
def test_thresholds_are_inclusive(instrument, baseline, latest, reliable):
    assert classify_change(instrument, baseline, latest).reliable == reliable


def test_pcl5_recovery_uses_the_33_cutoff():
    change = classify_change(PCL5, 45, 32)
    assert (change.baseline_case, change.latest_case, change.recovery) == (True, False, True)
    assert change.reliable_recovery is True
    assert change.response is None


@pytest.mark.parametrize(("baseline", "latest"), [(0, 0), (4, 2), (9, 1)])
def test_phq9_response_and_remission_are_undefined_from_a_baseline_not_a_case(baseline, latest):
    """CMS159 and NQF 1885 count only episodes that began as a case (PHQ-9 >= 10)."""
    change = classify_change(PHQ9, baseline, latest)
    assert change.response is None
    assert change.remission is None
    assert change.baseline_case is False
    assert change.recovery is None


def test_rses_never_gets_a_reliable_label():
    """No reliable-change index exists for RSES: only the raw change, for every pair of totals."""
    pairs = 0
    for baseline in range(31):
        for latest in range(31):
            change = classify_change(RSES, baseline, latest)
            assert change.reliable is None
            assert change.threshold is None
            assert change.alert is None
            assert change.raw_change == latest - baseline
            assert change.improvement == latest - baseline
            assert change.baseline_case is change.recovery is change.reliable_recovery is None
            assert change.response is change.remission is None
            pairs += 1
    assert pairs == 31 * 31


@pytest.mark.parametrize(
    ("instrument", "total"),
    [(PHQ9, 28), (PHQ9, -1), (WHO5, 26), (RSES, 31), (GAD7, True), (PCL5, 10.0)],
    ids=lambda value: getattr(value, "code", None),
)
def test_impossible_totals_are_rejected(instrument, total):
    with pytest.raises(ValueError, match=instrument.code):
        classify_change(instrument, total, 0)


def test_paired_worked_example():
    """PHQ-9 14 -> 8 with GAD-7 9 -> 7: recovered, reliable improvement, reliable recovery."""
    outcome = classify_paired(14, 8, 9, 7)
    assert outcome.case_at_baseline is True
    assert outcome.recovered is True
    assert outcome.reliable_improvement is True
    assert outcome.reliable_deterioration is False
    assert outcome.reliable_recovery is True
    assert outcome.phq9.improvement == 6
    assert outcome.gad7.reliable == NO_RELIABLE_CHANGE


@pytest.mark.parametrize(
    ("phq", "gad", "case", "recovered", "improved", "deteriorated", "reliable_recovery"),
    [
        pytest.param((9, 9), (7, 7), False, None, False, False, None, id="not-a-case"),
        pytest.param((8, 8), (8, 7), True, True, False, False, False, id="gad-case-no-change"),
        pytest.param((16, 9), (6, 10), True, False, False, False, False, id="mixed-cancels"),
        pytest.param((16, 9), (12, 8), True, False, True, False, False, id="gad-still-case"),
        pytest.param((5, 11), (5, 9), False, None, False, True, None, id="both-worse"),
    ],
)
def test_paired_rules(phq, gad, case, recovered, improved, deteriorated, reliable_recovery):
    outcome = classify_paired(phq[0], phq[1], gad[0], gad[1])
    assert outcome.case_at_baseline is case
    assert outcome.recovered is recovered
    assert outcome.reliable_improvement is improved
    assert outcome.reliable_deterioration is deteriorated
    assert outcome.reliable_recovery is reliable_recovery


def _response(id_, code, total):
    return SimpleNamespace(id=id_, instrument_code=code, total=total)


def test_histories_come_in_the_standard_order_of_instruments_each_in_the_given_order():
    responses = [_response(1, "GAD-7", 12), _response(2, "PHQ-9", 20), _response(3, "GAD-7", 6),
                 _response(4, "PHQ-9", 9)]
    histories = histories_by_instrument(responses)
    assert [(instrument.code, [r.id for r in history]) for instrument, history in histories] == [
        ("PHQ-9", [2, 4]), ("GAD-7", [1, 3])]
    assert histories_by_instrument([]) == []


def test_change_between_needs_a_baseline_that_is_not_the_latest_response():
    baseline, latest = _response(1, "PHQ-9", 20), _response(2, "PHQ-9", 9)
    assert change_between(PHQ9, None, latest) is None
    assert change_between(PHQ9, baseline, baseline) is None
    assert change_between(PHQ9, baseline, latest) == classify_change(PHQ9, 20, 9)
    assert change_between(PHQ9, baseline, latest).reliable == RELIABLE_IMPROVEMENT
