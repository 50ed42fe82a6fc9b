"""A clinic admin's user management: create, edit role, deactivate, reset password."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic.auth import api_tokens, services
from clinic.auth.forms import ClinicSettingsForm, NewUserForm, PasswordResetForm, UserForm
from clinic.auth.guards import role_required
from clinic.auth.models import Role, User
from clinic.database import get_in_clinic, utcnow
from clinic.errors import ServiceError
from clinic.inputs import id_arg

bp = Blueprint("users", __name__, url_prefix="/admin")


def _clinic_user(user_id):
    """A user of the admin's own clinic; another clinic's user or a missing id is a 404."""
    return get_in_clinic(User, user_id, current_user.clinic_id)


@bp.get("/users/")
@role_required(Role.ADMIN)
def index():
    """Every account of the admin's clinic."""
    return render_template("users/index.html", now=utcnow(),
                           users=services.users_of_clinic(current_user.clinic_id))


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def create():
    """Add a clinician to the clinic."""
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(current_user._get_current_object(), email=form.email.data,
                                        name=form.name.data, role=form.role.data,
                                        password=form.password.data)
        except ServiceError as error:
            error.show_on(form)
        else:
            flash(f"Account created for {user.name}.", "success")
            return redirect(url_for("users.index"), code=303)
    status = 422 if form.errors else 200
    return render_template("users/form.html", form=form, user=None), status


@bp.route("/users/<dbid:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit(user_id):
    """Change a user's name, email or role."""
    user = _clinic_user(user_id)
    form = UserForm(obj=user)
    if form.validate_on_submit():
        try:
            services.update_user(current_user._get_current_object(), user, email=form.email.data,
                                 name=form.name.data, role=form.role.data)
        except ServiceError as error:
            error.show_on(form)
        else:
            flash(f"Saved changes to {user.name}.", "success")
            return redirect(url_for("users.index"), code=303)
    status = 422 if form.errors else 200
    return render_template("users/form.html", form=form, user=user, now=utcnow(),
                           reset_form=PasswordResetForm()), status


@bp.post("/users/<dbid:user_id>/deactivate")
@role_required(Role.ADMIN)
def deactivate(user_id):
    """Deactivate an account; its sessions end at once."""
    return _set_active(user_id, False)


@bp.post("/users/<dbid:user_id>/reactivate")
@role_required(Role.ADMIN)
def reactivate(user_id):
    """Let a deactivated account log in again."""
    return _set_active(user_id, True)


def _set_active(user_id, active):
    user = _clinic_user(user_id)
    try:
        services.set_user_active(current_user._get_current_object(), user, active)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(f"{user.name} is {'active again' if active else 'deactivated'}.", "success")
    return redirect(url_for("users.index"), code=303)


@bp.post("/users/<dbid:user_id>/unlock")
@role_required(Role.ADMIN)
def unlock(user_id):
    """Lift a lockout now (after too many failed logins) rather than at its end."""
    user = _clinic_user(user_id)
    try:
        services.unlock_user(current_user._get_current_object(), user)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(f"{user.name}'s account is unlocked: they can log in again.", "success")
    return redirect(url_for("users.edit", user_id=user.id), code=303)


@bp.post("/users/<dbid:user_id>/password")
@role_required(Role.ADMIN)
def reset_password(user_id):
    """Set a new password for a user (for instance after a lockout)."""
    user = _clinic_user(user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            services.reset_password(current_user._get_current_object(), user, form.password.data)
        except ServiceError as error:
            error.show_on(form)
        else:
            flash(f"New password set for {user.name}; their sessions have ended.", "success")
            return redirect(url_for("users.index"), code=303)
    if not form.errors:
        abort(400)
    return render_template("users/form.html", form=UserForm(obj=user), user=user, now=utcnow(),
                           reset_form=form), 422


@bp.app_template_global()
def api_tokens_of(user):
    """(token, state) of the user's API tokens, for the admin's user page."""
    now = utcnow()
    return [(token, token.state(now))
            for token in api_tokens.tokens_of(current_user._get_current_object(), user)]


@bp.post("/users/<dbid:user_id>/api-tokens/revoke")
@role_required(Role.ADMIN)
def revoke_api_token(user_id):
    """Revoke one of a user's API tokens (the form names it); it stops working at once."""
    user = _clinic_user(user_id)
    token_id = id_arg("token_id", request.form)
    if token_id is None:
        flash("Choose a token to revoke.", "error")
    else:
        api_tokens.revoke_token_as_admin(current_user._get_current_object(), user, token_id)
        flash(f"The API token of {user.name} is revoked.", "success")
    return redirect(url_for("users.edit", user_id=user.id), code=303)


@bp.route("/clinic", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def clinic_settings():
    """The clinic's name, time zone, questionnaire-link timings and crisis text."""
    form = ClinicSettingsForm(obj=current_user.clinic)
    if form.validate_on_submit():
        try:
            services.update_clinic_settings(current_user._get_current_object(), {
                field: getattr(form, field).data for field in services.CLINIC_SETTINGS})
        except ServiceError as error:
            error.show_on(form)
        else:
            flash("Clinic settings saved.", "success")
            return redirect(url_for("users.clinic_settings"), code=303)
    status = 422 if (form.errors or form.form_errors) else 200
    return render_template("users/clinic.html", form=form), status
