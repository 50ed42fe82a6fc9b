"""Every possible PHQ-9 (4^9) and GAD-7 (4^7) answer vector, checked against the band tables.

The expected band, case and risk flag are computed here from the tables in
shared/INSTRUMENTS.md, independently of the instrument definitions, and the number of vectors
is asserted so the loop cannot pass by checking nothing.
"""

from itertools import product

import pytest

from clinic.measures.instruments import get_instrument
from clinic.measures.scoring import score

PHQ9_BANDS = [
    (0, 4, "minimal"),
    (5, 9, "mild"),
    (10, 14, "moderate"),
    (15, 19, "moderately severe"),
    (20, 27, "severe"),
]
GAD7_BANDS = [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")]


def label_by_total(bands):
    labels = {}
    for low, high, label in bands:
        for total in range(low, high + 1):
            labels[total] = label
    return labels


@pytest.mark.slow
def test_every_phq9_answer_vector():
    phq9 = get_instrument("PHQ-9")
    expected_band = label_by_total(PHQ9_BANDS)
    checked = 0
    for answers in product(range(4), repeat=9):
        result = score(phq9, answers)
        total = sum(answers)
        assert result.total == total
        assert result.band.label == expected_band[total]
        assert result.is_case is (total >= 10)
        assert result.risk_flags == (("risk_item",) if answers[8] > 0 else ())
        checked += 1
    assert checked == 262144


def test_every_gad7_answer_vector():
    gad7 = get_instrument("GAD-7")
    expected_band = label_by_total(GAD7_BANDS)
    checked = 0
    for answers in product(range(4), repeat=7):
        result = score(gad7, answers)
        total = sum(answers)
        assert result.total == total
        assert result.band.label == expected_band[total]
        assert result.is_case is (total >= 8)
        assert result.risk_flags == ()
        checked += 1
    assert checked == 16384
