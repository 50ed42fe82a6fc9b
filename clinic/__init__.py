"""LiftClinic: graded strength training and weekly outcome measures for mental-health care.

This file stays empty on purpose: importing a pure module such as ``clinic.charts`` must not
pull in Flask, SQLAlchemy or the web stack.
"""
