"""Sending mail: a text and an HTML part from ``templates/email/<name>.txt`` and ``.html``.

Mail is off until ``SMTP_URL`` is set. Mails never carry clinical content or a patient's name.
"""

from flask import current_app, render_template
from flask_mail import Message

from clinic.extensions import mail


def mail_enabled():
    return bool(current_app.config.get("SMTP_URL"))


def send_mail(to, subject, template, **context):
    """Send one message; returns False when mail is not configured."""
    if not mail_enabled():
        return False
    message = Message(
        subject=subject,
        recipients=[to],
        body=render_template(f"email/{template}.txt", **context),
        html=render_template(f"email/{template}.html", **context),
    )
    mail.send(message)
    return True
