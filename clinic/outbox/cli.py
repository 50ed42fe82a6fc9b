"""``flask outbox deliver``: one sweep of the outbox, for cron or by hand (``flask worker``
runs the same sweep in a loop)."""

import os
import socket

import click
from flask.cli import AppGroup

outbox_cli = AppGroup("outbox", help="Outgoing messages: deliver what is due.")


@outbox_cli.command("deliver")
@click.option("--limit", default=500, show_default=True, help="At most this many messages.")
def deliver_command(limit):
    """Deliver the messages that are due or in doubt, once; prints how many were sent."""
    from clinic.mailer import mail_enabled
    from clinic.outbox.services import deliver_due

    if not mail_enabled():
        click.echo("mail is off (SMTP_URL is not set): messages wait")
        return
    sent = deliver_due(worker_id=f"cli:{socket.gethostname()}:{os.getpid()}", limit=limit)
    click.echo(f"sent {sent} message(s)")
