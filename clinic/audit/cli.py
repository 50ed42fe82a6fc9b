"""``flask audit ...``: commands of the audit trail."""

import json

import click
from flask.cli import AppGroup

audit_cli = AppGroup("audit", help="The append-only audit trail.")


def _verified_chain():
    """The chain's verdict, echoed; exits 1 when it is broken."""
    from clinic.audit.services import verify_chain

    verdict = verify_chain()
    if verdict.intact:
        click.echo(f"audit trail intact: {verdict.rows} rows, head seq {verdict.head_seq} "
                   f"hash {verdict.head_hash}")
        return verdict
    problem = verdict.problem
    click.echo(f"audit trail BROKEN at row {problem.row_id} ({problem.kind}): {problem.message}",
               err=True)
    click.echo(f"last good row: seq {verdict.head_seq} hash {verdict.head_hash}", err=True)
    raise SystemExit(1)


@audit_cli.command("verify")
@click.option("--since-checkpoint", "checkpoint_file", type=click.File("r"),
              help="A file written by `flask audit checkpoint`: also fail when the chain no "
                   "longer reaches a checkpoint's head, its row differs, or its signature is "
                   "wrong.")
def verify_command(checkpoint_file):
    """Recompute the audit hash chain (HMAC-SHA256 under AUDIT_KEY) and report the first
    altered, deleted or reordered row.

    Exits 0 when the chain is intact, 1 otherwise. Deleting the chain's last rows leaves a
    shorter chain that is still whole: keep checkpoints (`flask audit checkpoint`) outside the
    database and pass them with --since-checkpoint to catch that.
    """
    from clinic.audit.services import check_checkpoints

    verdict = _verified_chain()
    if checkpoint_file is None:
        return
    problems = check_checkpoints(verdict, checkpoint_file.read().splitlines())
    if problems:
        for problem in problems:
            click.echo(f"audit trail does NOT match the checkpoint: {problem}", err=True)
        raise SystemExit(1)
    click.echo(f"matches the checkpoints in {checkpoint_file.name}")


@audit_cli.command("checkpoint")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True,
              help="The file to append the signed head to (one JSON line per checkpoint). "
                   "Keep it outside the database, ideally on another machine.")
def checkpoint_command(out):
    """Verify the chain, then append its signed head (seq, hash, time, HMAC signature under
    AUDIT_KEY) to a file. Exits 1, writing nothing, when the chain is broken."""
    from clinic.audit.services import make_checkpoint

    verdict = _verified_chain()
    record = make_checkpoint(verdict)
    with open(out, "a", encoding="utf-8") as file:
        file.write(json.dumps(record, sort_keys=True) + "\n")
    click.echo(f"checkpoint seq {record['seq']} written to {out}")
