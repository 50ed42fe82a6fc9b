"""Graded strength programs: exercises, templates, assignments, sessions, progress."""
