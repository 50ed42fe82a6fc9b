"""WHO-5 Well-Being Index, as given in shared/INSTRUMENTS.md.

Higher is better. The stored and reported ``total`` is the raw sum (0-25); the percentage
(raw x 4) is shown beside it, and change over time is judged in percentage points.
"""

from decimal import Decimal

from clinic.measures.instruments.base import Band, Caseness, FlagRule, Instrument, Item, Option

INSTRUCTIONS = (
    "Please indicate for each of the five statements which is closest to how you have been "
    "feeling over the last two weeks. Notice that higher numbers mean better well-being."
)

FREQUENCY_OPTIONS = (
    Option(5, "All of the time"),
    Option(4, "Most of the time"),
    Option(3, "More than half of the time"),
    Option(2, "Less than half of the time"),
    Option(1, "Some of the time"),
    Option(0, "At no time"),
)

_ITEMS = (
    "I have felt cheerful and in good spirits",
    "I have felt calm and relaxed",
    "I have felt active and vigorous",
    "I woke up feeling fresh and rested",
    "My daily life has been filled with things that interest me",
)

PERCENTAGE_FACTOR = 4
# Decision (INSTRUMENTS.md): reliable change is 10 percentage points, i.e. 2.5 raw points.
RELIABLE_CHANGE_PERCENTAGE_POINTS = 10

WHO5 = Instrument(
    code="WHO-5",
    version="1",
    title="WHO-5 Well-Being Index",
    measures="well-being",
    instructions=INSTRUCTIONS,
    stem="Over the last two weeks",
    recall_period="the last two weeks",
    items=tuple(
        Item(number, text, FREQUENCY_OPTIONS) for number, text in enumerate(_ITEMS, start=1)
    ),
    higher_is_worse=False,
    bands=(
        Band(0, 12, "poor well-being", 1, "poor", note="assess for depression"),
        Band(13, 25, "adequate well-being", 0, "adequate"),
    ),
    caseness=Caseness("<", 13, "poor well-being"),
    reliable_change=Decimal(RELIABLE_CHANGE_PERCENTAGE_POINTS) / PERCENTAGE_FACTOR,
    flag_rules=(
        FlagRule(
            code="item_flag",
            items=(1, 2, 3, 4, 5),
            comparison="<=",
            value=1,
            description="item flag: a single item answered 0 or 1, review",
        ),
    ),
    default_frequency_weeks=1,
    suggested_frequencies_weeks=(1, 2),
    loinc_panel=None,
    loinc_total=None,
    source="WHO (1998) and Psykiatri Region H",
    attribution="WHO-5 Well-Being Index: WHO (1998) and Psykiatri Region H",
    permission=(
        "A 2024 WHO republication may be licensed CC BY-NC-SA 3.0 IGO (unconfirmed): "
        "keep the attribution and flag the licence"
    ),
    percentage_factor=PERCENTAGE_FACTOR,
    decisions=("Reliable change threshold: 10 percentage points (2.5 raw points).",),
)
