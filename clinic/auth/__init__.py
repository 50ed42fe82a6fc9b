"""Clinics, clinician accounts, roles, login sessions and lockout."""
