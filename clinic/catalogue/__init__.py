"""The clinic's catalogue: exercises and their ladders, program templates with graded levels,
the built-in library and starter programs, and the training rules a clinic reviews.

It stands below ``clinic.programs`` (a patient's program) and never imports it.
"""
