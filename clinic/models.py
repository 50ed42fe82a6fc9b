"""Every area's models, imported in one place for Alembic's env.py and ``flask shell``."""

from clinic.audit.models import AuditEvent
from clinic.auth.models import Clinic, LoginSession, User
from clinic.patients.models import CareTeamMember, Patient

__all__ = ["AuditEvent", "CareTeamMember", "Clinic", "LoginSession", "Patient", "User"]
