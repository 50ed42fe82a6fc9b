"""``flask measures ...``: the commands cron runs."""

import click
from flask.cli import AppGroup

measures_cli = AppGroup("measures", help="Outcome measures: scheduled questionnaires.")


@measures_cli.command("send-due")
def send_due_command():
    """Create due questionnaire links, queue their mails and reminders, raise missed-week
    alerts. The worker (flask worker) delivers the mails.

    Safe to run every hour from cron, and from two machines at once.
    """
    from clinic.measures.jobs import send_due

    report = send_due()
    click.echo(f"created {report.created} invitation(s), mails queued {report.emailed}, "
               f"reminders queued {report.reminded}, missed-week alerts {report.missed_alerts}")
    if report.errors:
        raise click.ClickException(f"{len(report.errors)} mail(s) could not be queued; "
                                   "they are queued by the next run")
