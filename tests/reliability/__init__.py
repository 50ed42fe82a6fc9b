"""Reliability tests: concurrency under gunicorn, crashes, injected faults, backups.

A package (this file) so its helper modules import as ``reliability.world`` and
``reliability.zygote`` (the writer's fork server runs ``python -m reliability.zygote``).
"""
