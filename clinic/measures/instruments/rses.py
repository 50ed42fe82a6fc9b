"""RSES: Rosenberg Self-Esteem Scale (confidence), as given in shared/INSTRUMENTS.md.

Items are in Rosenberg's original order and reversal is bound to the item number: a widely
copied online version reorders the items, and binding by position would silently mis-score it.
There are no official cutoffs and no reliable-change index, so RSES has neither bands nor
caseness, and change over time is reported as a raw difference only.
"""

from clinic.measures.instruments.base import ChartLine, Instrument, Item, Option

INSTRUCTIONS = (
    "Below is a list of statements dealing with your general feelings about yourself. "
    "Please indicate how strongly you agree or disagree with each statement."
)

AGREEMENT_OPTIONS = (
    Option(3, "Strongly agree"),
    Option(2, "Agree"),
    Option(1, "Disagree"),
    Option(0, "Strongly disagree"),
)

# Scored as 3 - raw.
REVERSED_ITEMS = frozenset({2, 5, 6, 8, 9})

_ITEMS = (
    "On the whole, I am satisfied with myself.",
    "At times I think I am no good at all.",
    "I feel that I have a number of good qualities.",
    "I am able to do things as well as most other people.",
    "I feel I do not have much to be proud of.",
    "I certainly feel useless at times.",
    "I feel that I'm a person of worth, at least on an equal plane with others.",
    "I wish I could have more respect for myself.",
    "All in all, I am inclined to feel that I am a failure.",
    "I take a positive attitude toward myself.",
)

CITATION = "Rosenberg (1989), Society and the Adolescent Self-Image."

RSES = Instrument(
    code="RSES",
    version="1",
    title="Rosenberg Self-Esteem Scale (RSES)",
    measures="self-esteem (confidence)",
    instructions=INSTRUCTIONS,
    stem=None,
    recall_period=None,
    items=tuple(
        Item(number, text, AGREEMENT_OPTIONS, reverse=number in REVERSED_ITEMS)
        for number, text in enumerate(_ITEMS, start=1)
    ),
    higher_is_worse=False,
    bands=(),
    caseness=None,
    reliable_change=None,
    flag_rules=(),
    default_frequency_weeks=4,
    suggested_frequencies_weeks=(4,),
    loinc_panel=None,
    loinc_total=None,
    source=(
        "Rosenberg 1965/1989; scoring sheet of the University of Maryland (Rosenberg's department)"
    ),
    attribution=CITATION,
    permission='Permission stated for "educational and professional research", no charge',
    show_attribution_with_scale=True,
    chart_lines=(ChartLine(15, "conventional low self-esteem line (not validated)"),),
    decisions=(
        "No severity bands: there are no official cutoffs (University of Maryland FAQ).",
        "Charts may draw a dashed line at 15 labelled "
        '"conventional low self-esteem line (not validated)".',
        'No established reliable-change index: report the raw change only, never a "reliable" '
        "label.",
        "Default frequency every 4 weeks (a trait measure with no recall period).",
    ),
)
