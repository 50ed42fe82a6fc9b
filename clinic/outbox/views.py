"""The clinic admin's view of outgoing messages that are stuck or dead, with a retry."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from clinic.audit.services import record_read
from clinic.errors import ServiceError
from clinic.mailer import mail_enabled
from clinic.outbox import services

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")


def _admin_only():
    if not current_user.is_admin:
        abort(403)


@bp.get("/")
def index():
    """Undelivered and dead messages of the admin's clinic (whom to, never what about)."""
    _admin_only()
    messages, waiting = services.undelivered(current_user.clinic_id)
    html = render_template("outbox/index.html", messages=messages, waiting=waiting,
                           mail_on=mail_enabled())
    # After rendering (the audit's commit would expire the rows): the addresses shown include
    # patients' own, so the view is recorded.
    record_read("outbox_view", actor=current_user._get_current_object(), shown=len(messages))
    return html


@bp.post("/<dbid:message_id>/retry")
def retry(message_id):
    """Send a dead or waiting message again now (audited)."""
    _admin_only()
    try:
        services.retry_message(current_user, message_id)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash("The message is queued again: the worker sends it within a minute.", "success")
    return redirect(url_for("outbox.index"), code=303)
