"""Every area's models, imported in one place for Alembic's env.py and ``flask shell``."""

from clinic.alerts.models import Alert
from clinic.audit.models import AuditEvent
from clinic.auth.api_tokens import ApiToken
from clinic.auth.mfa import MfaCredential, MfaRecoveryCode
from clinic.auth.models import Clinic, LoginSession, User
from clinic.catalogue.models import Exercise, LevelExercise, ProgramTemplate, TemplateLevel
from clinic.measures.models import Invitation, MeasureSchedule, Response
from clinic.outbox.models import DeliveryAttempt, OutboxMessage
from clinic.patients.models import CareTeamMember, Patient
from clinic.portal.models import PatientLink
from clinic.programs.models import Assignment, AssignmentEvent, SessionLog, SetLog
from clinic.reports.models import ReportBatch, ReportBatchItem
from clinic.work.models import SchedulerRun

__all__ = [
    "Alert",
    "ApiToken",
    "Assignment",
    "AssignmentEvent",
    "AuditEvent",
    "CareTeamMember",
    "Clinic",
    "DeliveryAttempt",
    "Exercise",
    "Invitation",
    "LevelExercise",
    "LoginSession",
    "MeasureSchedule",
    "MfaCredential",
    "MfaRecoveryCode",
    "OutboxMessage",
    "Patient",
    "PatientLink",
    "ProgramTemplate",
    "ReportBatch",
    "ReportBatchItem",
    "Response",
    "SchedulerRun",
    "SessionLog",
    "SetLog",
    "TemplateLevel",
    "User",
]
