"""Every worked scoring example in shared/INSTRUMENTS.md, for every instrument.

Each case is (answers, total, band label, case?, flags); the values are copied from the
document, not computed, so a wrong rule in the code fails here.
"""

import pytest

from clinic.measures.instruments import get_instrument
from clinic.measures.scoring import band_for, score

RISK = ("risk_item",)
REVIEW = ("review_item",)
ITEM_FLAG = ("item_flag",)
NONE = ()

PHQ9_EXAMPLES = [
    pytest.param([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "minimal", False, NONE, id="phq9-0-minimal"),
    pytest.param([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal", False, NONE, id="phq9-4-minimal"),
    pytest.param([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild", False, NONE, id="phq9-5-mild"),
    pytest.param([2, 2, 1, 1, 1, 1, 1, 0, 0], 9, "mild", False, NONE, id="phq9-9-mild"),
    pytest.param(
        [2, 2, 2, 1, 1, 1, 1, 0, 0], 10, "moderate", True, NONE, id="phq9-10-moderate-case"
    ),
    pytest.param(
        [3, 3, 2, 2, 2, 1, 1, 1, 0], 15, "moderately severe", True, NONE, id="phq9-15-mod-severe"
    ),
    pytest.param([3, 3, 3, 3, 2, 2, 2, 1, 1], 20, "severe", True, RISK, id="phq9-20-severe-risk"),
    pytest.param([3, 3, 3, 3, 3, 3, 3, 3, 3], 27, "severe", True, RISK, id="phq9-27-severe-risk"),
    pytest.param([0, 0, 0, 0, 0, 0, 0, 0, 1], 1, "minimal", False, RISK, id="phq9-1-minimal-risk"),
]

GAD7_EXAMPLES = [
    pytest.param([0, 0, 0, 0, 0, 0, 0], 0, "minimal", False, NONE, id="gad7-0-minimal"),
    pytest.param([1, 1, 1, 1, 0, 0, 0], 4, "minimal", False, NONE, id="gad7-4-minimal"),
    pytest.param([1, 1, 1, 1, 1, 0, 0], 5, "mild", False, NONE, id="gad7-5-mild"),
    pytest.param([2, 1, 1, 1, 1, 1, 1], 8, "mild", True, NONE, id="gad7-8-mild-case"),
    pytest.param([2, 2, 2, 1, 1, 1, 1], 10, "moderate", True, NONE, id="gad7-10-moderate"),
    pytest.param([3, 2, 2, 2, 2, 2, 2], 15, "severe", True, NONE, id="gad7-15-severe"),
    pytest.param([3, 3, 3, 3, 3, 3, 3], 21, "severe", True, NONE, id="gad7-21-severe"),
]

PCL5_REVIEW_EXAMPLE = [1] * 20
PCL5_REVIEW_EXAMPLE[16 - 1] = 4

PCL5_EXAMPLES = [
    pytest.param([0] * 20, 0, "below cutoff", False, NONE, id="pcl5-all-0-below"),
    pytest.param([1] * 20, 20, "below cutoff", False, NONE, id="pcl5-all-1-below"),
    pytest.param([2] * 16 + [1] * 4, 36, "above cutoff", True, NONE, id="pcl5-36-above"),
    pytest.param(PCL5_REVIEW_EXAMPLE, 23, "below cutoff", False, REVIEW, id="pcl5-23-review"),
]


@pytest.mark.parametrize(("answers", "total", "band", "is_case", "flags"), PHQ9_EXAMPLES)
def test_phq9_worked_examples(answers, total, band, is_case, flags):
    result = score(get_instrument("PHQ-9"), answers)
    assert result.total == total
    assert result.band.label == band
    assert band_for(get_instrument("PHQ-9"), total).label == band
    assert result.is_case is is_case
    assert result.risk_flags == flags
    assert result.prorated is False
    assert result.percentage is None
    assert result.clusters is None


@pytest.mark.parametrize(("answers", "total", "band", "is_case", "flags"), GAD7_EXAMPLES)
def test_gad7_worked_examples(answers, total, band, is_case, flags):
    result = score(get_instrument("GAD-7"), answers)
    assert result.total == total
    assert result.band.label == band
    assert result.is_case is is_case
    assert result.risk_flags == flags


@pytest.mark.parametrize(
    ("answers", "total"),
    [
        pytest.param([3, 3, 3, 3, 3, 3, 3, 3, 3, 3], 15, id="rses-all-strongly-agree-15"),
        pytest.param([3, 0, 3, 3, 0, 0, 3, 0, 0, 3], 30, id="rses-30"),
        pytest.param([0, 3, 0, 0, 3, 3, 0, 3, 3, 0], 0, id="rses-0"),
        pytest.param([2, 1, 2, 2, 1, 1, 2, 1, 1, 2], 20, id="rses-20"),
    ],
)
def test_rses_worked_examples(answers, total):
    rses = get_instrument("RSES")
    result = score(rses, answers)
    assert result.total == total
    assert result.band is None
    assert band_for(rses, total) is None
    assert result.is_case is None
    assert result.risk_flags == ()


@pytest.mark.parametrize(
    ("answers", "total", "percentage", "band", "flags", "flagged_items"),
    [
        pytest.param([5, 5, 5, 5, 5], 25, 100, "adequate well-being", NONE, (), id="who5-25"),
        pytest.param(
            [3, 3, 2, 2, 3], 13, 52, "adequate well-being", NONE, (), id="who5-13-not-flagged"
        ),
        pytest.param([2, 2, 2, 2, 2], 10, 40, "poor well-being", NONE, (), id="who5-10-poor"),
        pytest.param(
            [3, 3, 3, 3, 1], 13, 52, "adequate well-being", ITEM_FLAG, (5,), id="who5-13-item-flag"
        ),
    ],
)
def test_who5_worked_examples(answers, total, percentage, band, flags, flagged_items):
    result = score(get_instrument("WHO-5"), answers)
    assert result.total == total
    assert result.percentage == percentage
    assert result.band.label == band
    assert result.is_case is (band == "poor well-being")
    assert result.risk_flags == flags
    assert result.flagged_items == flagged_items


@pytest.mark.parametrize(("answers", "total", "band", "is_case", "flags"), PCL5_EXAMPLES)
def test_pcl5_worked_examples(answers, total, band, is_case, flags):
    result = score(get_instrument("PCL-5"), answers)
    assert result.total == total
    assert result.band.label == band
    assert result.is_case is is_case
    assert result.risk_flags == flags
    assert sum(result.clusters.values()) == total


@pytest.mark.parametrize(
    ("answers", "clusters"),
    [
        pytest.param([1] * 20, {"B": 5, "C": 2, "D": 7, "E": 6}, id="all-1"),
        pytest.param([2] * 16 + [1] * 4, {"B": 10, "C": 4, "D": 14, "E": 8}, id="36-above"),
        pytest.param(PCL5_REVIEW_EXAMPLE, {"B": 5, "C": 2, "D": 7, "E": 9}, id="23-review"),
    ],
)
def test_pcl5_cluster_sums_of_the_worked_examples(answers, clusters):
    """Clusters B 1-5, C 6-7, D 8-14, E 15-20 applied to the document's examples."""
    assert score(get_instrument("PCL-5"), answers).clusters == clusters


@pytest.mark.parametrize(
    ("answers", "flags"),
    [
        pytest.param([2] * 15 + [3] + [0] * 4, REVIEW, id="item16-quite-a-bit"),
        pytest.param([0] * 15 + [2] + [4] * 4, NONE, id="item16-moderately"),
    ],
)
def test_pcl5_review_alert_starts_at_quite_a_bit(answers, flags):
    assert score(get_instrument("PCL-5"), answers).risk_flags == flags


@pytest.mark.parametrize(
    ("answers", "flagged_items"),
    [
        pytest.param([0, 5, 5, 5, 5], (1,), id="item1-at-no-time"),
        pytest.param([5, 1, 5, 0, 5], (2, 4), id="items-2-and-4"),
    ],
)
def test_who5_item_flag_on_any_item_0_or_1(answers, flagged_items):
    result = score(get_instrument("WHO-5"), answers)
    assert result.risk_flags == ITEM_FLAG
    assert result.flagged_items == flagged_items


def test_phq9_risk_item_unanswered_on_a_clinician_form():
    """A blank item 9 is not reassurance: it raises its own risk flag."""
    result = score(get_instrument("PHQ-9"), [1, 1, 1, 1, 1, 0, 0, 0, None], allow_missing=True)
    assert result.risk_flags == ("risk_item_unanswered",)
    assert result.flagged_items == (9,)
    assert result.prorated is True
