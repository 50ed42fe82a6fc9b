"""Outcome measures: instrument definitions, scoring and change classification.

``instruments``, ``scoring`` and ``change`` are pure (no Flask, no SQLAlchemy) so they can be
checked against the worked examples in ``shared/INSTRUMENTS.md`` without an app.
"""
