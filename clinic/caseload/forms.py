"""The form for adding a patient in one step (details, episode start, schedules, program)."""

from wtforms import SelectChoice, SelectField, SelectMultipleField
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from clinic.measures.instruments import get_instrument
from clinic.measures.schedule import DEFAULT_SCHEDULE, WEEKDAYS
from clinic.patients.forms import NewPatientForm

NO_PROGRAM = 0


def _every(weeks):
    return "every week" if weeks == 1 else f"every {weeks} weeks"


SCHEDULE_CHOICES = [
    SelectChoice(code, f"{code}: {get_instrument(code).title}, {_every(weeks)}")
    for code, weeks in DEFAULT_SCHEDULE
]


class OnboardingForm(NewPatientForm):
    """``NewPatientForm`` and the default schedule (every box ticked at first) and a program."""

    schedules = SelectMultipleField(
        "Questionnaires to send",
        choices=SCHEDULE_CHOICES,
        default=[code for code, _weeks in DEFAULT_SCHEDULE],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        description="The usual schedule; untick what this patient should not get.",
    )
    weekday = SelectField(
        "Send them on",
        coerce=int,
        choices=[SelectChoice(i, day) for i, day in enumerate(WEEKDAYS)],
        validators=[Optional()],
    )  # left out: the clinic's weekday today
    template_id = SelectField(
        "Starter program (optional)",
        coerce=int,
        validate_choice=False,
        default=NO_PROGRAM,
        description="A program from the catalogue, from the same day.",
    )
