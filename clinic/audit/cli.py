"""``flask audit ...``: commands of the audit trail."""

import click
from flask.cli import AppGroup

audit_cli = AppGroup("audit", help="The append-only audit trail.")


@audit_cli.command("verify")
def verify_command():
    """Recompute the audit hash chain and report the first altered, deleted or reordered row.

    Exits 0 when the chain is intact, 1 otherwise. Keep the printed head (seq and hash)
    somewhere else: a later run that no longer reaches it means the end was cut off or the
    whole chain rewritten.
    """
    from clinic.audit.services import verify_chain

    verdict = verify_chain()
    if verdict.intact:
        click.echo(f"audit trail intact: {verdict.rows} rows, head seq {verdict.head_seq} "
                   f"hash {verdict.head_hash}")
        return
    problem = verdict.problem
    click.echo(f"audit trail BROKEN at row {problem.row_id} ({problem.kind}): {problem.message}",
               err=True)
    click.echo(f"last good row: seq {verdict.head_seq} hash {verdict.head_hash}", err=True)
    raise SystemExit(1)
