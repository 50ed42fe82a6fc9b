"""Forms of the auth area: they check shape only; services decide."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from clinic.auth.models import Role
from clinic.auth.passwords import MAX_LENGTH
from clinic.validators import ClinicEmail, strip

ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in Role]


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password.")]
    )
    new_password = PasswordField(
        "New password",
        validators=[InputRequired("Enter a new password."), Length(max=MAX_LENGTH)],
        description="At least 12 characters. A few unrelated words work well.",
    )


class UserForm(FlaskForm):
    name = StringField(
        "Full name",
        filters=[strip],
        validators=[DataRequired("Enter the person's name."), Length(max=120)],
    )
    email = EmailField(
        "Email",
        validators=[
            InputRequired("Enter an email address."),
            ClinicEmail("Enter an email address like name@clinic.org."),
            Length(max=254),
        ],
    )
    role = SelectField("Role", choices=ROLE_CHOICES,
                       validators=[InputRequired("Choose a role.")])


class NewUserForm(UserForm):
    password = PasswordField(
        "Temporary password",
        validators=[InputRequired("Set a temporary password."), Length(max=MAX_LENGTH)],
        description="At least 12 characters. Give it to the person in a safe way.",
    )


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[InputRequired("Enter a new password."), Length(max=MAX_LENGTH)],
        description="At least 12 characters. Their open sessions end at once.",
    )
