"""Every area's models, imported in one place for Alembic's env.py and ``flask shell``."""

from clinic.alerts.models import Alert
from clinic.audit.models import AuditEvent
from clinic.auth.api_tokens import ApiToken
from clinic.auth.mfa import MfaCredential, MfaRecoveryCode
from clinic.auth.models import Clinic, LoginSession, User
from clinic.catalogue.models import Exercise, LevelExercise, ProgramTemplate, TemplateLevel
from clinic.measures.models import Invitation, MeasureSchedule, Response
from clinic.patients.models import CareTeamMember, Patient
from clinic.portal.models import PatientLink
from clinic.programs.models import Assignment, AssignmentEvent, SessionLog, SetLog
from clinic.reports.models import ReportBatch, ReportBatchItem

__all__ = [
    "Alert",
    "ApiToken",
    "Assignment",
    "AssignmentEvent",
    "AuditEvent",
    "CareTeamMember",
    "Clinic",
    "Exercise",
    "Invitation",
    "LevelExercise",
    "LoginSession",
    "MeasureSchedule",
    "MfaCredential",
    "MfaRecoveryCode",
    "Patient",
    "PatientLink",
    "ProgramTemplate",
    "ReportBatch",
    "ReportBatchItem",
    "Response",
    "SessionLog",
    "SetLog",
    "TemplateLevel",
    "User",
]
