"""Every tunable training rule of LiftClinic in one place, for a clinic to review.

Each value is a "Decision:" of shared/PROGRAMS.md (a product choice where the evidence gives no
single rule) or a number the progression, adherence and strength modules must share. Values
marked "ours" are choices made in code where PROGRAMS.md leaves a gap; the module that uses them
says why. Loads and fractions are Decimal: no float touches a training number.
"""

from decimal import Decimal
from types import MappingProxyType

# Progression: double progression (PROGRAMS.md "Progression") -------------------------------

# Every prescribed working set at the top of the range in this many consecutive sessions.
CONSECUTIVE_SESSIONS_TO_PROGRESS = 2
# Pain of this much (0-10) or more in either of those sessions blocks a progression.
PAIN_BLOCKS_PROGRESSION_AT = 4
# Session RPE (Borg CR10) of this much or more in either of those sessions blocks a progression.
RPE_BLOCKS_PROGRESSION_AT = 8
# Safety hold (PROGRAMS.md "Safety holds"): pain of PAIN_BLOCKS_PROGRESSION_AT or more in any of
# the program's last this-many sessions (skips for pain included) holds every increase.
PAIN_HOLD_LAST_SESSIONS = 2
PAIN_SKIP_REASON = "pain"

# A load increase is 2-10% of the current load (ACSM 2009), rounded up to the equipment step.
MIN_INCREASE_FRACTION = Decimal("0.02")
MAX_INCREASE_FRACTION = Decimal("0.10")

# Equipment steps: +2.5 kg lower body; +1 to 2.5 kg upper body, or the next dumbbell. The upper
# body default is the top of that range, 2.5 kg (plates in most gyms); a prescription may carry
# its own step (1 kg with fractional plates) or the patient's dumbbell rack, which replaces the
# step altogether. Loads are multiples of the step.
LOAD_STEP_LOWER_BODY_KG = Decimal("2.5")
LOAD_STEP_UPPER_BODY_KG = Decimal("2.5")

# When no step fits inside 2-10%, the rep range grows first (ours: by 2 reps, or 5 s for a hold)
# while its top stays within the ACSM novice ranges (8-12, 10-15: ceiling 15 reps); beyond that
# the bigger jump is suggested, flagged for explicit confirmation.
EXTEND_RANGE_BY_REPS = 2
EXTEND_RANGE_BY_SECONDS = 5
REP_RANGE_CEILING = 15

# Bodyweight work: add a set up to this many, then the next variation on the ladder.
MAX_BODYWEIGHT_SETS = 3

# Stalls: below the bottom of the range in this many consecutive sessions -> hold ...
STALL_HOLD_AFTER = 2
# ... and in this many -> suggest this fraction less load, rounded to the step.
STALL_DELOAD_AFTER = 3
DELOAD_FRACTION = Decimal("0.10")

# Adherence (PROGRAMS.md "Adherence") --------------------------------------------------------

# A done session with at least this fraction of its working sets counts in full ...
FULL_CREDIT = Decimal("1")
FULL_CREDIT_WORKING_SET_FRACTION = Decimal("0.5")
# ... a partial or low-energy session (or a done one with fewer sets) counts this much.
PARTIAL_CREDIT = Decimal("0.5")
# The dashboard's rolling window.
ROLLING_WEEKS = 4

# Alerts (PROGRAMS.md "Adherence", configurable) --------------------------------------------

NO_SESSION_PLANNED_WEEKS = 2
PAIN_ALERT_AT = 7
PAIN_REVIEW_AT = 4
HIGH_RPE_AT = 8
HIGH_RPE_SESSIONS_IN_A_ROW = 2
LOW_MOOD_SKIPS_IN_A_ROW = 3

# Moving up a level (PROGRAMS.md "Levels", the example criteria) -----------------------------

READINESS_WINDOW_WEEKS = 3
READINESS_MIN_ADHERENCE = Decimal("0.80")
READINESS_MAX_AVERAGE_RPE = Decimal("6")

# Strength trend (PROGRAMS.md "Strength trend") ----------------------------------------------

# Epley only for 1-10 reps: prediction is poor beyond 10.
E1RM_MIN_REPS = 1
E1RM_MAX_REPS = 10
# The baseline for % change: the best of the first this-many loaded weeks.
E1RM_BASELINE_WEEKS = 2

# Skip reasons (PROGRAMS.md "Sessions and logs"): clinical data for behavioural activation ----

LOW_MOOD = "low_mood"
SKIP_REASON_LABELS = MappingProxyType(
    {
        LOW_MOOD: "Low mood",
        "fatigue": "Fatigue",
        "pain": "Pain",
        "illness": "Illness",
        "no_time": "No time",
        "forgot": "Forgot",
        "anxious_setting": "Anxious about the setting",
        "other": "Other",
    }
)
SKIP_REASONS = tuple(SKIP_REASON_LABELS)
