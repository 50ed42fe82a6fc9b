"""Login, logout and a clinician's own password."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from clinic.auth import services
from clinic.auth.api_tokens import own_tokens, revoke_own_token
from clinic.auth.forms import LoginForm, PasswordChangeForm
from clinic.auth.guards import SESSION_KEY, is_safe_next, public
from clinic.auth.mfa_views import start_second_step
from clinic.database import utcnow
from clinic.errors import ServiceError
from clinic.extensions import limiter

bp = Blueprint("auth", __name__)


def _login_limit():
    return current_app.config["RATELIMIT_LOGIN"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def login():
    """Log a clinician in; one message for every kind of failure."""
    if current_user.is_authenticated:
        return redirect(url_for("caseload.dashboard"))
    form = LoginForm()
    next_url = request.args.get("next")
    if form.validate_on_submit():
        try:
            user, key, pending_key = services.authenticate(form.email.data,
                                                           form.password.data)
        except ServiceError as error:
            form.form_errors.append(error.message)
        else:
            session.clear()  # a fresh session: nothing set before login survives it
            if key is None:  # a second step (a code, or setting one up) must follow
                return start_second_step(user, pending_key, next_url)
            session[SESSION_KEY] = key  # a browser-session cookie; the server times it out
            login_user(user, remember=False)
            target = next_url if is_safe_next(next_url) else url_for("caseload.dashboard")
            return redirect(target, code=303)
    status = 200 if not form.errors and not form.form_errors else 422
    return render_template("auth/login.html", form=form, next_url=next_url), status


@bp.route("/logout", methods=["POST"])
def logout():
    """End the login session on the server, then forget the cookie."""
    services.log_out(current_user._get_current_object(), session.get(SESSION_KEY))
    logout_user()
    session.clear()
    flash("You have logged out.", "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def change_password():
    """Change your own password; your other sessions end."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user._get_current_object(),
                                     form.current_password.data, form.new_password.data,
                                     keep_key=session.get(SESSION_KEY))
        except ServiceError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            flash("Your password has been changed. Your other sessions have ended.", "success")
            return redirect(url_for("caseload.dashboard"), code=303)
    status = 422 if form.errors else 200
    return render_template("auth/password.html", form=form), status


@bp.get("/account/tokens")
def api_tokens():
    """Your own API tokens: what each is for, when made and last used, until when; revoke."""
    me = current_user._get_current_object()
    now = utcnow()
    return render_template("auth/tokens.html",
                           tokens=[(row, row.state(now)) for row in own_tokens(me)])


@bp.post("/account/tokens/<dbid:token_id>/revoke")
def revoke_api_token(token_id):
    """Revoke one of your own API tokens; it stops working at once (another's id: 404)."""
    row = revoke_own_token(current_user._get_current_object(), token_id)
    flash(f"The API token \u201c{row.name}\u201d is revoked.", "success")
    return redirect(url_for("auth.api_tokens"), code=303)
