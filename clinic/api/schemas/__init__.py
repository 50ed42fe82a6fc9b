"""Input and output schemas of the API, one module per area, separate for each direction
(``PatientIn``/``PatientOut``).

Every public name is re-exported here: ``from clinic.api import schemas`` then ``schemas.X``.
"""

from clinic.api.schemas.alerts import (
    AcknowledgeIn,
    AlertArgs,
    AlertOut,
)
from clinic.api.schemas.catalogue import (
    ExerciseIn,
    ExerciseOut,
    ExercisePatch,
    LevelExerciseOut,
    LevelIn,
    LevelOut,
    LevelRowIn,
    TemplateIn,
    TemplateOut,
    TemplatePatch,
)
from clinic.api.schemas.common import (
    MAX_PAGE,
    ErrorOut,
    In,
    PageArgs,
    moment_in_range,
    optional_text,
    page_of,
    required_text,
)
from clinic.api.schemas.measures import (
    CorrectionIn,
    InvitationIn,
    InvitationOut,
    OutcomeOut,
    ResponseIn,
    ResponseOut,
    ScheduleIn,
    ScheduleOut,
)
from clinic.api.schemas.patients import (
    CareTeamIn,
    CareTeamOut,
    EpisodeIn,
    EpisodeOut,
    PatientIn,
    PatientListArgs,
    PatientOut,
    PatientPatch,
)
from clinic.api.schemas.programs import (
    AssignmentIn,
    AssignmentOut,
    DeclineIn,
    EquipmentIn,
    HoldReviewIn,
    LevelChangeIn,
    SessionIn,
    SessionOut,
    SetIn,
    SetOut,
    StatusIn,
    SuggestionOut,
    TargetIn,
)
from clinic.api.schemas.reports import (
    ReportArgs,
)
from clinic.api.schemas.tokens import (
    TokenOut,
)

__all__ = [
    "MAX_PAGE",
    "AcknowledgeIn",
    "AlertArgs",
    "AlertOut",
    "AssignmentIn",
    "AssignmentOut",
    "CareTeamIn",
    "CareTeamOut",
    "CorrectionIn",
    "DeclineIn",
    "EpisodeIn",
    "EpisodeOut",
    "EquipmentIn",
    "ErrorOut",
    "ExerciseIn",
    "ExerciseOut",
    "ExercisePatch",
    "HoldReviewIn",
    "In",
    "InvitationIn",
    "InvitationOut",
    "LevelChangeIn",
    "LevelExerciseOut",
    "LevelIn",
    "LevelOut",
    "LevelRowIn",
    "OutcomeOut",
    "PageArgs",
    "PatientIn",
    "PatientListArgs",
    "PatientOut",
    "PatientPatch",
    "ReportArgs",
    "ResponseIn",
    "ResponseOut",
    "ScheduleIn",
    "ScheduleOut",
    "SessionIn",
    "SessionOut",
    "SetIn",
    "SetOut",
    "StatusIn",
    "SuggestionOut",
    "TargetIn",
    "TemplateIn",
    "TemplateOut",
    "TemplatePatch",
    "TokenOut",
    "moment_in_range",
    "optional_text",
    "page_of",
    "required_text",
]
