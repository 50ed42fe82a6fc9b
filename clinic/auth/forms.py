"""Forms of the auth area: they check shape only; services decide."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, ValidationError

from clinic import limits
from clinic.auth.models import Role
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
        validators=[InputRequired("Enter a new password."), limits.length("password")],
        description="At least 12 characters. A few unrelated words work well.",
    )


class UserForm(FlaskForm):
    name = StringField(
        "Full name",
        filters=[strip],
        validators=[DataRequired("Enter the person's name."), limits.length("name")],
    )
    email = EmailField(
        "Email",
        validators=[
            InputRequired("Enter an email address."),
            ClinicEmail("Enter an email address like name@clinic.org."),
            limits.length("email"),
        ],
    )
    role = SelectField("Role", choices=ROLE_CHOICES,
                       validators=[InputRequired("Choose a role.")])


class NewUserForm(UserForm):
    password = PasswordField(
        "Temporary password",
        validators=[InputRequired("Set a temporary password."), limits.length("password")],
        description="At least 12 characters. Give it to the person in a safe way.",
    )


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[InputRequired("Enter a new password."), limits.length("password")],
        description="At least 12 characters. Their open sessions end at once.",
    )


def _known_timezone(form, field):
    try:
        ZoneInfo(field.data or "")
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError("Enter a time zone like Europe/London or America/New_York.") \
            from error


class ClinicSettingsForm(FlaskForm):
    name = StringField("Clinic name", filters=[strip],
                       validators=[DataRequired("Enter the clinic's name."), limits.length("name")])
    timezone = StringField(
        "Time zone", filters=[strip],
        validators=[DataRequired("Enter the clinic's time zone."), _known_timezone],
        description="Scheduled questionnaires go out at 08:00 in this time zone.",
    )
    link_expiry_days = IntegerField(
        "Questionnaire links stay open for (days)",
        validators=[InputRequired("Enter a number of days."),
                    limits.number_range("link_expiry_days")],
    )
    reminder_after_days = IntegerField(
        "Send one reminder after (days)",
        validators=[InputRequired("Enter a number of days."),
                    limits.number_range("reminder_after_days")],
        description="Must be before the link expires.",
    )
    crisis_text = TextAreaField(
        "What a patient sees after a risk answer", filters=[strip],
        validators=[DataRequired("Patients must always be shown where to get urgent help."),
                    limits.length("crisis_text")],
        description="Say that the form is not watched in real time and where to get urgent help.",
    )

    mfa_required_for_clinicians = BooleanField(
        "Require two-step login of therapists and trainers",
        description="Admins always need it. Others set it up at their next login.",
    )

    def validate_reminder_after_days(self, field):
        if (field.data is not None and self.link_expiry_days.data is not None
                and field.data >= self.link_expiry_days.data):
            raise ValidationError("The reminder must go out before the link expires.")
