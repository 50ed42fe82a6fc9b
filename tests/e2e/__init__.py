"""Real-browser tests: Playwright driving Debian's Chromium against the app on 127.0.0.1.

A package (this file) so that ``tests/e2e/conftest.py`` is imported as ``e2e.conftest`` and
never replaces the top-level ``conftest`` module that other test modules import from.
"""
