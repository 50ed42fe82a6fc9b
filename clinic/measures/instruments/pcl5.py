"""PCL-5: PTSD Checklist for DSM-5 (Weathers et al. 2013, US National Center for PTSD).

There are no empirically derived severity bands; the two bands below only say which side of
the provisional-PTSD cutoff a total falls. Item 16 (risk-taking) raises a review alert; it is
not a suicide item.
"""

from clinic.measures.instruments.base import (
    Band,
    Caseness,
    Cluster,
    FlagRule,
    Instrument,
    Item,
    Option,
)

INSTRUCTIONS = (
    "Below is a list of problems that people sometimes have in response to a very stressful "
    "experience. Please read each problem carefully and then choose one of the answers to "
    "indicate how much you have been bothered by that problem in the past month."
)

SEVERITY_OPTIONS = (
    Option(0, "Not at all"),
    Option(1, "A little bit"),
    Option(2, "Moderately"),
    Option(3, "Quite a bit"),
    Option(4, "Extremely"),
)

_ITEMS = (
    "Repeated, disturbing, and unwanted memories of the stressful experience?",
    "Repeated, disturbing dreams of the stressful experience?",
    "Suddenly feeling or acting as if the stressful experience were actually happening again "
    "(as if you were actually back there reliving it)?",
    "Feeling very upset when something reminded you of the stressful experience?",
    "Having strong physical reactions when something reminded you of the stressful experience "
    "(for example, heart pounding, trouble breathing, sweating)?",
    "Avoiding memories, thoughts, or feelings related to the stressful experience?",
    "Avoiding external reminders of the stressful experience (for example, people, places, "
    "conversations, activities, objects, or situations)?",
    "Trouble remembering important parts of the stressful experience?",
    "Having strong negative beliefs about yourself, other people, or the world (for example, "
    "having thoughts such as: I am bad, there is something seriously wrong with me, no one can "
    "be trusted, the world is completely dangerous)?",
    "Blaming yourself or someone else for the stressful experience or what happened after it?",
    "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
    "Loss of interest in activities that you used to enjoy?",
    "Feeling distant or cut off from other people?",
    "Trouble experiencing positive feelings (for example, being unable to feel happiness or "
    "have loving feelings for people close to you)?",
    "Irritable behavior, angry outbursts, or acting aggressively?",
    "Taking too many risks or doing things that could cause you harm?",
    'Being "superalert" or watchful or on guard?',
    "Feeling jumpy or easily startled?",
    "Having difficulty concentrating?",
    "Trouble falling or staying asleep?",
)

REVIEW_ITEM = 16

PCL5 = Instrument(
    code="PCL-5",
    version="1",
    title="PTSD Checklist for DSM-5 (PCL-5)",
    measures="PTSD symptoms",
    instructions=INSTRUCTIONS,
    stem="In the past month, how much were you bothered by:",
    recall_period="the past month",
    items=tuple(
        Item(number, text, SEVERITY_OPTIONS) for number, text in enumerate(_ITEMS, start=1)
    ),
    higher_is_worse=True,
    bands=(
        Band(0, 32, "below cutoff", 0, "below-cutoff"),
        Band(33, 80, "above cutoff", 1, "above-cutoff"),
    ),
    caseness=Caseness(">=", 33, "provisional PTSD"),
    reliable_change=10,
    flag_rules=(
        FlagRule(
            code="review_item",
            items=(REVIEW_ITEM,),
            comparison=">=",
            value=3,
            description=(
                "review alert: item 16 (risk-taking or self-harming behaviour) answered "
                "'Quite a bit' or 'Extremely'"
            ),
        ),
    ),
    default_frequency_weeks=4,
    suggested_frequencies_weeks=(4,),
    loinc_panel=None,
    loinc_total=None,
    source="Weathers et al. 2013, US National Center for PTSD",
    attribution="PCL-5: Weathers et al. 2013, US National Center for PTSD",
    permission="Public domain",
    clusters=(
        Cluster("B", (1, 2, 3, 4, 5), "Cluster B (items 1-5)"),
        Cluster("C", (6, 7), "Cluster C (items 6-7)"),
        Cluster("D", (8, 9, 10, 11, 12, 13, 14), "Cluster D (items 8-14)"),
        Cluster("E", (15, 16, 17, 18, 19, 20), "Cluster E (items 15-20)"),
    ),
    decisions=(
        "Provisional PTSD at a total of 33 or more (the VA gives 31-33; CamCOPS draws 33).",
        'Bands "below cutoff" (0-32) and "above cutoff" (33-80); no severity bands exist.',
        "Reliable change threshold: 10 points (the VA cites 5-10).",
        "Default frequency every 4 weeks (recall is the past month).",
    ),
)
