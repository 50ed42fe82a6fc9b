"""Sending mail: a text and an HTML part from ``templates/email/<name>.txt`` and ``.html``.

Mail is off until ``SMTP_URL`` is set. Mails never carry clinical content or a patient's name.
"""

from flask import current_app, render_template
from flask_mail import Message

from clinic.extensions import mail


def mail_enabled():
    return bool(current_app.config.get("SMTP_URL"))


def send_mail(to, subject, template, *, message_id=None, **context):
    """Send one message now; returns False when mail is not configured.

    ``message_id`` (``<...@host>``) is the same for every copy of one outbox message, so a
    receiving server can drop the second copy of a resend in doubt. Only the outbox's worker
    calls this: everything else queues a message (clinic.outbox.services.queue_message).
    """
    if not mail_enabled():
        return False
    message = Message(
        subject=subject,
        recipients=[to],
        body=render_template(f"email/{template}.txt", **context),
        html=render_template(f"email/{template}.html", **context),
    )
    if message_id is not None:
        message.msgId = message_id
    mail.send(message)
    return True
