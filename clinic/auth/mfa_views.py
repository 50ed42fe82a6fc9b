"""Two-step login pages: the code step of a login, setting up an authenticator, recovery codes,
and an admin's reset.

A right password alone opens no login session: it makes a *pending* login on the server
(``PendingLogin``: user, step, when, used once), and the signed session cookie holds only that
record's random key. Only the two pages of the second step accept it, for
``MFA_PENDING_TIMEOUT``; the login session (and its cookie key) is made only when the code is
right. A cookie signed with the app's key that names a user id reaches nothing.
"""

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from clinic import limits
from clinic.auth import mfa, services
from clinic.auth.guards import SESSION_KEY, is_safe_next, public, role_required
from clinic.auth.models import Role, User
from clinic.database import get_in_clinic, utcnow
from clinic.errors import ServiceError
from clinic.extensions import limiter

bp = Blueprint("mfa", __name__)

PENDING = "mfa_pending"
NEW_CODES = "mfa_new_codes"


class CodeForm(FlaskForm):
    code = StringField("Code", validators=[InputRequired("Enter the code."),
                                           limits.length("mfa_code")])


class AccountSetupForm(CodeForm):
    """Turning two-step login on from the account page: the current password again, too."""

    password = PasswordField("Your current password", validators=[
        InputRequired("Enter your current password."), limits.length("password_check")])


def _mfa_limit():
    return current_app.config["RATELIMIT_MFA"]


@bp.app_template_global("mfa_enabled")
def mfa_enabled(user):
    return mfa.is_enabled(user)


# The pending login ----------------------------------------------------------------------------


def start_second_step(user, pending_key, next_url):
    """After a right password: keep the pending login's key, send the browser to its step."""
    step = mfa.second_step(user)
    session[PENDING] = {"key": pending_key,
                        "next": next_url if is_safe_next(next_url) else None}
    return redirect(url_for("mfa.verify" if step == "verify" else "mfa.login_setup"), code=303)


def _pending(step):
    """(key, next URL, user) of this browser's live pending login for ``step``; else None."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    # The code step's page opens for a live pending login (a locked user's wrong codes are
    # refused and audited by the step itself); setting up needs a user who may log in.
    now = utcnow()
    if step == "verify":
        record = services.pending_login(pending.get("key"), step, now)
        user = record.user if record is not None else None
    else:
        user = services.pending_user(pending.get("key"), step, now)
    if user is None:
        return None
    return pending["key"], pending.get("next"), user


def _back_to_login():
    flash("Please log in.", "info")
    return redirect(url_for("auth.login"), code=303)


def _finish_login(user, key, next_url):
    """The second step is done: a fresh session holding only the new login key."""
    session.clear()
    session[SESSION_KEY] = key
    login_user(user, remember=False)
    return next_url if is_safe_next(next_url) else url_for("caseload.dashboard")


def _qr(user, secret):
    # segno draws the SVG from our own otpauth URI (base32 secret, the user's address,
    # percent-encoded by pyotp): no free text reaches it; presentation attributes only (CSP).
    svg = segno.make(mfa.provisioning_uri(user, secret), error="m").svg_inline(
        scale=4, title="QR code to add LiftClinic to your authenticator app", border=2)
    return Markup(svg)  # noqa: S704  # nosec B704  # segno's SVG of our own otpauth URI


@bp.route("/login/mfa", methods=["GET", "POST"])
@limiter.limit(_mfa_limit, methods=["POST"])
@public
def verify():
    """The second step of a login: a code from the authenticator app, or a recovery code."""
    if current_user.is_authenticated:
        return redirect(url_for("caseload.dashboard"), code=303)
    pending = _pending("verify")
    if pending is None:
        return _back_to_login()
    pending_key, next_url, _user = pending
    form = CodeForm()
    if form.validate_on_submit():
        user, key = services.log_in_second_step(pending_key, form.code.data)
        if user is not None:
            return redirect(_finish_login(user, key, next_url), code=303)
        form.code.errors.append(mfa.REUSED_CODE if key == "replayed" else mfa.WRONG_CODE)
    status = 422 if form.errors else 200
    return render_template("auth/mfa_verify.html", form=form), status


@bp.route("/login/mfa/setup", methods=["GET", "POST"])
@limiter.limit(_mfa_limit, methods=["POST"])
@public
def login_setup():
    """Set up two-step login before the first login where it is required."""
    if current_user.is_authenticated:
        return redirect(url_for("caseload.dashboard"), code=303)
    pending = _pending("enrol")
    if pending is None:
        return _back_to_login()
    pending_key, next_url, user = pending
    form = CodeForm()
    if form.validate_on_submit():
        try:
            user, key, codes = services.enrol_and_log_in(pending_key, form.code.data)
        except ServiceError as error:
            error.show_on(form)
        else:
            target = _finish_login(user, key, next_url)
            session[NEW_CODES] = mfa.seal(codes)
            return redirect(url_for("mfa.recovery_codes", next=target), code=303)
    return _setup_page(user, form, required=True)


def _setup_page(user, form, required):
    try:
        secret = mfa.start_enrolment(user)
    except ServiceError:
        return redirect(url_for("mfa.account"), code=303)
    return render_template("auth/mfa_setup.html", form=form, qr=_qr(user, secret),
                           secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
                           required=required), 422 if form.errors else 200


# A logged-in clinician's own two-step login ----------------------------------------------------


@bp.get("/account/mfa")
def account():
    """Whether two-step login is on, and how many recovery codes are left."""
    me = current_user._get_current_object()
    return render_template("auth/mfa_account.html", enabled=mfa.is_enabled(me),
                           required=mfa.is_required(me), codes_left=mfa.recovery_codes_left(me))


@bp.route("/account/mfa/setup", methods=["GET", "POST"])
@limiter.limit(_mfa_limit, methods=["POST"])
def account_setup():
    """Turn two-step login on for your own account (your password again, and a first code).

    A wrong password shows the form again and counts as on the password-change page; a
    lockout ends this session too.
    """
    me = current_user._get_current_object()
    if mfa.is_enabled(me):
        return redirect(url_for("mfa.account"), code=303)
    form = AccountSetupForm()
    if form.validate_on_submit():
        try:
            codes = services.enable_own_mfa(me, form.password.data, form.code.data)
        except ServiceError as error:
            error.show_on(form)
        else:
            session[NEW_CODES] = mfa.seal(codes)
            return redirect(url_for("mfa.recovery_codes"), code=303)
    return _setup_page(me, form, required=False)


@bp.get("/account/mfa/recovery-codes")
def recovery_codes():
    """The new recovery codes, shown once: they are taken out of the session as they are shown."""
    sealed = session.pop(NEW_CODES, None)
    codes = mfa.unseal(sealed) if sealed else None
    if not codes:
        return redirect(url_for("mfa.account"), code=303)
    target = request.args.get("next")
    return render_template("auth/mfa_recovery_codes.html", codes=codes,
                           next_url=target if is_safe_next(target) else None)


# An admin's reset -----------------------------------------------------------------------------


@bp.post("/admin/users/<dbid:user_id>/mfa/reset")
@role_required(Role.ADMIN)
def reset(user_id):
    """Remove a user's authenticator (lost phone): they set it up again at their next login."""
    user = get_in_clinic(User, user_id, current_user.clinic_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        mfa.reset(current_user._get_current_object(), user)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(f"Two-step login reset for {user.name}; their sessions have ended.", "success")
    return redirect(url_for("users.edit", user_id=user.id), code=303)
