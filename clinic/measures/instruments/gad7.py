"""GAD-7: anxiety (Spitzer et al. 2006), as given in shared/INSTRUMENTS.md.

Caseness (>= 8) and reliable change (4) are NHS Talking Therapies'; Spitzer's own screening
cutoff of 10 is kept only as a chart line so the two are never confused.
"""

from clinic.measures.instruments.base import Band, Caseness, ChartLine, Instrument, Item
from clinic.measures.instruments.phq9 import FREQUENCY_OPTIONS

STEM = "Over the last 2 weeks, how often have you been bothered by the following problems?"

_ITEMS = (
    ("Feeling nervous, anxious, or on edge", "69725-0"),
    ("Not being able to stop or control worrying", "68509-9"),
    ("Worrying too much about different things", "69733-4"),
    ("Trouble relaxing", "69734-2"),
    ("Being so restless that it is hard to sit still", "69735-9"),
    ("Becoming easily annoyed or irritable", "69689-8"),
    ("Feeling afraid, as if something awful might happen", "69736-7"),
)

GAD7 = Instrument(
    code="GAD-7",
    version="1",
    title="Generalized Anxiety Disorder scale (GAD-7)",
    measures="anxiety",
    instructions=STEM,
    stem=STEM,
    recall_period="the last 2 weeks",
    items=tuple(
        Item(number, text, FREQUENCY_OPTIONS, loinc=loinc)
        for number, (text, loinc) in enumerate(_ITEMS, start=1)
    ),
    higher_is_worse=True,
    bands=(
        Band(0, 4, "minimal", 0, "minimal"),
        Band(5, 9, "mild", 1, "mild"),
        Band(10, 14, "moderate", 2, "moderate"),
        Band(15, 21, "severe", 3, "severe"),
    ),
    caseness=Caseness(">=", 8, "clinical cutoff (NHS Talking Therapies)"),
    reliable_change=4,
    flag_rules=(),
    default_frequency_weeks=1,
    suggested_frequencies_weeks=(1,),
    loinc_panel="69737-5",
    loinc_total="70274-6",
    source="Spitzer et al. 2006; form from phqscreeners.com",
    attribution=(
        "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, "
        "with an educational grant from Pfizer Inc."
    ),
    permission="No permission required to reproduce, translate, display or distribute",
    chart_lines=(ChartLine(10, "Spitzer screening cutoff"),),
)
