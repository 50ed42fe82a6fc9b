"""Patient and care-team forms: shape and friendly messages; the services decide the rest."""

from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from clinic.validators import ClinicEmail, strip


def _not_in_future(form, field):
    if field.data and field.data > date.today():
        raise ValidationError("The date of birth cannot be in the future.")
    if field.data and field.data.year < 1900:
        raise ValidationError("Enter a date of birth after 1900.")


class PatientForm(FlaskForm):
    display_name = StringField(
        "Name",
        filters=[strip],
        validators=[DataRequired("Enter the name the patient goes by."), Length(max=120)],
        description="The name the patient goes by; nothing more is needed.",
    )
    reference = StringField(
        "Reference",
        filters=[strip],
        validators=[DataRequired("Enter the clinic's reference (case number)."),
                    Length(max=40, message="Use at most 40 characters.")],
        description="Your clinic's case number; unique within the clinic.",
    )
    email = EmailField(
        "Email (optional)",
        validators=[Optional(),
                    ClinicEmail("Enter an email address like name@example.org."),
                    Length(max=254)],
        description="Only used to send questionnaire links.",
    )
    date_of_birth = DateField(
        "Date of birth (optional)",
        validators=[Optional(), _not_in_future],
        format="%Y-%m-%d",
    )


class NewPatientForm(PatientForm):
    """An admin names the primary clinician; a therapist becomes it (the field is not shown)."""

    episode_start = DateField(
        "Referral date (optional)", validators=[Optional()], format="%Y-%m-%d",
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
                              validators=[InputRequired("Enter the date care began.")])


class NewEpisodeForm(FlaskForm):
    """End the current episode of care and start a new one (a new baseline)."""

    start = DateField("New episode starts on", format="%Y-%m-%d",
                      validators=[InputRequired("Enter the date the new episode starts.")])
    reason = TextAreaField("Reason", filters=[strip],
                           validators=[DataRequired("Say why a new episode of care starts."),
                                       Length(max=500)])
