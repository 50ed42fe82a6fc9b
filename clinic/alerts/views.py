"""The care team's alert inbox and the navigation badge."""

from flask import (
    Blueprint,
    abort,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import selectinload

from clinic.alerts import services
from clinic.alerts.forms import AcknowledgeForm, BulkAcknowledgeForm
from clinic.alerts.models import ALERT_KIND_GROUPS, ALERT_LABELS, RISK_ALERT_KINDS, Alert
from clinic.audit.services import record_read
from clinic.errors import NotAllowed, ServiceError
from clinic.extensions import db
from clinic.inputs import MAX_ID, page_arg

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


def _inbox(form, chosen=(), status=200):
    """The inbox page: open alerts risk first (or, with ?show=all, their history), filtered
    by ``kind`` (a group or one kind); ``chosen``: ids ticked before a refused bulk form."""
    show_all = request.args.get("show") == "all"
    kind = request.args.get("kind", "")
    kinds = services.kinds_of_filter(kind)
    query = services.alerts_query(_me(), open_only=not show_all, kinds=kinds,
                                  risk_first=not show_all).options(
        selectinload(Alert.patient), selectinload(Alert.response),
        selectinload(Alert.invitation))
    page = db.paginate(query, page=page_arg(), per_page=30, error_out=False)
    args = {k: v for k, v in (("show", "all" if show_all else None),
                              ("kind", kind if kinds is not None else None)) if v}
    html = render_template("alerts/index.html", page=page, show_all=show_all,
                           labels=ALERT_LABELS, groups=ALERT_KIND_GROUPS, kind=args.get("kind"),
                           args=args, risk_kinds=RISK_ALERT_KINDS, form=form,
                           chosen=set(chosen),
                           may_acknowledge=lambda a: services.may_acknowledge(_me(), a))
    # After rendering: the audit's commit would otherwise expire the rows the page reads.
    record_read("alert_list_view", actor=_me(), count=len(page.items), page=page.page,
                show="all" if show_all else "open", **({"kind": kind} if kinds else {}))
    return html, status


@bp.get("/alerts")
def index():
    """Open alerts of the patients in my care, risk first (or, with ?show=all, their history)."""
    return _inbox(BulkAcknowledgeForm(formdata=None))


def _alert_ids(values):
    """The ticked ids; one that is not an id in range is a 404, as in a URL."""
    ids = []
    for text in values:
        text = text.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 10
                and 1 <= int(text) <= MAX_ID):
            abort(404)
        ids.append(int(text))
    return ids


@bp.post("/alerts/acknowledge")
def acknowledge_many():
    """Acknowledge the ticked alerts with one note: every one or none (each checked against
    my access and audited on its own)."""
    form = BulkAcknowledgeForm()
    ids = _alert_ids(request.form.getlist("alert_id"))
    if form.validate_on_submit():
        try:
            done = services.acknowledge_alerts(_me(), ids, form.note.data)
        except NotAllowed:
            raise
        except ServiceError as error:
            error.show_on(form)
        else:
            flash(f"{len(done)} alert{'' if len(done) == 1 else 's'} acknowledged.", "success")
            return redirect(url_for("alerts.index", **request.args), code=303)
    elif not ids:
        form.form_errors.append("Choose the alerts to acknowledge.")
    return _inbox(form, chosen=ids, status=422)


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
