"""The clinic outcome summary (shared/INSTRUMENTS.md, "Clinic outcome summary") against
hand-worked examples: recovery over cases, the other rates over all episodes, small numbers
withheld, adherence bands at their edges."""

import pytest

from clinic.reports.outcome_summary import (
    FROM_50_TO_79,
    FROM_80,
    NO_PROGRAM,
    UNDER_50,
    EpisodeResult,
    Rate,
    adherence_band,
    outcome_summary,
    summarise_group,
)


def episode(
    case, recovered, improved, recovery, deteriorated, clinician="Ash", program="P", adherence=None
):
    return EpisodeResult(
        case, recovered, improved, recovery, deteriorated, clinician, program, adherence
    )


# A: case, recovered, reliable improvement -> reliable recovery
# B: case, recovered, no reliable change
# C: case, not recovered, reliable improvement
# D: case, not recovered, reliable deterioration
# E: not a case, reliable improvement
# F: not a case, no reliable change
SIX = [
    episode(True, True, True, True, False, adherence=90),
    episode(True, True, False, False, False, adherence=80),
    episode(True, False, True, False, False, clinician="Birch", adherence=79),
    episode(True, False, False, False, True, clinician="Birch", program="Q", adherence=50),
    episode(False, False, True, False, False, program="Q", adherence=49),
    episode(False, False, False, False, False, program="Q"),
]


def test_six_episodes_four_cases():
    group = summarise_group("All", SIX)
    assert (group.episodes, group.cases) == (6, 4)
    # Recovery 2 of 4 cases: fewer than 5 in the denominator, withheld with its numerator.
    assert group.recovery == Rate(2, 4)
    assert group.recovery.withheld and group.recovery.percent is None
    assert group.recovery.words == "withheld: 4 episodes, fewer than 5"
    # Reliable improvement 3 of 6 = 50 %; reliable recovery 1 of 6 = 16.67 -> 17 %;
    # reliable deterioration 1 of 6 -> 17 %.
    assert group.reliable_improvement.words == "3 of 6 (50%)"
    assert group.reliable_recovery.words == "1 of 6 (17%)"
    assert group.reliable_deterioration.words == "1 of 6 (17%)"


def test_a_fifth_case_shows_the_recovery_rate():
    seven = [*SIX, episode(True, True, True, True, False)]
    group = summarise_group("All", seven)
    assert group.recovery.words == "3 of 5 (60%)"  # 3 recovered of 5 cases
    assert group.reliable_improvement.words == "4 of 7 (57%)"  # 57.14
    assert group.reliable_recovery.words == "2 of 7 (29%)"  # 28.57
    assert group.reliable_deterioration.words == "1 of 7 (14%)"  # 14.29


def test_rates_round_half_up_and_empty_groups_say_so():
    assert Rate(1, 8).percent == 13  # 12.5
    assert Rate(5, 8).percent == 63  # 62.5
    assert Rate(0, 5).words == "0 of 5 (0%)"
    assert Rate(0, 0).words == "no episodes" and Rate(0, 0).percent is None
    assert Rate(1, 1).words == "withheld: 1 episode, fewer than 5"


@pytest.mark.parametrize(
    ("percent", "band"),
    [
        (0, UNDER_50),
        (49, UNDER_50),
        (50, FROM_50_TO_79),
        (79, FROM_50_TO_79),
        (80, FROM_80),
        (100, FROM_80),
        (None, NO_PROGRAM),
    ],
)
def test_adherence_bands_at_their_edges(percent, band):
    assert adherence_band(percent) == band


def test_breakdowns_by_clinician_program_and_adherence_band():
    summary = outcome_summary(SIX, overall_label="Clinic")
    assert summary.overall.label == "Clinic" and summary.overall.episodes == 6
    assert [(g.label, g.episodes, g.cases) for g in summary.by_clinician] == [
        ("Ash", 4, 2),
        ("Birch", 2, 2),
    ]
    assert [(g.label, g.episodes) for g in summary.by_program] == [("P", 3), ("Q", 3)]
    # Bands in their own order, empty ones left out: 90, 80 | 79, 50 | 49 | none.
    assert [(g.label, g.episodes) for g in summary.by_adherence] == [
        (UNDER_50, 1),
        (FROM_50_TO_79, 2),
        (FROM_80, 2),
        (NO_PROGRAM, 1),
    ]
    by_band = {g.label: g for g in summary.by_adherence}
    assert by_band[FROM_80].recovery == Rate(2, 2)
    assert by_band[FROM_50_TO_79].reliable_deterioration == Rate(1, 2)


def test_no_episodes():
    summary = outcome_summary([])
    assert summary.overall.episodes == 0 and summary.overall.recovery.words == "no episodes"
    assert summary.by_clinician == summary.by_program == summary.by_adherence == ()


def test_the_chart_draws_no_bar_for_a_withheld_rate_and_escapes_labels():
    from xml.etree import ElementTree

    from clinic.charts import rate_bars_svg

    svg = rate_bars_svg(
        [
            (
                "Ash & <Co>",
                [("Recovery", 60, "3 of 5 (60%)"), ("Reliable improvement", None, "withheld")],
            )
        ],
        title="Rates",
        description="Bars",
        prefix="t",
    )
    root = ElementTree.fromstring(svg)  # noqa: S314 -- our own output, not untrusted input
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in root.iter(f"{ns}rect") if r.get("fill") != "#ffffff"]
    assert len(bars) == 1  # the withheld rate has words, no bar
    assert float(bars[0].get("width")) == pytest.approx((640 - 158 - 190) * 0.6, abs=0.1)
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "Ash & <Co>" in texts and "withheld" in texts and "3 of 5 (60%)" in texts
