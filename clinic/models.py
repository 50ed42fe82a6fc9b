"""Every area's models, imported in one place for Alembic's env.py and ``flask shell``."""

from clinic.audit.models import AuditEvent
from clinic.auth.models import Clinic, LoginSession, User
from clinic.measures.models import Alert, Invitation, MeasureSchedule, Response
from clinic.patients.models import CareTeamMember, Patient

__all__ = [
    "Alert",
    "AuditEvent",
    "CareTeamMember",
    "Clinic",
    "Invitation",
    "LoginSession",
    "MeasureSchedule",
    "Patient",
    "Response",
    "User",
]
