"""Patients, their care teams, and the one rule of who may see whom."""
