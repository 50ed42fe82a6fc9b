"""``flask programs ...``: the catalogue's library upkeep and the daily adherence check.

One command group for both, as the README prints them; the library sync is the catalogue's
(``clinic.catalogue.services``), the missed-session check a patient's program's.
"""

import click
from flask.cli import AppGroup

programs_cli = AppGroup("programs", help="Graded strength programs.")


@programs_cli.command("sync-library")
def sync_library_command():
    """Insert or update the built-in exercise library (run after every upgrade)."""
    from clinic.catalogue.services import sync_builtin_exercises
    from clinic.database import write_transaction

    changed = write_transaction(sync_builtin_exercises)()
    click.echo(f"{changed} built-in exercise(s) added or updated.")


@programs_cli.command("check-sessions")
def check_sessions_command():
    """Raise an alert for programs with no session for two planned weeks (run daily)."""
    from clinic.database import write_transaction
    from clinic.programs.services import missed_session_alerts

    raised = write_transaction(missed_session_alerts)()
    click.echo(f"{raised} missed-session alert(s) raised.")
