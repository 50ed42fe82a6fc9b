"""The care team's alert inbox and the navigation badge."""

from flask import Blueprint, flash, has_request_context, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.alerts import services
from clinic.alerts.forms import AcknowledgeForm
from clinic.alerts.models import ALERT_LABELS
from clinic.audit.services import record_read
from clinic.errors import ServiceError
from clinic.extensions import db
from clinic.inputs import page_arg

bp = Blueprint("alerts", __name__)


def _me():
    return current_user._get_current_object()


@bp.app_context_processor
def open_alert_badge():
    """The alert count in the navigation, for every logged-in page (one query)."""
    # Mail templates render outside any request (cron): there is no user to count for.
    if has_request_context() and current_user.is_authenticated:
        return {"open_alert_count": services.open_alert_count(_me())}
    return {"open_alert_count": 0}


@bp.get("/alerts")
def index():
    """Open alerts of the patients in my care (or, with ?show=all, their history)."""
    show_all = request.args.get("show") == "all"
    page = db.paginate(services.alerts_query(_me(), open_only=not show_all),
                       page=page_arg(), per_page=30,
                       error_out=False)
    html = render_template("alerts/index.html", page=page, show_all=show_all,
                           labels=ALERT_LABELS)
    # After rendering: the audit's commit would otherwise expire the rows the page reads.
    record_read("alert_list_view", actor=_me(), count=len(page.items), page=page.page,
                show="all" if show_all else "open")
    return html


@bp.route("/alerts/<dbid:alert_id>", methods=["GET", "POST"])
def detail(alert_id):
    """One alert: what raised it, and acknowledging it with a note."""
    form = AcknowledgeForm()
    if request.method == "POST":
        services.acknowledgeable_alert(_me(), alert_id)  # 404 off the team, 403 a trainer's
    if form.validate_on_submit():
        try:
            services.acknowledge_alert(_me(), alert_id, form.note.data)
        except ServiceError as error:
            error.show_on(form)
        else:
            flash("Alert acknowledged.", "success")
            return redirect(url_for("alerts.index"), code=303)
    # What raised it is patient data: every rendering is an audited read (a form re-shown
    # after a failed acknowledge too).
    item = services.open_alert(_me(), alert_id)
    status = 422 if (form.errors or form.form_errors) else 200
    return render_template("alerts/detail.html", alert=item, form=form,
                           label=ALERT_LABELS[item.kind],
                           may_acknowledge=services.may_acknowledge(_me(), item)), status
