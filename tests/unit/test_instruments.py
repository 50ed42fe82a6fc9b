"""Instrument definitions match shared/INSTRUMENTS.md: codes, items, options, LOINC, wording."""

import importlib
from decimal import Decimal

import pytest

from clinic.measures.instruments import (
    INSTRUMENT_CODES,
    INSTRUMENTS,
    get_instrument,
    project_decisions,
)
from clinic.measures.instruments.gad7 import GAD7
from clinic.measures.instruments.pcl5 import PCL5
from clinic.measures.instruments.phq9 import PHQ9
from clinic.measures.instruments.rses import RSES
from clinic.measures.instruments.who5 import WHO5


def short_id(value):
    """Test ids: the instrument code, item numbers as they are, long texts left out."""
    if hasattr(value, "code"):
        return value.code
    return "text" if isinstance(value, str) else None


def option_pairs(item):
    return [(option.label, option.value) for option in item.options]


def test_registry_lists_the_five_codes_in_a_stable_order():
    assert INSTRUMENT_CODES == ("PHQ-9", "GAD-7", "RSES", "WHO-5", "PCL-5")
    assert list(INSTRUMENTS) == list(INSTRUMENT_CODES)
    assert [INSTRUMENTS[code].code for code in INSTRUMENT_CODES] == list(INSTRUMENT_CODES)
    assert get_instrument("PHQ-9") is PHQ9
    assert get_instrument("PCL-5") is PCL5


@pytest.mark.parametrize("code", ["PHQ9", "phq-9", "BDI-II", ""])
def test_unknown_code_raises_key_error_naming_the_known_codes(code):
    with pytest.raises(KeyError, match="known codes: PHQ-9, GAD-7, RSES, WHO-5, PCL-5"):
        get_instrument(code)


def test_instrument_definitions_import_no_web_stack():
    """Scoring must be importable by a worker or a script without Flask or SQLAlchemy."""
    modules = [f"clinic.measures.instruments.{name}" for name in ("base", "phq9", "gad7")]
    modules += [f"clinic.measures.instruments.{name}" for name in ("rses", "who5", "pcl5")]
    modules += ["clinic.measures.instruments", "clinic.measures.scoring", "clinic.measures.change"]
    for module in modules:
        source = importlib.import_module(module).__file__
        with open(source, encoding="utf-8") as handle:
            text = handle.read()
        assert "flask" not in text.lower()
        assert "sqlalchemy" not in text.lower()


@pytest.mark.parametrize(
    ("code", "item_count", "min_total", "max_total", "higher_is_worse"),
    [
        ("PHQ-9", 9, 0, 27, True),
        ("GAD-7", 7, 0, 21, True),
        ("RSES", 10, 0, 30, False),
        ("WHO-5", 5, 0, 25, False),
        ("PCL-5", 20, 0, 80, True),
    ],
)
def test_item_counts_ranges_and_direction(code, item_count, min_total, max_total, higher_is_worse):
    instrument = get_instrument(code)
    assert len(instrument.items) == item_count
    assert [item.number for item in instrument.items] == list(range(1, item_count + 1))
    assert (instrument.min_total, instrument.max_total) == (min_total, max_total)
    assert instrument.higher_is_worse is higher_is_worse
    assert instrument.version == "1"


@pytest.mark.parametrize(
    ("code", "options"),
    [
        (
            "PHQ-9",
            [
                ("Not at all", 0),
                ("Several days", 1),
                ("More than half the days", 2),
                ("Nearly every day", 3),
            ],
        ),
        (
            "GAD-7",
            [
                ("Not at all", 0),
                ("Several days", 1),
                ("More than half the days", 2),
                ("Nearly every day", 3),
            ],
        ),
        (
            "RSES",
            [("Strongly agree", 3), ("Agree", 2), ("Disagree", 1), ("Strongly disagree", 0)],
        ),
        (
            "WHO-5",
            [
                ("All of the time", 5),
                ("Most of the time", 4),
                ("More than half of the time", 3),
                ("Less than half of the time", 2),
                ("Some of the time", 1),
                ("At no time", 0),
            ],
        ),
        (
            "PCL-5",
            [
                ("Not at all", 0),
                ("A little bit", 1),
                ("Moderately", 2),
                ("Quite a bit", 3),
                ("Extremely", 4),
            ],
        ),
    ],
)
def test_every_item_has_the_published_options(code, options):
    for item in get_instrument(code).items:
        assert option_pairs(item) == options, f"{code} item {item.number}"
        assert item.scored is True


def test_rses_reversal_is_bound_to_items_2_5_6_8_9():
    assert [item.number for item in RSES.items if item.reverse] == [2, 5, 6, 8, 9]
    reversed_item = RSES.item(2)
    assert reversed_item.text == "At times I think I am no good at all."
    assert [reversed_item.score(raw) for raw in (3, 2, 1, 0)] == [0, 1, 2, 3]
    assert [RSES.item(1).score(raw) for raw in (3, 2, 1, 0)] == [3, 2, 1, 0]


