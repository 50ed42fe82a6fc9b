"""Sending mail: a text and an HTML part from ``templates/email/<name>.txt`` and ``.html``.

Mail is off until ``SMTP_URL`` is set. Mails never carry clinical content or a patient's name.
"""

import smtplib

from flask import current_app, render_template
from flask_mail import Connection, Message


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
    state = current_app.extensions["mail"]
    with TimedConnection(state, current_app.config["SMTP_TIMEOUT_SECONDS"]) as connection:
        message.send(connection)
    return True


class TimedConnection(Connection):
    """Flask-Mail's connection with a timeout on the socket (Flask-Mail sets none).

    Without one, a mail server that stalls mid-conversation holds the worker until its claim
    on the message expires, and another worker then sends the message a second time.
    """

    def __init__(self, state, timeout):
        super().__init__(state)
        self.timeout = timeout

    def configure_host(self):
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(self.mail.server, self.mail.port, timeout=self.timeout)
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=self.timeout)
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host
