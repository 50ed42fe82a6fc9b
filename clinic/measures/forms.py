"""Forms of the clinician's measures pages (the item answers themselves are parsed by hand,
because their fields come from the instrument definitions)."""

from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from clinic import limits
from clinic.measures.instruments import INSTRUMENT_CODES, get_instrument
from clinic.measures.schedule import WEEKDAYS
from clinic.validators import strip

INSTRUMENT_CHOICES = [SelectChoice(code, f"{code}: {get_instrument(code).title}")
                      for code in INSTRUMENT_CODES]
FREQUENCY_CHOICES = [SelectChoice(1, "Every week"), SelectChoice(2, "Every 2 weeks"),
                     SelectChoice(4, "Every 4 weeks")]


class ScheduleForm(FlaskForm):
    instrument = SelectField("Questionnaire", choices=INSTRUMENT_CHOICES,
                             validators=[InputRequired("Choose a questionnaire.")])
    every_weeks = SelectField("How often", coerce=int, choices=FREQUENCY_CHOICES,
                              validators=[InputRequired("Choose how often.")],
                              description="Defaults: PHQ-9, GAD-7 and WHO-5 weekly; RSES and "
                                          "PCL-5 every 4 weeks.")
    weekday = SelectField("On", coerce=int,
                          choices=[SelectChoice(i, day) for i, day in enumerate(WEEKDAYS)],
                          validators=[InputRequired("Choose a weekday.")])
    starts_on = DateField("From", validators=[InputRequired("Enter the first date."),
                                            limits.page_date_window()])
    ends_on = DateField("Until (optional)", validators=[Optional(), limits.page_date_window()])


class InstrumentsForm(FlaskForm):
    instruments = SelectMultipleField(
        "Questionnaires", choices=INSTRUMENT_CHOICES,
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        validators=[InputRequired("Choose at least one questionnaire.")],
    )


class ResponseMetaForm(FlaskForm):
    completed_on = DateField("Date the form was filled in",
                             validators=[InputRequired("Enter the date of the paper form."),
                                         limits.page_date_window()])
    # Required for a correction (the service says so on this field); not asked for a new form.
    reason = TextAreaField("Reason for the correction", filters=[strip],
                           validators=[Optional(), limits.length("reason")])