@pytest.mark.parametrize("instrument", [PHQ9, GAD7, WHO5, PCL5], ids=lambda i: i.code)
def test_no_reverse_scoring_outside_rses(instrument):
    assert not any(item.reverse for item in instrument.items)


def test_phq9_loinc_codes():
    assert PHQ9.loinc_panel == "44249-1"
    assert PHQ9.loinc_total == "44261-6"
    assert [item.loinc for item in PHQ9.items] == [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
    ]
    for item in PHQ9.items:
        assert [option.loinc_answer for option in item.options] == [
            "LA6568-5",
            "LA6569-3",
            "LA6570-1",
            "LA6571-9",
        ]


def test_phq9_item_10_is_optional_unscored_with_its_own_loinc_answers():
    """Very difficult is LA6575-0 and Extremely difficult LA6574-3: not in numeric order."""
    assert len(PHQ9.items) == 9
    (item10,) = PHQ9.optional_items
    assert PHQ9.item(10) is item10
    assert item10.number == 10
    assert item10.scored is False
    assert item10.loinc == "69722-7"
    assert item10.text == (
        "If you checked off any problems, how difficult have these problems made it for you to "
        "do your work, take care of things at home, or get along with other people?"
    )
    assert [(option.label, option.loinc_answer) for option in item10.options] == [
        ("Not difficult at all", "LA6572-7"),
        ("Somewhat difficult", "LA6573-5"),
        ("Very difficult", "LA6575-0"),
        ("Extremely difficult", "LA6574-3"),
    ]


def test_gad7_loinc_codes():
    assert GAD7.loinc_panel == "69737-5"
    assert GAD7.loinc_total == "70274-6"
    assert [item.loinc for item in GAD7.items] == [
        "69725-0",
        "68509-9",
        "69733-4",
        "69734-2",
        "69735-9",
        "69689-8",
        "69736-7",
    ]
    for item in GAD7.items:
        assert [option.loinc_answer for option in item.options] == [
            "LA6568-5",
            "LA6569-3",
            "LA6570-1",
            "LA6571-9",
        ]


@pytest.mark.parametrize("instrument", [RSES, WHO5, PCL5], ids=lambda i: i.code)
def test_no_loinc_codes_where_none_are_verified(instrument):
    assert instrument.loinc_panel is None
    assert instrument.loinc_total is None
    assert all(item.loinc is None for item in instrument.items)
    assert all(option.loinc_answer is None for item in instrument.items for option in item.options)


@pytest.mark.parametrize(
    ("instrument", "number", "text"),
    [
        (PHQ9, 1, "Little interest or pleasure in doing things"),
        (
            PHQ9,
            6,
            "Feeling bad about yourself \u2014 or that you are a failure or have let yourself or "
            "your family down",
        ),
        (
            PHQ9,
            8,
            "Moving or speaking so slowly that other people could have noticed? Or the opposite "
            "\u2014 being so fidgety or restless that you have been moving around a lot more than "
            "usual",
        ),
        (PHQ9, 9, "Thoughts that you would be better off dead or of hurting yourself in some way"),
        (GAD7, 2, "Not being able to stop or control worrying"),
        (GAD7, 7, "Feeling afraid, as if something awful might happen"),
        (RSES, 7, "I feel that I'm a person of worth, at least on an equal plane with others."),
        (RSES, 9, "All in all, I am inclined to feel that I am a failure."),
        (WHO5, 1, "I have felt cheerful and in good spirits"),
        (WHO5, 5, "My daily life has been filled with things that interest me"),
        (PCL5, 16, "Taking too many risks or doing things that could cause you harm?"),
        (PCL5, 17, 'Being "superalert" or watchful or on guard?'),
        (
            PCL5,
            9,
            "Having strong negative beliefs about yourself, other people, or the world (for "
            "example, having thoughts such as: I am bad, there is something seriously wrong with "
            "me, no one can be trusted, the world is completely dangerous)?",
        ),
    ],
    ids=short_id,
)
def test_item_wording_is_exact(instrument, number, text):
    assert instrument.item(number).text == text


@pytest.mark.parametrize(
    ("instrument", "stem"),
    [
        (
            PHQ9,
            "Over the last 2 weeks, how often have you been bothered by any of the following "
            "problems?",
        ),
        (
            GAD7,
            "Over the last 2 weeks, how often have you been bothered by the following problems?",
        ),
        (WHO5, "Over the last two weeks"),
        (PCL5, "In the past month, how much were you bothered by:"),
        (RSES, None),
    ],
    ids=short_id,
)
def test_stems(instrument, stem):
    assert instrument.stem == stem


def test_instructions_where_given():
    assert RSES.instructions == (
        "Below is a list of statements dealing with your general feelings about yourself. "
        "Please indicate how strongly you agree or disagree with each statement."
    )
    assert WHO5.instructions.endswith("Notice that higher numbers mean better well-being.")
    assert PCL5.instructions.startswith("Below is a list of problems that people sometimes have")


