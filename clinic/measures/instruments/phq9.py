"""PHQ-9: depression (Kroenke, Spitzer & Williams 2001), as given in shared/INSTRUMENTS.md.

Bands follow the NHS Data Dictionary and CamCOPS; caseness and reliable change follow NHS
Talking Therapies. Item 9 is the risk item: any answer above 0 alerts a clinician at once.
"""

from clinic.measures.instruments.base import (
    Band,
    Caseness,
    FlagRule,
    Instrument,
    Item,
    MissingItemRule,
    Option,
    ResponseRule,
)

STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"

# Shared with GAD-7, whose answers INSTRUMENTS.md gives "as PHQ-9".
FREQUENCY_OPTIONS = (
    Option(0, "Not at all", "LA6568-5"),
    Option(1, "Several days", "LA6569-3"),
    Option(2, "More than half the days", "LA6570-1"),
    Option(3, "Nearly every day", "LA6571-9"),
)

# (item text, LOINC item code), in form order.
_ITEMS = (
    ("Little interest or pleasure in doing things", "44250-9"),
    ("Feeling down, depressed, or hopeless", "44255-8"),
    ("Trouble falling or staying asleep, or sleeping too much", "44259-0"),
    ("Feeling tired or having little energy", "44254-1"),
    ("Poor appetite or overeating", "44251-7"),
    (
        "Feeling bad about yourself — or that you are a failure or have let yourself or your "
        "family down",
        "44258-2",
    ),
    (
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "44252-5",
    ),
    (
        "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
        "being so fidgety or restless that you have been moving around a lot more than usual",
        "44253-3",
    ),
    ("Thoughts that you would be better off dead or of hurting yourself in some way", "44260-8"),
)

RISK_ITEM = 9

# Item 10 is optional and never part of the total. INSTRUMENTS.md gives its answers and LOINC
# codes but no numeric values; the values below are storage positions in form order only.
# LOINC's answer codes are not in numeric order here: Very difficult is LA6575-0 and Extremely
# difficult is LA6574-3.
DIFFICULTY_ITEM = Item(
    10,
    "If you checked off any problems, how difficult have these problems made it for you to do "
    "your work, take care of things at home, or get along with other people?",
    (
        Option(0, "Not difficult at all", "LA6572-7"),
        Option(1, "Somewhat difficult", "LA6573-5"),
        Option(2, "Very difficult", "LA6575-0"),
        Option(3, "Extremely difficult", "LA6574-3"),
    ),
    scored=False,
    loinc="69722-7",
)

PHQ9 = Instrument(
    code="PHQ-9",
    version="1",
    title="Patient Health Questionnaire (PHQ-9)",
    measures="depression",
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
        Band(15, 19, "moderately severe", 3, "moderately-severe"),
        Band(20, 27, "severe", 4, "severe"),
    ),
    caseness=Caseness(">=", 10, "clinical cutoff (NHS Talking Therapies)"),
    reliable_change=6,
    flag_rules=(
        FlagRule(
            code="risk_item",
            items=(RISK_ITEM,),
            comparison=">",
            value=0,
            description="risk alert: item 9 answered above 'Not at all'",
            unanswered_code="risk_item_unanswered",
            unanswered_description="risk item unanswered",
        ),
    ),
    default_frequency_weeks=1,
    suggested_frequencies_weeks=(1,),
    loinc_panel="44249-1",
    loinc_total="44261-6",
    source="Kroenke, Spitzer & Williams 2001; form from phqscreeners.com",
    attribution=(
        "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, "
        "with an educational grant from Pfizer Inc."
    ),
    permission="No permission required to reproduce, translate, display or distribute",
    missing_rule=MissingItemRule(max_missing=2, source="NHS Data Dictionary"),
    response_rule=ResponseRule(response_percent_of_baseline=50, remission_below=5),
    optional_items=(DIFFICULTY_ITEM,),
)
