"""Patient and care-team forms: shape and friendly messages; the services decide the rest."""

from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from clinic import limits
from clinic.validators import ClinicEmail, strip


def _not_in_future(form, field):
    if field.data and field.data > date.today():
        raise ValidationError("The date of birth cannot be in the future.")


class PatientForm(FlaskForm):
    display_name = StringField(
        "Name",
        filters=[strip],
        validators=[DataRequired("Enter the name the patient goes by."), limits.length("name")],
        description="The name the patient goes by; nothing more is needed.",
    )
    reference = StringField(
        "Reference",
        filters=[strip],
        validators=[DataRequired("Enter the clinic's reference (case number)."),
                    limits.length("reference")],
        description="Your clinic's case number; unique within the clinic.",
    )
    email = EmailField(
        "Email (optional)",
        validators=[Optional(),
                    ClinicEmail("Enter an email address like name@example.org."),
                    limits.length("email")],
        description="Only used to send questionnaire links.",
    )
    date_of_birth = DateField(
        "Date of birth (optional)",
        validators=[Optional(), limits.page_date_window(), _not_in_future],
        format="%Y-%m-%d",
    )


class NewPatientForm(PatientForm):
    """An admin names the primary clinician; a therapist becomes it (the field is not shown)."""

    episode_start = DateField(
        "Referral date (optional)", validators=[Optional(), limits.page_date_window()],
        format="%Y-%m-%d",
        description="When this episode of care began; today if left empty.",
    )

    primary_clinician = SelectField("Primary clinician", coerce=int, validate_choice=False,
                                    validators=[Optional()])

    def __init__(self, *args, primary_required=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.primary_required = primary_required

    def validate_primary_clinician(self, field):
        if self.primary_required and not field.data:
            raise ValidationError("Choose the patient's primary clinician.")


class CareTeamAddForm(FlaskForm):
    user_id = SelectField("Clinician", coerce=int, validate_choice=False,
                          validators=[InputRequired("Choose a clinician to add.")])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST."""


class EpisodeStartForm(FlaskForm):
    """Move the current episode's start, to the referral date say."""

    episode_start = DateField("Episode of care began on", format="%Y-%m-%d",
                              validators=[InputRequired("Enter the date care began."),
                                          limits.page_date_window()])


class NewEpisodeForm(FlaskForm):
    """End the current episode of care and start a new one (a new baseline)."""

    start = DateField("New episode starts on", format="%Y-%m-%d",
                      validators=[InputRequired("Enter the date the new episode starts."),
                                  limits.page_date_window()])
    reason = TextAreaField("Reason", filters=[strip],
                           validators=[DataRequired("Say why a new episode of care starts."),
                                       limits.length("reason")])