@pytest.mark.parametrize(
    ("code", "bands"),
    [
        (
            "PHQ-9",
            [
                (0, 4, "minimal"),
                (5, 9, "mild"),
                (10, 14, "moderate"),
                (15, 19, "moderately severe"),
                (20, 27, "severe"),
            ],
        ),
        ("GAD-7", [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")]),
        ("RSES", []),
        ("WHO-5", [(0, 12, "poor well-being"), (13, 25, "adequate well-being")]),
        ("PCL-5", [(0, 32, "below cutoff"), (33, 80, "above cutoff")]),
    ],
)
def test_bands(code, bands):
    instrument = get_instrument(code)
    assert [(band.low, band.high, band.label) for band in instrument.bands] == bands


@pytest.mark.parametrize(
    ("code", "comparison", "cutoff", "reliable_change"),
    [
        ("PHQ-9", ">=", 10, 6),
        ("GAD-7", ">=", 8, 4),
        ("WHO-5", "<", 13, Decimal("2.5")),
        ("PCL-5", ">=", 33, 10),
    ],
)
def test_caseness_and_reliable_change(code, comparison, cutoff, reliable_change):
    instrument = get_instrument(code)
    assert (instrument.caseness.comparison, instrument.caseness.cutoff) == (comparison, cutoff)
    assert instrument.reliable_change == reliable_change


def test_rses_has_no_bands_caseness_or_reliable_change():
    assert RSES.bands == ()
    assert RSES.caseness is None
    assert RSES.reliable_change is None
    assert [(line.value, line.label) for line in RSES.chart_lines] == [
        (15, "conventional low self-esteem line (not validated)")
    ]


def test_who5_percentage_and_threshold_in_percentage_points():
    assert WHO5.percentage_factor == 4
    assert WHO5.reliable_change * WHO5.percentage_factor == 10
    assert all(instrument.percentage_factor is None for instrument in (PHQ9, GAD7, RSES, PCL5))


@pytest.mark.parametrize(
    ("code", "weeks", "suggested"),
    [
        ("PHQ-9", 1, (1,)),
        ("GAD-7", 1, (1,)),
        ("WHO-5", 1, (1, 2)),
        ("RSES", 4, (4,)),
        ("PCL-5", 4, (4,)),
    ],
)
def test_default_frequency(code, weeks, suggested):
    instrument = get_instrument(code)
    assert instrument.default_frequency_weeks == weeks
    assert instrument.suggested_frequencies_weeks == suggested


def test_flag_rules_as_data():
    (phq_rule,) = PHQ9.flag_rules
    assert (phq_rule.code, phq_rule.items, phq_rule.comparison, phq_rule.value) == (
        "risk_item",
        (9,),
        ">",
        0,
    )
    assert phq_rule.unanswered_code == "risk_item_unanswered"
    assert phq_rule.unanswered_description == "risk item unanswered"
    (pcl_rule,) = PCL5.flag_rules
    assert (pcl_rule.code, pcl_rule.items, pcl_rule.comparison, pcl_rule.value) == (
        "review_item",
        (16,),
        ">=",
        3,
    )
    (who_rule,) = WHO5.flag_rules
    assert (who_rule.code, who_rule.items, who_rule.comparison, who_rule.value) == (
        "item_flag",
        (1, 2, 3, 4, 5),
        "<=",
        1,
    )
    assert GAD7.flag_rules == RSES.flag_rules == ()


def test_missing_item_rule_only_on_phq9():
    assert PHQ9.missing_rule.max_missing == 2
    assert all(instrument.missing_rule is None for instrument in (GAD7, RSES, WHO5, PCL5))


def test_pcl5_clusters():
    assert {cluster.key: cluster.items for cluster in PCL5.clusters} == {
        "B": (1, 2, 3, 4, 5),
        "C": (6, 7),
        "D": (8, 9, 10, 11, 12, 13, 14),
        "E": (15, 16, 17, 18, 19, 20),
    }


def test_phq9_response_and_remission_rules():
    assert PHQ9.response_rule.response_percent_of_baseline == 50
    assert PHQ9.response_rule.remission_below == 5
    assert all(instrument.response_rule is None for instrument in (GAD7, RSES, WHO5, PCL5))


def test_attribution_and_citation():
    assert RSES.show_attribution_with_scale is True
    assert "Rosenberg (1989), Society and the Adolescent Self-Image" in RSES.attribution
    assert "Spitzer" in PHQ9.attribution and "Pfizer" in PHQ9.attribution
    assert "Pfizer" in GAD7.attribution
    assert "Psykiatri Region H" in WHO5.attribution
    assert "National Center for PTSD" in PCL5.source
    assert PCL5.permission == "Public domain"


def test_project_decisions_are_listed_in_one_place():
    decisions = project_decisions()
    assert {code for code, _ in decisions} == {"RSES", "WHO-5", "PCL-5"}
    assert any("33" in text for code, text in decisions if code == "PCL-5")
    assert any("10 percentage points" in text for code, text in decisions if code == "WHO-5")
